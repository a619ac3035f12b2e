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

import http.client
import os
import signal
import socket
import subprocess
import sys
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
def loop_worker(tmp_path):
    import selectors

    from gunicorn.config import Config

    from portal.gunicorn_worker import HOLD_SECONDS, BalancedThreadWorker

    cfg = Config()
    for name, value in {"workers": 2, "threads": 1, "worker_connections": 2, "keepalive": 0}.items():
        cfg.set(name, value)
    listener = socket.create_server(("127.0.0.1", 0))
    worker = BalancedThreadWorker(0, os.getpid(), [listener], None, 30, cfg, Log())
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

    def busy(*, held_for: float) -> None:
        """As after one request was handed to the only thread and the hold began `held_for` ago."""
        worker.in_pool, worker.nr_conns = {object()}, 1  # a connection its one thread is serving
        worker.set_accept_enabled(True)  # what gthread's loop asks for
        worker.held_since -= held_for

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
    busy(held_for=hold)
    client = waiting_connection()
    worker.wait_for_and_dispatch_events(1.0)
    assert worker.nr_conns == 2 and worker.busy_threads == 2  # taken, queued for the thread
    assert not worker._accepting and worker.held_since is not None  # and holding back again
    assert client.recv(64).startswith(b"HTTP/1.1 200")  # served once the thread got to it


def test_a_full_worker_takes_nothing_even_after_the_hold(loop_worker):
    worker, waiting_connection, busy, hold = loop_worker
    busy(held_for=hold)
    worker.nr_conns = worker.worker_connections  # gthread's own limit
    waiting_connection()
    worker.wait_for_and_dispatch_events(0)
    assert worker.nr_conns == worker.worker_connections and not worker._accepting


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
