"""gunicorn started by hand on a database `manage.py migrate` never ran on: every request was a
traceback ("no such table") and /readyz said ready. Now the log says once per worker what to
run, customers get the "not set up yet" page (503), /readyz says not ready, and the first
request after `migrate` is served, without a restart
(docs/decisions/0125-an-unmigrated-database-at-start.md)."""

from __future__ import annotations

import queue
import subprocess
import sys

import pytest
import requests
from django.urls import reverse

from tests.server.portal_server import ROOT, SETUP, portal_under_gunicorn, server_environment

pytestmark = pytest.mark.gunicorn

NOT_MIGRATED = "database not migrated: run `manage.py migrate`"


def log_line_with(log: queue.Queue[str], text: str, seen: list[str]) -> str:
    """The next server log line holding `text` (each line read is kept in `seen`)."""
    while True:
        line = log.get(timeout=30)
        seen.append(line)
        if text in line:
            return line


def test_an_unmigrated_database_is_a_503_page_and_one_log_line_until_migrate(tmp_path):
    log: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    with portal_under_gunicorn(tmp_path, log=log, migrated=False, WEB_CONCURRENCY="1") as (base_url, *_):
        page = requests.get(f"{base_url}/", headers={"Accept-Language": "de"}, timeout=30)
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "30"
        assert "Dieses Support-Portal ist noch nicht eingerichtet" in page.text
        assert "Traceback" not in page.text and "no such table" not in page.text
        line = log_line_with(log, NOT_MIGRATED, seen)
        assert "migrations not applied" in line

        for path in (reverse("admin:index"), "/survey/?name=Jane", "/favicon.ico"):
            assert requests.get(f"{base_url}{path}", timeout=30).status_code == 503, path
        api = requests.get(f"{base_url}/api/v1/sites", timeout=30)
        assert (api.status_code, api.json()["error"]) == (503, "unavailable")

        ready = requests.get(f"{base_url}/readyz", timeout=30)
        assert ready.status_code == 503
        assert ready.json() == {"status": "error", "database": "not migrated", "cache": "ok"}
        assert requests.get(f"{base_url}/healthz", timeout=30).status_code == 200  # the process is up
        log_line_with(log, f"/readyz: not ready: {NOT_MIGRATED}", seen)

        environment = server_environment(tmp_path)  # the server's own database
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--no-input", "-v0"], env=environment, check=True, cwd=ROOT)
        subprocess.run([*manage, "shell", "-c", SETUP], env=environment, check=True, cwd=ROOT)

        assert requests.get(f"{base_url}/readyz", timeout=30).json()["status"] == "ok"
        assert requests.get(f"{base_url}/", timeout=30).status_code == 200
        log_line_with(log, "database migrated: serving", seen)

    # One line said it, once (one worker), and no request left a traceback.
    assert sum(NOT_MIGRATED in line and "portal.migration_state" in line for line in seen) == 1
    assert not any("Traceback" in line or "no such table" in line for line in seen)
