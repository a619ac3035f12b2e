"""A failing /readyz says why in the log, once per outage and process, not once per probe
(portal/views/probes.py)."""

from __future__ import annotations

import logging
import socket

import pytest

from portal.log import duration
from portal.views.probes import Readiness
from tests.server.test_service_timeouts import run_with_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_outage_is_said_once_again_after_the_reminder_and_when_it_ends(caplog):
    clock = Clock()
    readiness = Readiness(reminder=600, clock=clock)
    caplog.set_level(logging.INFO, logger="portal.probes")
    readiness.observe(None)
    assert caplog.messages == []  # ready from the start: nothing to say
    for _ in range(5):  # a load balancer's probes, 5 s apart
        readiness.observe("database OperationalError", "database unreachable (OperationalError: refused)")
        clock.now += 5
    assert caplog.messages == [
        "/readyz: not ready: database unreachable (OperationalError: refused) "
        "(said again every 10 min while it lasts, once per process)"
    ]
    clock.now += 600
    readiness.observe("database OperationalError", "database unreachable (OperationalError: timed out)")
    readiness.observe("database OperationalError", "database unreachable (OperationalError: timed out)")
    assert caplog.messages[1:] == [
        "/readyz: still not ready after 10 min: database unreachable (OperationalError: timed out)"
    ]
    readiness.observe("database OperationalError, cache ConnectionError", "both down")
    assert caplog.messages[2].startswith("/readyz: not ready: both down")
    clock.now += 20
    readiness.observe(None)
    readiness.observe(None)
    assert caplog.messages[3:] == ["/readyz: ready again after 10 min"]
    assert [record.levelname for record in caplog.records] == ["ERROR", "ERROR", "ERROR", "INFO"]


def test_durations_read_as_a_person_writes_them():
    assert [duration(s) for s in (5.0, 119.6, 600, 7200, 7500)] == [
        "5 s",
        "2 min",
        "10 min",
        "2 h",
        "2 h 5 min",
    ]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROBES = (
    "from django.test import Client\n"
    "for _ in range(4):\n"
    "    print(Client().get('/readyz', HTTP_HOST='support.example.com').status_code)\n"
)


def test_probes_during_a_database_outage_log_why_once_without_the_password(tmp_path):
    """PostgreSQL refusing connections (nothing listens on its port): four probes, four 503s,
    one line naming the database and the driver's reason, never the password in DATABASE_URL,
    and no bare "Service Unavailable: /readyz" per probe."""
    pytest.importorskip("psycopg", reason="the PostgreSQL driver comes with the postgres extra")
    password = "Pw-7f3c1e9a-secret"
    result = run_with_settings(
        tmp_path, PROBES, DATABASE_URL=f"postgres://portal:{password}@127.0.0.1:{closed_port()}/portal"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["503"] * 4
    lines = [line for line in result.stderr.splitlines() if "readyz" in line]
    assert len(lines) == 1, result.stderr
    assert "ERROR portal.probes /readyz: not ready: database unreachable (OperationalError: " in lines[0]
    assert "refused" in lines[0]
    assert "Service Unavailable" not in result.stderr
    assert password not in result.stderr
