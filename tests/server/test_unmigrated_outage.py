"""The check for an unmigrated database (portal/migration_state.py) during a database outage:
a database it cannot reach is asked once, not by every request, since each ask waits on a
connect (PORTAL_DATABASE_CONNECT_TIMEOUT for a PostgreSQL host that does not answer), a page
the caches serve without the database included; once a connection is made it is asked again
(docs/decisions/0125-an-unmigrated-database-at-start.md). In a process of its own: the check's
state is the process's."""

from __future__ import annotations

from tests.server.test_service_timeouts import run_with_settings

# The database's file in a folder that does not exist: each connect fails ("unable to open
# database file"), as a host that does not answer. Every new connection is counted, with
# whether the migration check made it.
OUTAGE = """
import traceback
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import Client

connects = []
opened = DatabaseWrapper.get_new_connection

def counted(self, params):
    by_check = any(frame.filename.endswith("migration_state.py") for frame in traceback.extract_stack())
    connects.append(by_check)
    return opened(self, params)

DatabaseWrapper.get_new_connection = counted
reachable = connection.settings_dict["NAME"]
connection.close()
connection.settings_dict["NAME"] = reachable + ".missing/portal.sqlite3"
client = Client(raise_request_exception=False, HTTP_HOST="support.example.com")
for _ in range(3):
    client.get("/key/")
print("asks during the outage:", sum(connects))
connection.settings_dict["NAME"] = reachable
client.get("/key/")  # connects: the database can be asked again
connection.close()
print("after the outage:", client.get("/key/").status_code)
"""


def test_an_unreachable_database_is_asked_once_then_again_once_it_connects(tmp_path):
    # The page is rendered: the static files from their source folder (a fresh clone has no
    # collected ones).
    result = run_with_settings(tmp_path, OUTAGE, PORTAL_HTTPS="false", PORTAL_MANIFEST_STATIC="false")
    assert result.returncode == 0, result.stderr
    assert "asks during the outage: 1\n" in result.stdout
    assert "after the outage: 503\n" in result.stdout  # the database back, not migrated


# A request that failed because the database could not be connected to, reported as the error
# mail reports it: every connect the report itself makes is counted.
REPORT = """
import sys
from django.core import mail
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper
from django.test import RequestFactory, override_settings
from portal.error_reports import CustomerDataHiddenReporter

connection.close()
connection.settings_dict["NAME"] += ".missing/portal.sqlite3"
request = RequestFactory().get("/", HTTP_HOST="support.example.com")
try:
    connection.ensure_connection()
except Exception:
    exc_info = sys.exc_info()
connects = []
opened = DatabaseWrapper.get_new_connection
DatabaseWrapper.get_new_connection = lambda self, params: connects.append(1) or opened(self, params)
html = CustomerDataHiddenReporter(request, *exc_info).get_traceback_html()
hidden = "DatabaseWrapper vendor" not in html and "*" * 20 in html
print(exc_info[0].__name__, "connects while reporting:", len(connects), "frame variables hidden:", hidden)
"""


def test_a_report_of_an_unreachable_database_does_not_connect_to_it_again(tmp_path):
    """The report's stored secrets (portal/error_reports.py) are read from the database: when
    connecting to it is what failed, the report would wait on one more connect in the failed
    request's thread, mail or not. It hides every frame variable instead."""
    result = run_with_settings(tmp_path, REPORT, PORTAL_HTTPS="false")
    assert result.returncode == 0, result.stderr
    assert "OperationalError connects while reporting: 0 frame variables hidden: True" in result.stdout
