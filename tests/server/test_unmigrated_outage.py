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
    result = run_with_settings(tmp_path, OUTAGE, PORTAL_HTTPS="false")
    assert result.returncode == 0, result.stderr
    assert "asks during the outage: 1\n" in result.stdout
    assert "after the outage: 503\n" in result.stdout  # the database back, not migrated
