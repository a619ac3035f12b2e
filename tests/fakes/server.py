"""A real HTTP server on 127.0.0.1 for fake vendor systems.

Each fake vendor subclasses `FakeVendorHandler`, answers in `route()`, and is started with
`running(FakeServer(handler_class))`. The server records every request (method, path, query,
headers, body) so tests can assert exactly what our code sent, and can be told to be slow
(`server.delay`, for benches that simulate latency) or to hang: `server.hang()` accepts every
connection, reads the request and never answers, like a sick appliance, until `server.release()`
or the server stops. `server.hold()` is a slow vendor whose pace the test sets: every request
waits until `server.release()` and is then answered normally (tests await events, not sleeps).
`server.garbage = b"..."` answers every request with those raw bytes instead of HTTP.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HANG_SECONDS = 120  # a hung request is dropped after this long, whatever the test does


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    @property
    def json(self):
        return json.loads(self.body or b"null")


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "application/xml; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


class FakeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, handler_class: type[FakeVendorHandler]):
        super().__init__(("127.0.0.1", 0), handler_class)
        self.requests: list[Recorded] = []
        self.lock = threading.Lock()
        self.delay = 0.0  # seconds to wait before answering: latency for benches (tests hold())
        self.state: dict = {}
        self.hanging = False
        self.holding = False
        self.garbage: bytes | None = None  # answer every request with these raw bytes
        self._released = threading.Event()
        self._arrived = threading.Condition(self.lock)

    def hang(self) -> None:
        """From now on accept and read every request and never answer it."""
        with self.lock:
            self._released.clear()
            self.hanging = True

    def hold(self) -> None:
        """From now on accept and read every request and answer it only after `release()`."""
        with self.lock:
            self._released.clear()
            self.holding = True

    def release(self) -> None:
        """Stop hanging or holding: requests hung so far are dropped without an answer, requests
        held so far are answered."""
        with self.lock:
            self.hanging = self.holding = False
            self._released.set()

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        assert isinstance(host, str)  # an AF_INET server: an address, never bytes
        return f"http://{host}:{port}"

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Until `count` requests have arrived (an event, not a sleep); False after `timeout`."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.requests) >= count, timeout)

    def calls(self, path: str | None = None) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if path is None or r.path == path]


class FakeVendorHandler(BaseHTTPRequestHandler):
    server: FakeServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def route(self, request: Recorded) -> Reply:  # pragma: no cover - subclasses answer
        return Reply(404, b"not found", "text/plain")

    def _handle(self):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Recorded(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        with self.server.lock:
            self.server.requests.append(request)
            self.server._arrived.notify_all()
            hanging, holding = self.server.hanging, self.server.holding
        if hanging:
            self.server._released.wait(HANG_SECONDS)
            self.close_connection = True
            return
        if holding and not self.server._released.wait(HANG_SECONDS):
            self.close_connection = True  # the test never released it: dropped, as a hang
            return
        if self.server.garbage is not None:  # not HTTP at all, then the connection closes
            self.wfile.write(self.server.garbage)
            self.close_connection = True
            return
        if self.server.delay:
            time.sleep(self.server.delay)
        reply = self.route(request)
        payload = reply.body.encode("utf-8") if isinstance(reply.body, str) else reply.body
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if request.headers.get("connection", "").lower() == "close":
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


@contextlib.contextmanager
def running(server: FakeServer):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class SilentService:
    """A TCP server on 127.0.0.1 that accepts every connection and never answers (a hung Redis
    or database host); `accepted` counts the connections it took."""

    def __init__(self) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port: int = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def accepted(self) -> int:
        return len(self.held)

    def _accept(self) -> None:
        while True:
            try:
                connection, _address = self.listener.accept()
            except OSError:  # closed: the test is over
                return
            self.held.append(connection)  # kept open, never read, never written


@contextlib.contextmanager
def silent_service():
    """A running SilentService, closed with every connection it held when the block ends."""
    service = SilentService()
    service._thread.start()
    try:
        yield service
    finally:
        with contextlib.suppress(OSError):
            service.listener.shutdown(socket.SHUT_RDWR)  # ends the accept() the thread waits in
        service.listener.close()
        for connection in service.held:
            connection.close()
        service._thread.join(timeout=10)
