"""gunicorn's gthread worker, taking a new connection only while one of its threads is free
(docs/decisions/0087-balanced-gthread-workers.md).

gthread accepts every connection it is woken for and queues the request for its thread pool,
however busy the pool is. Several workers share one listening socket, so whichever wakes first
takes a burst of new connections, and a keep-alive client (a browser, a reverse proxy, a load
generator) stays with that worker for as long as the connection lives. Seen here under wrk: all
32 connections on one of two workers in about one run out of three, the other worker idle, and
the API answering half as many requests a second as when they were spread.

This worker stops listening while all of its threads are busy and starts again as soon as one
is free, so a new connection is taken by a worker that can serve it now, or waits in the
kernel's backlog (as it would have waited in the busy worker's queue) until one can. Requests on
connections it already holds are queued as before, and a thread waiting on a vendor frees the
worker's other threads for customers exactly as before; it only stops taking new customers it
could not serve yet.

A request's head (the request line and headers), and a body of announced length up to
BODY_BUFFER_MAX (every customer form and API call), is read on the worker's own loop, without a
thread; only a whole request goes to a thread (docs/decisions/0102-request-heads-read-on-the-loop.md).
gthread gave each new connection a thread that waited in a blocking read: a client that sends a
byte and then nothing, or a byte every few seconds (slowloris), held it, and a handful of such
connections, opened again as they were closed, kept every thread of a 2 x 4 server busy. Now
such a client holds a socket, and the loop closes it when its head is not in after
REQUEST_HEAD_SECONDS (a body: after its own budget, below); a client that expects
`100 Continue` gets it from the loop. A connection whose bytes go to a thread before they are
all there (TLS, HTTP/2, a larger or chunked body) keeps the bounds below.

The body has a budget of its own, counted only while it is being read and grown only by what
arrives: a client that sends its head and then its body a byte at a time held a thread just as
long. The time the application spends between its reads (its own work, a vendor it waits on) is
never counted, so only the client's slowness is cut. A body cut short, or ended early by the
client, is Django's BadRequest (a 400 page), never a short body taken for a whole one.

With the embedded SQLite database it runs one request at a time while that request is quick, and
starts the next one beside it only once the running one has taken RUN_ALONE_SECONDS (then it is
most likely waiting: on a vendor, a slow client, a lock). Threads of one process share the GIL:
four requests run at once take as long in all as four in a row, but each of them waits for the
others between every SQLite call and socket read, and their writes meet in SQLite, whose busy
handler sleeps 1, 2, 5 … ms. Under wrk that was the starts' slowest percent: key starts at p99
65–80 ms with four threads at once, 43–56 ms one at a time in the first side-by-side run
(docs/decisions/0098-one-quick-request-at-a-time.md). A request waiting on a vendor still leaves
the worker's other threads to customers, RUN_ALONE_SECONDS later. With a database server every
request starts at once (run_alone_ms).

Only gunicorn is imported here, and `portal.conf`'s number reading (which sets nothing up): the
arbiter loads this class before Django is set up, and the database the gate depends on is asked
once the worker has loaded the application (load_wsgi). Its numbers are read, and their bounds
checked, when gunicorn.conf.py imports it: a bad one stops gunicorn before it listens.
"""

from __future__ import annotations

import errno
import os
import re
import selectors
import socket
import time
from collections import deque
from functools import partial

from gunicorn.http2 import negotiation
from gunicorn.workers.gthread import STOP_KEEPALIVE_LINGER, TConn, ThreadWorker

from portal.conf import bounded_number

# How often a worker whose threads are all busy looks for a connection that no other worker
# took (nginx's accept_mutex_delay, in small). Without it a worker whose keep-alive clients keep
# every thread busy would never take a new connection again, and with every worker that busy
# new customers would wait for an old connection to close. PORTAL_ACCEPT_HOLD_MS sets it (the
# tests make it long, so that a race with this look cannot pass for a balancing fault).
HOLD_SECONDS = bounded_number(os.environ, "PORTAL_ACCEPT_HOLD_MS", 5, at_least=1) / 1000

# How long a connection just taken, whose request head has not come yet, counts as a busy
# thread. A client sends its head right after connecting, so it is usually there within a
# millisecond: counting it keeps a burst of new connections (a proxy's pool, wrk's 32) from
# all going to the worker that woke first, which took every one of them while their heads were
# still on the way (docs/decisions/0107-arriving-connections-count-as-busy.md). Only for this
# long: a client that sends nothing must not keep a worker from taking new connections.
# PORTAL_ARRIVING_MS sets it (0: never counted; the tests make it long).
ARRIVING_SECONDS = bounded_number(os.environ, "PORTAL_ARRIVING_MS", 50, at_least=0) / 1000


def run_alone_ms() -> int:
    """How long a request runs alone on its worker before the worker starts the next one beside
    it: PORTAL_RUN_ALONE_MS, 0 for never (every request goes straight to gthread's pool).

    By default 10 ms with the embedded SQLite database: far longer than a page or a start takes
    there (about 1 ms), far shorter than a customer notices; a Take Control REST start waiting
    on the vendor delays the worker's other customers by that much, once. With a database server
    0: each of a request's round trips to it and to Redis is a wait the worker would sit through
    alone, and there the side-by-side bench lost up to a sixth of the bare view's requests a
    second (docs/decisions/0098-one-quick-request-at-a-time.md).
    """
    if os.environ.get("PORTAL_RUN_ALONE_MS", "").strip():  # blank is unset, as every number's
        return bounded_number(os.environ, "PORTAL_RUN_ALONE_MS", 0, at_least=0)
    return 10 if embedded_database() else 0


def embedded_database() -> bool:
    """Whether the application's database is SQLite: Django's own answer once the worker has
    loaded the application (its settings read .env), else DATABASE_URL's."""
    from django.conf import settings  # not Django's setup: only whether it has happened

    if settings.configured:
        from django.db import connections

        return connections["default"].vendor == "sqlite"
    return sqlite_url(os.environ.get("DATABASE_URL", ""))


def sqlite_url(database_url: str) -> bool:
    """Whether DATABASE_URL names SQLite (unset: the embedded default, portal/settings.py)."""
    return not database_url or database_url.startswith("sqlite")


RUN_ALONE_SECONDS = run_alone_ms() / 1000
# How long a connection may take to send a request's head, from when a thread takes it up:
# nginx's client_header_timeout (60 s) is for the open internet; a customer's browser sends its
# head at once, and gthread first waits up to 5 s for a new connection's first byte without
# holding a thread past that (its DEFAULT_WORKER_DATA_TIMEOUT). PORTAL_REQUEST_HEAD_SECONDS sets
# it (the tests make it short).
REQUEST_HEAD_SECONDS = bounded_number(os.environ, "PORTAL_REQUEST_HEAD_SECONDS", 15.0, above=0)
# A request head is read on the worker's main loop, without a thread, until its blank line has
# come (or this much of it, past which gunicorn's own limits answer 431 or 414); only then is the
# connection handed to a thread. A client that sends its head a byte at a time, or nothing at
# all, holds no thread while it does, only a socket, until REQUEST_HEAD_SECONDS.
# A body of a length announced up to BODY_BUFFER_MAX (every customer form and API call; not an
# admin logo upload) is read there too, on the body's own budget (REQUEST_BODY_SECONDS plus a
# second per BODY_MIN_RATE bytes announced): a client that sends it slowly holds no thread either.
HEAD_END = b"\r\n\r\n"
CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*([^\r]*?)[ \t]*(?=\r|$)")  # in a lowered head
EXPECT = re.compile(rb"\r\nexpect:[ \t]*([^\r]*?)[ \t]*(?=\r|$)")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
HEAD_BUFFER_MAX = 64 * 1024
# gunicorn's own limits (100 fields of 8 KB) let a head grow to about 800 KB, which a thread would
# wait for in a blocking read: a head past HEAD_BUFFER_MAX is refused on the loop instead.
HEAD_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
)
BODY_BUFFER_MAX = 256 * 1024

# How long the reads of a request body may take: REQUEST_BODY_SECONDS, plus a second for every
# BODY_MIN_RATE bytes that have arrived (Apache mod_reqtimeout's `body=…,MinRate=…`). Counted
# on what the client sent, never on the Content-Length it announced: a client that announces
# megabytes and sends nothing is cut after REQUEST_BODY_SECONDS. A customer's form (a few KB)
# has 15 s at any speed; a larger body must keep coming at 8 KB/s (64 kbit/s, a poor mobile
# link). PORTAL_REQUEST_BODY_SECONDS sets the first part (the tests make it short).
REQUEST_BODY_SECONDS = bounded_number(os.environ, "PORTAL_REQUEST_BODY_SECONDS", 15.0, above=0)
BODY_MIN_RATE = 8 * 1024  # bytes a second
# Reads are made in steps this large, so that what arrives extends the budget as it comes.
BODY_STEP = 16 * 1024
# After the application's answer, gunicorn reads what is left of a body before the connection
# takes its next request: this long at most, in all (gunicorn's own drain limit is per read).
DRAIN_SECONDS = 5.0


class DeadlineReader:
    """A request body's reader (gunicorn's LengthReader or ChunkedReader) on a budget of time.

    While a read runs, `conn.body_deadline` says until when; the worker's main loop shuts the
    reading side of a connection past it and sets `conn.body_cut`. The application's read then
    raises Django's BadRequest, never hands back a short body; so does a body that ends (the
    client closed its side) before its announced length. Once the application has answered
    (`draining`), what is left gets DRAIN_SECONDS, and a cut is a socket timeout, which gunicorn
    takes as a body it could not drain: the connection is closed, nothing is logged as an error.
    Only the reads are timed: the application's own time between them is never counted.
    """

    def __init__(self, reader, conn):
        self.reader = reader
        self.conn = conn
        self.expected: int | None = getattr(reader, "length", None)  # announced (LengthReader)
        self.received = 0
        self.used = 0.0  # seconds spent in the application's reads
        self.draining = False
        self.drain_used = 0.0

    def allowance(self) -> float:
        if self.draining:
            return DRAIN_SECONDS - self.drain_used
        return REQUEST_BODY_SECONDS + self.received / BODY_MIN_RATE - self.used

    def read(self, size):
        pieces, got = [], 0
        while got < size:
            piece = self.read_step(min(BODY_STEP, size - got))
            if not piece:
                if not self.draining and self.expected is not None and self.received < self.expected:
                    raise too_slow("The request body ended before its announced length.")
                break
            pieces.append(piece)
            got += len(piece)
        return b"".join(pieces)

    def read_step(self, size: int) -> bytes:
        conn = self.conn
        allowance = self.allowance()
        if conn.body_cut or allowance <= 0:
            raise self.cut()
        started = time.monotonic()
        conn.body_deadline = started + allowance
        try:
            piece = self.reader.read(size)
        except Exception as exc:
            if conn.body_cut:
                raise self.cut() from exc
            raise
        finally:
            conn.body_deadline = None
            elapsed = time.monotonic() - started
            if self.draining:
                self.drain_used += elapsed
            else:
                self.used += elapsed
        if conn.body_cut:
            raise self.cut()
        self.received += len(piece)
        return piece

    def cut(self) -> Exception:
        if self.draining:
            return TimeoutError("the rest of the request body came too slowly")
        return too_slow("The request body did not arrive in time.")


def bare_lf_blank_line(buffer) -> bool:
    """Whether a buffer without CRLF CRLF has a blank line all the same, ended by a bare LF (a
    client or script writing "\\n"): no valid head has one, so the parser may refuse it now."""
    return b"\n\n" in buffer or b"\n\r\n" in buffer


def head_ended(buffer) -> bool:
    """Whether the buffer holds the end of a request head (a blank line, bare LF or not)."""
    return HEAD_END in buffer or bare_lf_blank_line(buffer)


def too_slow(message: str) -> Exception:
    # Django is set up by the time a request is read (the app is loaded); not at import.
    from django.core.exceptions import BadRequest

    return BadRequest(message)


class BalancedThreadWorker(ThreadWorker):
    """`worker_class = "portal.gunicorn_worker.BalancedThreadWorker"` (gunicorn.conf.py).

    Built on gunicorn 27's gthread event loop (pyproject.toml pins the major version); every
    method overridden here runs on the worker's main loop, so the count needs no lock. With a
    single worker there is nobody to leave a connection to, and it behaves as gthread does (the
    number of workers is the configured one: TTIN/TTOU at run time do not change it).
    `worker_connections` stays gthread's limit: a worker that is full takes nothing, hold or not.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.held_since: float | None = None  # since when new connections are left to the others
        # The connections with a request for this worker, not finished yet: running (handed to
        # gthread's pool) or waiting to. On the main loop only; their deadlines are the heads'
        # and bodies' own.
        self.running: dict = {}  # connection -> since when it was handed to the pool
        self.waiting_to_run: deque = deque()  # in the order their requests came
        self.run_alone = RUN_ALONE_SECONDS
        # Connections whose request head is still coming, read on this loop: conn -> deadline.
        self.reading_heads: dict = {}
        # Of those, the ones taken from the listener less than ARRIVING_SECONDS ago: conn ->
        # when. They count as busy threads (arriving()).
        self.arriving_since: dict = {}
        self.stopping_since: float | None = None

    @property
    def busy_threads(self) -> int:
        return len(self.running) + len(self.waiting_to_run)

    def load_wsgi(self) -> None:
        # The application is loaded, its settings too: the database it really uses decides.
        super().load_wsgi()
        self.run_alone = run_alone_ms() / 1000

    def has_free_thread(self) -> bool:
        """Whether a new connection's request would start at once: none waits, and the requests
        running and those about to arrive leave a thread."""
        if self.cfg.workers < 2:
            return True
        now = time.monotonic()
        return (
            not self.waiting_to_run
            and self.may_start(now)
            and len(self.running) + self.arriving(now) < self.cfg.threads
        )

    def arriving(self, now: float) -> int:
        """How many connections were taken less than ARRIVING_SECONDS ago and have not sent
        their request head yet."""
        for conn, since in list(self.arriving_since.items()):
            if now - since >= ARRIVING_SECONDS:
                del self.arriving_since[conn]
        return len(self.arriving_since)

    def may_start(self, now: float) -> bool:
        """A thread is free, and every request running has run `run_alone` (none is quick)."""
        if len(self.running) >= self.cfg.threads:
            return False
        return all(now - since >= self.run_alone for since in self.running.values())

    def start_waiting(self) -> None:
        """Hands waiting requests to the pool, first come first, for as long as they may start."""
        now = time.monotonic()
        while self.waiting_to_run and self.may_start(now):
            self.start(self.waiting_to_run.popleft(), now)

    def start(self, conn, now: float) -> None:
        """Hands a request to gthread's pool (its thread, or its queue for the next free one)."""
        self.running[conn] = now
        super().enqueue_req(conn)

    def next_start(self) -> float | None:
        """When a waiting request may start beside those running, if nothing ends before."""
        if not self.waiting_to_run or not self.running or len(self.running) >= self.cfg.threads:
            return None
        return max(self.running.values()) + self.run_alone

    def set_accept_enabled(self, enabled: bool) -> None:
        # gthread's loop asks for "accept" on each turn it is under worker_connections and not
        # accepting yet: granted while a thread is free; otherwise the worker holds back.
        if enabled and self.alive and not self.has_free_thread():
            if self.held_since is None:
                self.held_since = time.monotonic()
            enabled = False
        else:
            self.held_since = None
        super().set_accept_enabled(enabled)

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """A turn of gthread's loop, woken in time to start a request that waits behind one that
        has become slow."""
        next_start = self.next_start()
        if next_start is not None:
            timeout = max(0.0, min(timeout, next_start - time.monotonic()))
        try:
            self.wait_with_hold(timeout)
        finally:
            self.start_waiting()

    def wait_with_hold(self, timeout: float) -> None:
        if self.held_since is not None and self.nr_conns >= self.worker_connections:
            # Full: gthread's own limit holds back now (the loop asks again when it is not).
            self.held_since = None
        if self.held_since is None:
            return super().wait_for_and_dispatch_events(timeout)
        remaining = self.held_since + HOLD_SECONDS - time.monotonic()
        if remaining > 0:
            return super().wait_for_and_dispatch_events(min(timeout, remaining))
        # The hold is over: take a connection that is still waiting, if there is one, and hold
        # back again while every thread is still busy.
        super().set_accept_enabled(True)
        try:
            super().wait_for_and_dispatch_events(0)
        finally:
            if self.alive and not self.has_free_thread():
                super().set_accept_enabled(False)
                self.held_since = time.monotonic()
            else:
                self.held_since = None  # a thread is free: go on accepting
        return None

    def enqueue_req(self, conn) -> None:
        if self.run_alone <= 0:  # no gate: straight to gthread's pool and its queue
            self.start(conn, time.monotonic())
        else:
            self.waiting_to_run.append(conn)
            self.start_waiting()
        self.hold_back_when_busy()

    def hold_back_when_busy(self) -> None:
        """Stops taking connections now if a new one's request would not start at once (a
        request queued, or the threads spoken for by requests and connections arriving)."""
        if self._accepting and not self.has_free_thread():
            self.set_accept_enabled(True)  # which holds back while no thread is free

    def finish_request(self, conn, fs) -> None:
        self.running.pop(conn, None)
        if self.next_request_read_ahead(conn, fs):
            # The client sent more than its request (pipelining, or its next request's first
            # bytes): gthread would hand the connection straight back to a thread, which would
            # wait in a blocking read for the rest. That rest is read on the loop like any head.
            conn.sock.setblocking(False)
            self.read_head(conn, conn.parser.unreader.take_buffered())
        else:
            super().finish_request(conn, fs)
        self.start_waiting()

    def next_request_read_ahead(self, conn, fs) -> bool:
        """Whether a kept-alive HTTP/1 connection's parser holds bytes past the request served."""
        if fs.cancelled() or fs.exception() is not None or fs.result() is not True:
            return False
        if conn.is_http2 or conn.parser is None or not self.buffers_heads(conn.client):
            return False
        return bool(conn.parser.unreader.buf.getvalue())

    def murder_keepalived(self, force=False) -> None:
        super().murder_keepalived(force)
        if force:
            # The stop's last step before the pool shuts down (gthread's run()): requests still
            # waiting go to the pool's queue, which is served as the process exits, as plain
            # gthread serves the requests queued there.
            while self.waiting_to_run:
                self.start(self.waiting_to_run.popleft(), time.monotonic())

    # -- the request head, read on the loop -------------------------------------------------------
    def buffers_heads(self, client) -> bool:
        """Plain HTTP/1 only: TLS bytes and an HTTP/2 preface are gthread's to read."""
        return not self.cfg.is_ssl and not negotiation.prior_knowledge_allowed(self.cfg, client)

    def accept(self, listener) -> None:
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, client_sock, client_addr, listener.getsockname())  # non-blocking
        if self.buffers_heads(client_addr):
            self.read_head(conn)
            if conn in self.reading_heads and ARRIVING_SECONDS > 0 and self.cfg.workers > 1:
                self.arriving_since[conn] = time.monotonic()  # its head is on the way
                self.hold_back_when_busy()
        else:
            client_sock.setblocking(True)
            self.enqueue_req(conn)

    def on_client_socket_readable(self, conn, client) -> None:
        """A kept-alive connection's next request: its head is read on the loop too."""
        if not self.buffers_heads(conn.client):
            return super().on_client_socket_readable(conn, client)
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self.read_head(conn)
        return None

    def read_head(self, conn, prefix: bytes = b"") -> None:
        conn.head_prefix, conn.head_needed, conn.head_watched = bytearray(prefix), None, False
        self.reading_heads[conn] = time.monotonic() + REQUEST_HEAD_SECONDS
        self.on_head_readable(conn, conn.sock)  # a kept-alive client's head is usually all there
        if conn in self.reading_heads and not conn.head_watched:  # still coming: on the loop
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_head_readable, conn))
            conn.head_watched = True

    def unwatch_head(self, conn) -> None:
        if getattr(conn, "head_watched", False):
            conn.head_watched = False
            try:
                self.poller.unregister(conn.sock)
            except (OSError, KeyError, ValueError):
                pass

    def on_head_readable(self, conn, sock) -> None:
        buffer = conn.head_prefix
        try:
            while not self.request_read(conn):
                piece = sock.recv(16 * 1024)
                if not piece:  # the client closed its side
                    break
                buffer += piece
        except (BlockingIOError, InterruptedError):
            return  # the rest is still coming: wait on the loop, not in a thread
        except OSError:
            self.drop_head(conn)
            return
        except Exception:  # never out of a poller callback: it would end the worker's loop
            self.log.exception("Error reading a request head from %s", conn.client)
            self.drop_head(conn)
            return
        self.hand_on(conn)

    def hand_on(self, conn) -> None:
        """To a thread, with what has come. A connection without a whole head is closed; one
        whose body stopped short (the client closed its side, or its budget is spent: then its
        reading side is shut here) goes on, and the body's reader refuses it (a 400 page, as
        DeadlineReader answers a cut), or the application answers without reading it."""
        prefix = conn.head_prefix
        if not head_ended(prefix):
            if len(prefix) < HEAD_BUFFER_MAX:
                self.drop_head(conn)
            else:
                self.refuse_head(conn)
            return
        self.unwatch_head(conn)
        self.reading_heads.pop(conn, None)
        self.arriving_since.pop(conn, None)
        conn.data_ready = True  # gthread's first-byte wait is over
        self.enqueue_req(conn)

    def request_read(self, conn) -> bool:
        """Whether the connection's buffer holds what a thread may take without waiting: the
        head, and a small body of announced length. Anything unusual (no blank line within
        HEAD_BUFFER_MAX, chunked, a length repeated or not a number, a large body) is handed on
        as it is, for gunicorn's parser to refuse or for the body's own budget."""
        buffer = conn.head_prefix
        end = buffer.find(HEAD_END)
        if end < 0:
            # A blank line ended by a bare LF ends no valid head: gunicorn's parser answers 400.
            return len(buffer) >= HEAD_BUFFER_MAX or bare_lf_blank_line(buffer)
        needed = getattr(conn, "head_needed", None)
        if needed is None:
            head = bytes(buffer[:end]).lower()  # one pass in C: this runs for every request
            lengths = CONTENT_LENGTH.findall(head)
            digits = (lengths[0] if len(lengths) == 1 and lengths[0].isdigit() else b"0").lstrip(b"0")
            # int() refuses more than 4,300 digits (a ValueError, which escaping this poller
            # callback ends the worker): a length of more digits than BODY_BUFFER_MAX's is larger.
            length = int(digits or b"0") if len(digits) <= len(str(BODY_BUFFER_MAX)) else BODY_BUFFER_MAX + 1
            if length > BODY_BUFFER_MAX or b"\r\ntransfer-encoding:" in head:
                length = 0
            elif b"\r\nexpect:" in head and not (length and self.send_continue(conn, head)):
                length = 0  # any other expectation: gunicorn's to answer (417), at once
            needed = conn.head_needed = end + len(HEAD_END) + length
            if length:  # the body's budget from here, as DeadlineReader counts it
                self.reading_heads[conn] = time.monotonic() + REQUEST_BODY_SECONDS + length / BODY_MIN_RATE
        return len(buffer) >= needed

    def send_continue(self, conn, head: bytes) -> bool:
        """A client that asks "Expect: 100-continue" sends its body only after "100 Continue":
        sent here, so that the body is read on the loop too (otherwise a thread waited for it, and
        the header was all a slow client needed to hold one). gunicorn then sends no second one."""
        if EXPECT.findall(head) != [b"100-continue"] or not head.split(b"\r\n", 1)[0].endswith(b" http/1.1"):
            return False
        try:
            sent = conn.sock.send(CONTINUE)
        except OSError:
            sent = 0
        if sent != len(CONTINUE):  # a client not reading its answers: its thread sends the rest
            conn.continue_sent = CONTINUE[sent:]
            return False
        conn.continue_sent = b""
        return True

    def refuse_head(self, conn) -> None:
        """A head past HEAD_BUFFER_MAX: 431, written into the empty socket buffer on the loop,
        and what has come since read away so that closing does not reset the answer."""
        self.log.info("Refusing a request head of more than %d bytes from %s", HEAD_BUFFER_MAX, conn.client)
        try:
            conn.sock.send(HEAD_TOO_LARGE)
            conn.sock.shutdown(socket.SHUT_WR)
            for _ in range(16):  # non-blocking: only what is there now
                if not conn.sock.recv(BODY_STEP):
                    break
        except OSError:
            pass
        self.drop_head(conn)

    def drop_head(self, conn) -> None:
        self.reading_heads.pop(conn, None)
        self.arriving_since.pop(conn, None)
        self.unwatch_head(conn)
        self.nr_conns -= 1
        conn.close()

    # -- the request head's deadline ------------------------------------------------------------
    def handle(self, conn):
        """In a pool thread: the head must be in by the deadline (handle_request clears it).
        gthread's own wait for a new connection's first byte is inside it, at most 5 s. A head
        read on the loop (`read_head`) goes to the parser first."""
        prefix = getattr(conn, "head_prefix", None)
        if prefix is not None:
            conn.head_prefix = conn.head_needed = None
            conn.sock.setblocking(True)
            conn.init()
            unreader = conn.parser.unreader
            unreader.buf.seek(0, os.SEEK_END)
            unreader.buf.write(bytes(prefix))  # after anything a body's drain read ahead
        conn.head_deadline = time.monotonic() + REQUEST_HEAD_SECONDS
        try:
            return super().handle(conn)
        finally:
            conn.head_deadline = None

    def handle_request(self, req, conn):
        conn.head_deadline = None  # the head is in; the body's reads have their own budget
        conn.body_deadline, conn.body_cut = None, False
        continue_sent = getattr(conn, "continue_sent", None)
        if continue_sent is not None:  # "100 Continue" went out from the loop (all, or a part)
            conn.continue_sent = None
            if req._expected_100_continue:
                req._expected_100_continue = False
                if continue_sent:
                    conn.sock.sendall(continue_sent)
        reader = req.body.reader = DeadlineReader(req.body.reader, conn)
        try:
            return super().handle_request(req, conn)
        finally:
            reader.draining = True  # what gunicorn reads from now on is the drain

    def murder_pending(self) -> None:
        """gthread's turn to close idle deferred connections, and ours to close the reading side
        of a connection whose head or body is late: the thread's blocking read then ends as if
        the client had left (gthread closes the connection quietly; a body's reader raises)."""
        super().murder_pending()
        now = time.monotonic()
        if not self.alive:
            # Stopping: a connection that has sent nothing yet (a browser's preconnect) is kept
            # as gthread keeps a kept-alive one, STOP_KEEPALIVE_LINGER, not the head's deadline.
            if self.stopping_since is None:
                self.stopping_since = now
            linger = self.stopping_since + STOP_KEEPALIVE_LINGER
            for conn, deadline in self.reading_heads.items():
                if not conn.head_prefix and deadline > linger:
                    self.reading_heads[conn] = linger
        for conn, deadline in list(self.reading_heads.items()):
            if now > deadline:
                if head_ended(conn.head_prefix):
                    self.log.info(
                        "Closing a connection from %s: its request body came too slowly", conn.client
                    )
                    self.stop_reading(conn)
                    self.hand_on(conn)
                else:
                    self.log.info(
                        "Closing a connection from %s: no request head in %g s",
                        conn.client,
                        REQUEST_HEAD_SECONDS,
                    )
                    self.drop_head(conn)
        for conn in [*self.running, *self.waiting_to_run]:
            deadline = getattr(conn, "head_deadline", None)
            if deadline is not None and now > deadline:
                conn.head_deadline = None
                self.log.info(
                    "Closing a connection from %s: no request head in %g s", conn.client, REQUEST_HEAD_SECONDS
                )
                self.stop_reading(conn)
            deadline = getattr(conn, "body_deadline", None)
            if deadline is not None and now > deadline:
                conn.body_cut = True  # before the read can end: its reader must see it
                self.log.info("Closing a connection from %s: its request body came too slowly", conn.client)
                self.stop_reading(conn)

    @staticmethod
    def stop_reading(conn) -> None:
        try:
            conn.sock.shutdown(socket.SHUT_RD)
        except OSError:  # already gone
            pass
