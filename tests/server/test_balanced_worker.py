"""The balanced gthread worker (portal/gunicorn_worker.py,
docs/decisions/0087-balanced-gthread-workers.md) under real gunicorn: a worker whose threads are
all busy leaves new connections to a worker with a free thread, and a connection that arrives
while every thread is busy is served as soon as one is free.

The app is tests/server/blocking_app.py: `/block` holds a thread until the test releases it,
`/pid` says which worker answered. Workers have one thread each, and the hold (how often a busy
worker looks for a connection nobody took) is set to an hour, so that look cannot pass for a
balancing fault; the look itself is tested below on the worker's own event loop. Every wait is
on an event (gunicorn's "Booting worker" lines, a socket, a reply) and bounded by a timeout that
only a fault reaches.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BOUND = 20  # seconds; only a fault waits this long

pytestmark = pytest.mark.gunicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(
        self,
        *,
        workers: int,
        threads: int = 1,
        worker_class: str = "portal.gunicorn_worker.BalancedThreadWorker",
        env: dict[str, str] | None = None,
    ):
        self.blockers = socket.create_server(("127.0.0.1", 0))
        self.blockers.settimeout(BOUND)
        self.port = free_port()
        env = {
            **os.environ,
            "BLOCK_PORT": str(self.blockers.getsockname()[1]),
            "PORTAL_ACCEPT_HOLD_MS": str(3600 * 1000),
            **(env or {}),
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "tests.server.blocking_app",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
                "--worker-class",
                worker_class,
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        booted = 0
        assert self.process.stderr is not None
        for line in self.process.stderr:  # one "Booting worker" line per worker, then ready
            booted += "Booting worker" in line
            if booted == workers:
                break
        else:
            raise AssertionError("gunicorn did not start")
        self.pool = ThreadPoolExecutor(8)

    def get(self, path: str):
        """A request on a fresh connection, in the background: a future of (status, pid)."""

        def call():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=BOUND)
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                return response.status, int(response.read())
            finally:
                connection.close()

        return self.pool.submit(call)

    def blocked(self) -> tuple[socket.socket, int]:
        """The next `/block` request to hold its thread: its line to the test, and its worker."""
        line, _ = self.blockers.accept()
        line.settimeout(BOUND)
        return line, int(line.makefile().readline())

    def close(self):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:  # a test failed with a request still held
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=BOUND)
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.blockers.close()


@contextlib.contextmanager
def slow_clients(server: Server, first_bytes: bytes, count: int = 6) -> Iterator[list[socket.socket]]:
    """`count` connections that each sent `first_bytes` and then nothing (by default three times
    the two threads of the servers these tests start), open until the block ends."""
    slow: list[socket.socket] = []
    try:
        for _ in range(count):
            connection = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
            connection.sendall(first_bytes)
            slow.append(connection)
        yield slow
    finally:
        for connection in slow:
            connection.close()


@pytest.fixture
def server(request):
    server = Server(workers=request.param)
    yield server
    server.close()


@pytest.mark.parametrize("server", [2], indirect=True)
def test_a_busy_worker_leaves_new_connections_to_the_free_one(server):
    holding = server.get("/block")
    line, busy = server.blocked()
    # Plain gthread would take about half of these into the busy worker, behind /block.
    answers = [server.get("/pid").result(timeout=BOUND) for _ in range(20)]
    assert {status for status, _pid in answers} == {200}
    assert busy not in {pid for _status, pid in answers}
    line.send(b"x")
    assert holding.result(timeout=BOUND) == (200, busy)
    line.close()


@pytest.mark.parametrize("server", [2], indirect=True)
def test_with_every_thread_busy_a_new_connection_waits_for_the_first_free_one(server):
    first, second = server.get("/block"), server.get("/block")
    (line_a, worker_a), (line_b, worker_b) = server.blocked(), server.blocked()
    assert worker_a != worker_b  # the second /block went to the worker that was free
    waiting = server.get("/pid")
    line_b.send(b"x")  # worker b is free again: it takes the waiting connection
    done, _ = wait([first, second], timeout=BOUND, return_when=FIRST_COMPLETED)
    assert [future.result() for future in done] == [(200, worker_b)]
    assert waiting.result(timeout=BOUND) == (200, worker_b)
    line_a.send(b"x")
    assert {first.result(timeout=BOUND)[1], second.result(timeout=BOUND)[1]} == {worker_a, worker_b}
    line_a.close()
    line_b.close()


# --- The hold, on the worker's own event loop ---------------------------------------------------
# The worker object is built as gunicorn's arbiter builds it (a real listening socket, a real
# poller and thread pool), and its loop methods are called directly: "how long ago the hold
# began" is set, not waited for.
class Log:
    def __getattr__(self, name):
        return lambda *args, **kwargs: None


@pytest.fixture
def loop_worker(request):
    import selectors

    from gunicorn.config import Config

    from portal.gunicorn_worker import HOLD_SECONDS, BalancedThreadWorker

    threads = getattr(request, "param", 1)
    cfg = Config()
    for name, value in {"workers": 2, "threads": threads, "worker_connections": 4, "keepalive": 0}.items():
        cfg.set(name, value)
    listener = socket.create_server(("127.0.0.1", 0))
    worker = BalancedThreadWorker(0, os.getpid(), [listener], None, 30, cfg, Log())
    worker.run_alone = RUN_ALONE  # whatever this run's DATABASE_URL makes the default
    worker.tpool = worker.get_thread_pool()
    worker.poller = selectors.DefaultSelector()
    worker.method_queue.init()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    worker.wsgi = app
    clients: list[socket.socket] = []

    def waiting_connection() -> socket.socket:
        """A connection in the listener's backlog: the kernel has completed it, nobody accepted."""
        client = socket.create_connection(listener.getsockname(), timeout=BOUND)
        client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        clients.append(client)
        return client

    def busy(*, held_for: float):
        """As after one request was handed to the only thread and the hold began `held_for` ago:
        the connection its one thread is serving."""
        serving, client = served_connection(worker)
        clients.append(client)
        worker.running = {serving: time.monotonic()}
        worker.set_accept_enabled(True)  # what gthread's loop asks for
        worker.held_since -= held_for
        return serving

    yield worker, waiting_connection, busy, HOLD_SECONDS
    for client in clients:
        client.close()
    worker.tpool.shutdown(wait=True)
    worker.method_queue.close()
    listener.close()


def test_a_busy_worker_holds_back_and_takes_nothing_before_the_hold_is_over(loop_worker):
    worker, waiting_connection, busy, hold = loop_worker
    busy(held_for=0)
    assert not worker._accepting and worker.held_since is not None
    waiting_connection()
    worker.wait_for_and_dispatch_events(0)  # a turn of the loop
    assert worker.nr_conns == 1  # still in the backlog, for a worker with a free thread


def test_after_the_hold_a_busy_worker_takes_the_connection_nobody_took(loop_worker):
    worker, waiting_connection, busy, hold = loop_worker
    serving = busy(held_for=hold)
    client = waiting_connection()
    worker.wait_for_and_dispatch_events(1.0)
    assert worker.nr_conns == 2 and worker.busy_threads == 2  # taken, queued for the thread
    assert not worker._accepting and worker.held_since is not None  # and holding back again
    worker.finish_request(serving, finished())
    assert client.recv(64).startswith(b"HTTP/1.1 200")  # served once the thread got to it


def test_a_full_worker_takes_nothing_even_after_the_hold(loop_worker):
    worker, waiting_connection, busy, hold = loop_worker
    busy(held_for=hold)
    worker.nr_conns = worker.worker_connections  # gthread's own limit
    waiting_connection()
    worker.wait_for_and_dispatch_events(0)
    assert worker.nr_conns == worker.worker_connections and not worker._accepting


def silent_connection(worker) -> socket.socket:
    """A connection that has not sent its request head yet (it is on the way)."""
    return socket.create_connection(worker.sockets[0].getsockname(), timeout=BOUND)


def test_a_connection_whose_head_is_on_the_way_counts_as_busy(loop_worker):
    """A burst of new connections went to the worker that woke first: it took each one before
    its head had come, so none counted as busy (docs/decisions/0107-arriving-connections-count-as-busy.md)."""
    worker, waiting_connection, _busy, _hold = loop_worker
    worker.set_accept_enabled(True)  # what gthread's loop asks for
    first = silent_connection(worker)
    worker.wait_for_and_dispatch_events(BOUND)  # a turn: the listener is ready, one accept
    assert worker.nr_conns == 1 and len(worker.reading_heads) == 1
    assert not worker._accepting  # its one thread is spoken for: new connections go elsewhere
    waiting_connection()
    worker.held_since = time.monotonic()  # the hold begins now (its look is tested above)
    worker.wait_for_and_dispatch_events(0)
    assert worker.nr_conns == 1  # left in the backlog for a worker with a free thread
    first.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    worker.wait_for_and_dispatch_events(BOUND)  # the head comes: a request for the thread
    assert worker.reading_heads == {} and worker.arriving_since == {} and worker.busy_threads == 1


def test_a_connection_that_sends_nothing_counts_as_busy_only_for_a_moment(loop_worker):
    """A client that connects and sends nothing must not keep the worker from new customers."""
    from portal.gunicorn_worker import ARRIVING_SECONDS

    worker, waiting_connection, _busy, _hold = loop_worker
    worker.set_accept_enabled(True)
    silent = silent_connection(worker)  # kept open: it has connected, and says nothing
    worker.wait_for_and_dispatch_events(BOUND)
    assert worker.nr_conns == 1 and not worker._accepting
    (conn,) = worker.arriving_since
    worker.arriving_since[conn] -= ARRIVING_SECONDS  # the moment is over (set, not waited for)
    worker.set_accept_enabled(True)  # gthread's loop asks again on its next turn
    assert worker._accepting
    client = waiting_connection()
    worker.wait_for_and_dispatch_events(BOUND)
    assert worker.nr_conns == 2 and worker.busy_threads == 1  # taken, and its request runs
    assert conn in worker.reading_heads  # the silent one waits for its head on the loop
    assert client.recv(64).startswith(b"HTTP/1.1 200")  # the thread answers it
    silent.close()


def test_a_connection_that_never_finishes_its_head_gives_its_thread_back():
    """Slowloris: a client that sends a byte of a request and then nothing held a thread for as
    long as it liked. Here one worker has two threads: one holds `/block` (the application's
    time, never cut), the other takes the slow head, and a new request queues behind them. The
    head's deadline (1 s here) closes the slow connection, and the queued request is served."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "1"})
    try:
        holding = server.get("/block")
        line, worker = server.blocked()
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        slow.sendall(b"G")
        assert server.get("/pid").result(timeout=BOUND) == (200, worker)
        assert slow.recv(1) == b""  # the server closed it
        slow.close()
        line.send(b"x")  # held far past the head's deadline, and still answered
        assert holding.result(timeout=BOUND) == (200, worker)
        line.close()
    finally:
        server.close()


def test_slow_heads_hold_no_thread_however_many_come():
    """Slowloris with reconnects: the head's deadline alone freed a thread only after it, so a
    client opening a few slow connections every few seconds kept every thread busy and every
    other request waited for that deadline. Heads are read on the worker's loop: with three
    times as many slow heads as threads, and a deadline far past the test's bound, a request
    is still answered (docs/decisions/0102-request-heads-read-on-the-loop.md)."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "600"})
    try:
        with slow_clients(server, b"GET /pid HTTP/1.1\r\n") as slow:
            status, _pid = server.get("/pid").result(timeout=BOUND)
            assert status == 200
            # And a slow head, once whole, is served as any other.
            slow[0].sendall(b"Host: x\r\nConnection: close\r\n\r\n")
            assert slow[0].recv(64).startswith(b"HTTP/1.1 200")
    finally:
        server.close()


def test_slow_small_bodies_hold_no_thread_and_arrive_whole():
    """The same with a whole head and a form's body sent slowly: read on the loop too, and the
    application reads the whole body once it has come, the bytes read on the loop first."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_BODY_SECONDS": "600"})
    try:
        with slow_clients(
            server, b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"a" * 40
        ) as slow:
            status, _pid = server.get("/pid").result(timeout=BOUND)
            assert status == 200
            slow[0].sendall(b"b" * 60)
            answer = http.client.HTTPResponse(slow[0])
            answer.begin()
            assert (answer.status, answer.read()) == (200, b"100")  # every byte, in one body
    finally:
        server.close()


def test_a_client_that_expects_100_continue_gets_it_before_sending_its_body():
    """curl and .NET send "Expect: 100-continue" and wait for "100 Continue" (a thread's to
    send) before the body: the loop must not wait for a body that waits for it."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_BODY_SECONDS": "600"})
    try:
        client = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        client.sendall(
            b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
        )
        assert client.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        client.sendall(b"0123456789")
        answer = http.client.HTTPResponse(client)
        answer.begin()
        assert (answer.status, answer.read()) == (200, b"10")
        client.close()
    finally:
        server.close()


def test_a_slow_head_is_still_closed_at_its_deadline():
    """Read on the loop, a head that never ends is dropped at REQUEST_HEAD_SECONDS, and a body
    that stops short at its budget gets the 400 the body's reader gives a cut."""
    server = Server(
        workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "1", "PORTAL_REQUEST_BODY_SECONDS": "1"}
    )
    try:
        head = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        head.sendall(b"GET /pid HTTP/1.1\r\n")
        body = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        body.sendall(b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab")
        assert head.recv(1) == b""  # closed, nothing answered
        answer = body.recv(4096)
        assert answer.startswith(b"HTTP/1.1 400") or answer == b"", answer
        head.close()
        body.close()
    finally:
        server.close()


def test_a_content_length_of_thousands_of_digits_is_refused_and_the_worker_lives_on():
    """int() refuses more than 4,300 digits: raised in the loop's head scan, the ValueError ended
    the worker (and every request on it); gunicorn's parser answers such a head with 400."""
    server = Server(workers=1, threads=2)
    try:
        _status, worker = server.get("/pid").result(timeout=BOUND)
        client = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        client.sendall(b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n")
        assert client.recv(64).startswith(b"HTTP/1.1 400")
        client.close()
        assert server.get("/pid").result(timeout=BOUND) == (200, worker)  # the same process
    finally:
        server.close()


def test_the_next_requests_first_bytes_sent_with_a_request_hold_no_thread():
    """A whole request and the first byte of the next one, in one packet: the byte stayed in the
    parser's buffer, gthread handed the connection straight back to a thread, and the thread
    waited for the rest of that head in a blocking read, as a slow head did before the loop
    read heads. The rest is read on the loop; pipelined requests are answered in order."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "600"})
    try:
        with slow_clients(server, b"GET /pid HTTP/1.1\r\nHost: x\r\n\r\nG") as slow:
            status, worker = server.get("/pid").result(timeout=BOUND)
            assert status == 200
            # The held-back request, once whole, is served on the same connection, after the first.
            slow[0].sendall(
                b"ET /pid HTTP/1.1\r\nHost: x\r\n\r\n"
                + b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
            )
            replies = slow[0].makefile("rb")  # one buffer for the three answers
            answers = []
            for _ in range(3):
                status = int(replies.readline().split()[1])
                headers = dict(
                    line.rstrip(b"\r\n").lower().split(b": ", 1) for line in iter(replies.readline, b"\r\n")
                )
                answers.append((status, replies.read(int(headers[b"content-length"]))))
            assert answers == [(200, str(worker).encode()), (200, str(worker).encode()), (200, b"3")]
    finally:
        server.close()


@pytest.mark.parametrize("shut", [False, True], ids=["open", "half-closed"])
def test_a_head_ended_by_bare_line_feeds_gets_gunicorns_400_at_once(shut):
    """gunicorn answers a head whose blank line is "\\n\\n" with 400 at once; the loop waited
    for "\\r\\n\\r\\n" until the head's deadline and closed the connection without a word (and
    at once, also without one, when the client had half-closed)."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "600"})
    try:
        client = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        client.sendall(b"GET /pid HTTP/1.1\nHost: x\n\n")
        if shut:
            client.shutdown(socket.SHUT_WR)
        assert client.recv(64).startswith(b"HTTP/1.1 400")
        client.close()
    finally:
        server.close()


def test_a_stopping_worker_does_not_wait_a_heads_deadline_for_a_connection_that_sent_nothing():
    """A connection opened and not used yet (a browser's preconnect) is read on the loop: a
    stopping worker kept it, and so did not exit, until the head's deadline (15 s as shipped;
    gthread gives such a connection about 5 s). It goes after gthread's linger of a kept-alive one,
    while a head already coming is still read and answered."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "600"})
    try:
        idle = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        coming = socket.create_connection(("127.0.0.1", server.port), timeout=BOUND)
        coming.sendall(b"GET /pid HTTP/1.1\r\n")
        assert server.get("/pid").result(timeout=BOUND)[0] == 200  # both are being read by now
        os.killpg(server.process.pid, signal.SIGTERM)
        assert idle.recv(1) == b""  # closed, well before the head's deadline
        coming.sendall(b"Host: x\r\n\r\n")
        assert coming.recv(64).startswith(b"HTTP/1.1 200")
        assert server.process.wait(timeout=BOUND) == 0
        idle.close()
        coming.close()
    finally:
        if server.process.poll() is None:
            server.close()
        else:  # stopped by the test
            server.pool.shutdown(wait=False)
            server.blockers.close()


def test_a_head_past_the_loops_buffer_is_refused_there_and_holds_no_thread():
    """gunicorn takes a head of up to 100 fields of 8 KB: one past the loop's 64 KiB went to a
    thread, which waited for the rest in a blocking read until the head's deadline, as slow heads
    did before the loop read them. Such a head is refused with 431 on the loop."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_HEAD_SECONDS": "600"})
    try:
        with slow_clients(
            server, b"GET /pid HTTP/1.1\r\n" + b"".join(b"X-%d: %s\r\n" % (i, b"a" * 8000) for i in range(9))
        ) as slow:
            assert server.get("/pid").result(timeout=BOUND)[0] == 200
            assert slow[0].recv(64).startswith(b"HTTP/1.1 431")
    finally:
        server.close()


def test_clients_that_expect_100_continue_and_send_their_bodies_slowly_hold_no_thread():
    """An "Expect: 100-continue" body went to a thread, which sent "100 Continue" and waited for
    the body on its budget: the header was all a slow client needed to hold a thread. The loop
    answers "100 Continue" itself, once, and reads the body as any other."""
    server = Server(workers=1, threads=2, env={"PORTAL_REQUEST_BODY_SECONDS": "600"})
    try:
        with slow_clients(
            server, b"POST /read HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n"
        ) as slow:
            assert server.get("/pid").result(timeout=BOUND)[0] == 200
            assert slow[0].recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
            slow[0].sendall(b"0123456789")
            answer = slow[0].recv(4096)
            while not answer.endswith(b"\r\n\r\n10"):
                piece = slow[0].recv(4096)
                assert piece, answer
                answer += piece
            assert answer.startswith(b"HTTP/1.1 200 OK\r\n")  # the answer, and no second 100 before it
    finally:
        server.close()


# --- One quick request at a time (docs/decisions/0098-one-quick-request-at-a-time.md) -----------
# On the worker's own loop with two threads: "how long the running request has run" is set, not
# waited for.
RUN_ALONE = 0.010  # the embedded default


def test_database_urls_of_sqlite_and_of_a_server():
    from portal.gunicorn_worker import sqlite_url

    assert sqlite_url("")  # unset: the embedded default
    assert sqlite_url("sqlite:////srv/portal/portal.sqlite3")
    assert not sqlite_url("postgres://portal@db.internal/portal")


def test_the_quick_time_follows_the_database_django_uses(monkeypatch):
    """In a worker the application is loaded, so Django's database decides, not DATABASE_URL
    (which .env may set only for Django): here the opposite of the test run's database."""
    from django.db import connection

    from portal.gunicorn_worker import run_alone_ms

    monkeypatch.delenv("PORTAL_RUN_ALONE_MS", raising=False)
    embedded = connection.vendor == "sqlite"
    monkeypatch.setenv("DATABASE_URL", "postgres://portal@db.internal/portal" if embedded else "")
    assert run_alone_ms() == (10 if embedded else 0)
    monkeypatch.setenv("PORTAL_RUN_ALONE_MS", "25")  # the setting wins either way
    assert run_alone_ms() == 25
    monkeypatch.setenv("PORTAL_RUN_ALONE_MS", "0")
    assert run_alone_ms() == 0


def test_a_blank_quick_time_is_the_database_s_default(monkeypatch):
    """`PORTAL_RUN_ALONE_MS= ` (a space left in .env) was read as 0 on SQLite, where the
    default is 10: blank is unset, as for every other number."""
    from django.db import connection

    from portal.gunicorn_worker import run_alone_ms

    monkeypatch.setenv("PORTAL_RUN_ALONE_MS", " ")
    assert run_alone_ms() == (10 if connection.vendor == "sqlite" else 0)


def served_connection(worker) -> tuple[object, socket.socket]:
    """A connection whose request came in, as gthread's loop hands it on, and the client's end."""
    from gunicorn.workers.gthread import TConn

    client, served = socket.socketpair()
    client.settimeout(BOUND)
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    worker.nr_conns += 1
    return TConn(worker.cfg, served, ("127.0.0.1", 0), ("127.0.0.1", 0)), client


def running_for(worker, seconds: float):
    """As when a thread has been serving a connection's request for `seconds`."""
    serving, _client = served_connection(worker)
    worker.running[serving] = time.monotonic() - seconds
    return serving


def finished():
    """A request's future as gthread's pool hands it back: done, connection not kept."""
    from concurrent.futures import Future

    done: Future = Future()
    done.set_result(False)
    return done


@pytest.mark.parametrize("loop_worker", [2], indirect=True)
def test_a_request_waits_while_a_quick_one_runs_and_starts_when_it_ends(loop_worker):
    worker, *_ = loop_worker
    quick = running_for(worker, 0)
    conn, client = served_connection(worker)
    worker.enqueue_req(conn)
    assert list(worker.waiting_to_run) == [conn] and conn not in worker.running  # a thread is free
    assert not worker.has_free_thread()  # a new connection would wait too: left to the other worker
    assert worker.next_start() == pytest.approx(worker.running[quick] + RUN_ALONE)
    worker.finish_request(quick, finished())
    assert conn in worker.running and not worker.waiting_to_run
    assert client.recv(64).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("loop_worker", [2], indirect=True)
def test_a_request_starts_beside_one_that_has_run_past_the_quick_time(loop_worker):
    """A request waiting on a vendor (or a slow client) leaves the other thread to customers."""
    worker, *_ = loop_worker
    running_for(worker, RUN_ALONE)
    assert worker.has_free_thread()
    conn, client = served_connection(worker)
    worker.enqueue_req(conn)
    assert conn in worker.running and not worker.waiting_to_run
    assert client.recv(64).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("loop_worker", [2], indirect=True)
def test_the_loop_starts_a_waiting_request_once_the_running_one_has_become_slow(loop_worker):
    worker, *_ = loop_worker
    slow = running_for(worker, 0)
    conn, client = served_connection(worker)
    worker.enqueue_req(conn)
    assert conn in worker.waiting_to_run
    worker.running[slow] -= RUN_ALONE  # it has run that long now
    worker.wait_for_and_dispatch_events(0)  # a turn of the loop
    assert conn in worker.running
    assert client.recv(64).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("loop_worker", [2], indirect=True)
def test_waiting_requests_start_in_the_order_they_came(loop_worker):
    worker, *_ = loop_worker
    quick = running_for(worker, 0)
    first, first_client = served_connection(worker)
    second, second_client = served_connection(worker)
    worker.enqueue_req(first)
    worker.enqueue_req(second)
    worker.finish_request(quick, finished())
    assert first in worker.running and list(worker.waiting_to_run) == [second]


def test_a_request_waiting_on_a_vendor_leaves_the_next_thread_to_customers():
    """Under real gunicorn, one worker, two threads: `/block` holds its thread (a vendor that
    does not answer); the next request is answered while it still waits."""
    server = Server(workers=1, threads=2, env={"PORTAL_RUN_ALONE_MS": "10"})
    try:
        holding = server.get("/block")
        line, worker = server.blocked()
        assert server.get("/pid").result(timeout=BOUND) == (200, worker)
        assert not holding.done()
        line.send(b"x")
        assert holding.result(timeout=BOUND) == (200, worker)
        line.close()
    finally:
        server.close()


class SpySelector:
    """The worker's real selector, with the timeouts its loop waited for written down."""

    def __init__(self, selector):
        self.selector, self.timeouts = selector, []

    def select(self, timeout=None):
        self.timeouts.append(timeout)
        return self.selector.select(timeout)

    def __getattr__(self, name):
        return getattr(self.selector, name)


@pytest.mark.parametrize("loop_worker", [2], indirect=True)
def test_the_loop_wakes_in_time_to_start_a_request_behind_one_becoming_slow(loop_worker):
    """No other event comes: gthread's loop asks for a turn of up to 1 s; the worker shortens it
    to when the running request will have run RUN_ALONE."""
    worker, *_ = loop_worker
    running_for(worker, 0)
    conn, client = served_connection(worker)
    worker.enqueue_req(conn)
    worker.poller = spy = SpySelector(worker.poller)
    worker.wait_for_and_dispatch_events(1.0)  # what gthread's run() passes
    assert spy.timeouts and all(timeout <= RUN_ALONE for timeout in spy.timeouts)
    while conn not in worker.running:  # each turn waits at most until the quick time is over
        worker.wait_for_and_dispatch_events(1.0)
    assert client.recv(64).startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize("loop_worker", [1], indirect=True)
def test_with_no_quick_time_a_queued_request_goes_to_the_free_thread_without_the_loop(loop_worker):
    """PORTAL_RUN_ALONE_MS=0 (a database server's default) is gthread's behaviour: a request
    queued behind a busy thread starts when the thread is free, with no turn of the loop."""
    worker, *_ = loop_worker
    worker.run_alone = 0
    first, first_client = served_connection(worker)
    second, second_client = served_connection(worker)
    worker.enqueue_req(first)
    worker.enqueue_req(second)
    assert first_client.recv(64).startswith(b"HTTP/1.1 200")
    assert second_client.recv(64).startswith(b"HTTP/1.1 200")  # no loop turn in between


@pytest.mark.parametrize("loop_worker", [2], indirect=True)
def test_a_stopping_worker_hands_waiting_requests_to_its_pool(loop_worker):
    """gthread's run() ends a stop by closing kept-alive connections and shutting the pool
    down; a request still waiting then goes to the pool's queue, served as the process exits,
    as plain gthread serves what is queued there."""
    worker, *_ = loop_worker
    running_for(worker, 0)
    conn, client = served_connection(worker)
    worker.enqueue_req(conn)
    assert conn in worker.waiting_to_run
    worker.murder_keepalived(force=True)
    assert not worker.waiting_to_run
    assert client.recv(64).startswith(b"HTTP/1.1 200")
