"""A request body that comes too slowly is cut (portal/gunicorn_worker.py's DeadlineReader,
docs/decisions/0092-bounded-request-reading.md), and only the client's slowness counts.

Under real gunicorn: tests/server/blocking_app.py for the mechanism, the portal as shipped for
what a customer then sees. The body's budget is set to 1 s (PORTAL_REQUEST_BODY_SECONDS); every
wait is on an event (a reply, a socket) and bounded by a timeout that only a fault reaches.
"""

from __future__ import annotations

import http.client
import socket
import sqlite3

import pytest

from tests.server.portal_server import portal_under_gunicorn
from tests.server.test_balanced_worker import BOUND, Server

pytestmark = pytest.mark.gunicorn


def post_head(port: int, path: str, length: int, sent: bytes) -> socket.socket:
    """A POST whose head and `sent` (of `length` body bytes) are sent, and nothing more."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=BOUND)
    connection.sendall(
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n".encode()
        + sent
    )
    return connection


def answer(connection: socket.socket) -> tuple[int, bytes]:
    response = http.client.HTTPResponse(connection)
    response.begin()
    try:
        return response.status, response.read()
    finally:
        connection.close()


def test_a_body_that_stops_coming_is_cut_and_the_applications_own_time_is_not():
    """One worker with two threads. The first request's body came at once: the application
    reads half of it and then holds its thread (its own time, far past the budget). The second
    announces 10 MB, sends 10 bytes and stops: it is cut after its budget (what arrived earns
    time, not what was announced), its read raises Django's BadRequest (not a short body), and
    a third request queued behind both is served. The first then reads the rest of its body,
    untouched."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_BODY_SECONDS": "1"})
    try:
        held = post_head(server.port, "/read?hold", 100, b"x" * 100)
        line, worker = server.blocked()
        slow = post_head(server.port, "/read", 10 * 1024 * 1024, b"y" * 10)
        assert server.get("/pid").result(timeout=BOUND) == (200, worker)
        assert answer(slow) == (400, b"BadRequest")
        line.send(b"x")
        assert answer(held) == (200, b"100")
        line.close()
    finally:
        server.close()


def test_a_body_the_client_ends_early_is_refused_not_taken_as_whole():
    """The client sends 10 of 100 announced bytes and closes its side: the read raises, as for
    a cut, where gunicorn's reader would have handed back the 10 bytes as the whole body."""
    server = Server(workers=1, threads=1, env={"PORTAL_REQUEST_BODY_SECONDS": "1"})
    try:
        early = post_head(server.port, "/read", 100, b"y" * 10)
        early.shutdown(socket.SHUT_WR)
        assert answer(early) == (400, b"BadRequest")
    finally:
        server.close()


def test_the_rest_of_a_body_the_application_did_not_read_is_drained_for_a_few_seconds_only():
    """`/pid` answers without reading its body. gunicorn then reads what is left before the
    connection's next request; a client that keeps it coming a byte at a time held the thread
    for as long as it liked. The drain is cut (DRAIN_SECONDS, 5 s) and the connection closed
    quietly: one answer on the wire, no error answer after it, and the thread serves the next
    request."""
    server = Server(workers=1, threads=1, env={"PORTAL_REQUEST_BODY_SECONDS": "1"})
    try:
        trickle = post_head(server.port, "/pid", 1000, b"y" * 10)
        response = http.client.HTTPResponse(trickle)
        response.begin()
        assert response.status == 200
        worker = int(response.read())
        assert server.get("/pid").result(timeout=BOUND) == (200, worker)  # the drain ended
        assert trickle.recv(1024) == b""  # closed, and nothing more was written to it
        trickle.close()
    finally:
        server.close()


def test_a_customer_whose_start_stops_coming_gets_the_bad_request_page(tmp_path):
    """A key start whose body stops after 20 of its 200 bytes: the branded 400 page in time,
    and no start (the body was never taken for a whole one)."""
    with portal_under_gunicorn(tmp_path, PORTAL_REQUEST_BODY_SECONDS="1") as (base_url, database, _master):
        slow = post_head(int(base_url.rsplit(":", 1)[1]), "/key/", 200, b"key=1234567&name=Ada")
        status, page = answer(slow)
    assert status == 400
    assert "Bad request" in page.decode()
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM portal_startrequest").fetchone() == (0,)
