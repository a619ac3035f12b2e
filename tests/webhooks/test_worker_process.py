"""The worker as shipped: `manage.py db_worker` in its own process, on its own SQLite file.

A start is recorded by one process, which then exits (the web server restarting); nothing is
sent until the worker starts, and then the event is delivered, signed, exactly once
(docs/decisions/0070-start-webhooks-on-django-tasks.md)."""

from __future__ import annotations

import hashlib
import hmac
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.receiver import receiver
from tests.fakes.server import running

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET = "whsec_worker-process-test-0123456789"
START = """
import os
from portal import services
from portal.models import Backend, Site
from portal.webhooks.models import Endpoint
site = Site.objects.first() or Site.objects.create(
    name="Acme", is_default=True,
    backend=Backend.objects.create(name="Preview", kind="preview", base_url="https://support.example.com"))
Endpoint.objects.get_or_create(
    site=site, url=os.environ["RECEIVER_URL"], defaults={"secret": os.environ["WEBHOOK_SECRET"]})
services.record_start(context=services.StartContext(site=site, language="de"), flow="key",
                      outcome="started", customer=services.Customer(external_key="INC-9"))
"""


@pytest.fixture
def portal_env(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_SECRET_KEY": "x" * 50,
        "PORTAL_HTTPS": "false",
        "PORTAL_DATA_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
        "PORTAL_WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    env.pop("CACHE_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"], env=env, check=True, cwd=ROOT
    )
    return env, tmp_path / "portal.sqlite3"


def rows(database: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def test_an_event_written_with_a_start_is_delivered_when_the_worker_starts(portal_env):
    env, database = portal_env
    with running(receiver()) as server:
        url = server.base_url + "/hooks"
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", START],
            env={**env, "RECEIVER_URL": url, "WEBHOOK_SECRET": SECRET},
            check=True,
            cwd=ROOT,
        )
        # The recording process is gone; the event and its task wait in the database.
        assert rows(database, "SELECT status FROM webhooks_delivery") == [("pending",)]
        assert rows(database, "SELECT status FROM django_tasks_database_dbtaskresult") == [("READY",)]
        assert server.calls() == []
        worker = subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            assert server.wait_for_requests(1, timeout=60), "the worker delivered nothing"
        finally:
            worker.terminate()
            _, errors = worker.communicate(timeout=30)
    assert worker.returncode == 0, errors.decode()
    [request] = server.calls()
    timestamp, signature = (part.split("=", 1)[1] for part in request.headers["portal-signature"].split(","))
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(signature, expected)
    assert request.json["external_key"] == "INC-9" and request.json["outcome"] == "started"
    assert rows(database, "SELECT status, attempts FROM webhooks_delivery") == [("delivered", 1)]
    assert rows(database, "SELECT status FROM django_tasks_database_dbtaskresult") == [("SUCCESSFUL",)]
