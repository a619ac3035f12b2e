"""Requests with no client address (gunicorn on a Unix socket leaves REMOTE_ADDR empty) are one
client for the rate limits and the admin lockout: gunicorn's master says so when it starts, and
each worker at the first request it cannot count, naming PORTAL_TRUSTED_PROXY_COUNT
(docs/decisions/0020-cookie-free-public-forms.md)."""

from __future__ import annotations

import http.client
import queue
import socket

import pytest

from tests.server.portal_server import portal_under_gunicorn

pytestmark = pytest.mark.gunicorn


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=30)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(30)
        self.sock.connect(self.path)


def next_line_with(log: queue.Queue[str], text: str) -> str:
    """The next line of the server's log that holds `text` (each awaited, 30 s at most)."""
    while True:
        line = log.get(timeout=30)
        if text in line:
            return line


def test_a_unix_socket_without_a_trusted_proxy_is_reported_at_start_and_at_the_first_request(tmp_path):
    path = str(tmp_path / "portal.sock")
    log: queue.Queue[str] = queue.Queue()
    with portal_under_gunicorn(tmp_path, bind=f"unix:{path}", log=log, PORTAL_TRUSTED_PROXY_COUNT="0"):
        started = next_line_with(log, "Unix socket")
        assert "[ERROR]" in started and "PORTAL_TRUSTED_PROXY_COUNT 0" in started and path in started
        connection = UnixConnection(path)
        form = {"Content-Type": "application/x-www-form-urlencoded", "Host": "127.0.0.1"}
        connection.request("POST", "/key/", body="key=1234567", headers=form)
        assert connection.getresponse().status == 200  # counted, then shown again: no signed stamp
        connection.close()
        reported = next_line_with(log, "no client address")
        assert "ERROR" in reported and "Set PORTAL_TRUSTED_PROXY_COUNT" in reported
