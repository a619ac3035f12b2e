"""Quiet logs under attack: a client's bad request is one log line, a few a minute at most.

Django logs every SuspiciousOperation (a bad Host header, too many fields, a body over the
limit, ...) on `django.security.<Error>` and every other 4xx (a broken multipart body, a form
that is not UTF-8, 404, 405, ...) on `django.request`, each with the full traceback of the
exception: a fuzzer or a scanner writes thousands of tracebacks a minute. `ClientErrorFilter`
sits on the log handler (settings.LOGGING) and, for those records only:

- drops the traceback and keeps the message on one line (the exception's class is named);
- lets at most `limit` lines of one kind (logger and error) through per `window` seconds and
  per process, then one "... suppressed" line; the next window's first line says how many
  were dropped.

Server errors (5xx) and every other record pass with their traceback. Nothing is swallowed:
the client still gets its 400, only the log is shorter.

Every record's message is kept on one line (a line break in it is written as `\\n`): a message
may carry what a client sent, such as the username of a failed admin sign-in, which axes logs
as it came, and a line break there would let the client write a line of its own into the log,
with a time and a logger name of its choosing. A traceback keeps its lines.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

# What str.splitlines() (and so many log readers) takes for the end of a line.
LINE_BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"
ESCAPED_LINE_BREAKS = {ord(char): repr(char)[1:-1] for char in LINE_BREAKS}


def seconds(value: float | None) -> str:
    """A number of seconds for a log line, as a person writes it: `5 s`, `0.5 s`, `30 s` (never
    `5.0 s` or `29.99871 s`); `None` as `unknown`."""
    if value is None:
        return "unknown"
    return f"{round(value, 2):.12g} s"


def duration(elapsed: float) -> str:
    """How long something lasted, for a log line: `42 s`, `10 min`, `1 h 5 min`."""
    whole = round(elapsed)
    if whole < 120:
        return f"{whole} s"
    minutes = whole // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"


class ClientErrorFilter(logging.Filter):
    def __init__(self, limit: int = 10, window: float = 60.0, clock: Callable[[], float] = time.time):
        super().__init__()
        self.limit, self.window, self.clock = limit, window, clock
        self._lock = threading.Lock()
        self._kinds: dict[str, list] = {}  # kind -> [window start, lines, suppressed]

    @staticmethod
    def is_client_error(record: logging.LogRecord) -> bool:
        if record.name.startswith("django.security."):
            return True
        status = getattr(record, "status_code", None)
        return record.name == "django.request" and isinstance(status, int) and 400 <= status < 500

    @staticmethod
    def kind(record: logging.LogRecord) -> str:
        if record.exc_info and record.exc_info[0] is not None:
            return f"{record.name} {record.exc_info[0].__name__}"
        return f"{record.name} {getattr(record, 'status_code', '')}"

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.is_client_error(record):
            self.keep_on_one_line(record)
            return True
        kind = self.kind(record)
        now = self.clock()
        with self._lock:
            state = self._kinds.get(kind)
            if state is None or now - state[0] >= self.window:
                dropped = state[2] if state else 0
                state = self._kinds[kind] = [now, 0, 0]
            else:
                dropped = 0
            state[1] += 1
            count = state[1]
            if count > self.limit + 1:
                state[2] += 1
                return False
        message = self.one_line(record)
        if count == self.limit + 1:
            message = (
                f"{kind.partition(' ')[2]}: more than {self.limit} such lines in "
                f"{self.window:g} s in this process; the rest are suppressed until the next window"
            )
        elif dropped:
            message += f" ({dropped} similar lines suppressed in the previous window)"
        record.msg, record.args = message, None
        record.exc_info = record.exc_text = record.stack_info = None
        return True

    @staticmethod
    def keep_on_one_line(record: logging.LogRecord) -> None:
        message = record.getMessage()
        if any(char in message for char in LINE_BREAKS):
            record.msg, record.args = message.translate(ESCAPED_LINE_BREAKS), None

    @staticmethod
    def one_line(record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            message = f"{message} [{record.exc_info[0].__name__}]"
        return message.translate(ESCAPED_LINE_BREAKS)

    def clear(self) -> None:
        """Forgets every count (a reconfiguration, or a test that starts from zero)."""
        with self._lock:
            self._kinds.clear()


class RaisedExceptionFilter(logging.Filter):
    """The error mail's filter: only records of an exception raised and not handled (a
    request's 500, logged with its traceback), so a 503 page the portal answers on purpose, a
    record without one, mails nobody on each request; and at most `limit` of them per `window`
    seconds and per process. A burst of 500s (a database gone) is then a few mails, not one per
    request, and only those few requests wait on the mail server (up to EMAIL_TIMEOUT each);
    the log keeps every one, and says once per window when the mail stops
    (docs/decisions/0040-production-security-defaults.md)."""

    def __init__(self, limit: int = 10, window: float = 600, clock: Callable[[], float] = time.monotonic):
        super().__init__()
        self.limit, self.window, self.clock = limit, window, clock
        self._lock = threading.Lock()
        self._began: float | None = None
        self._count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if not (record.exc_info and record.exc_info[0] is not None):
            return False
        now = self.clock()
        with self._lock:
            if self._began is None or now - self._began >= self.window:
                self._began, self._count = now, 0
            self._count += 1
            count = self._count
        if count == self.limit + 1:
            logging.getLogger("portal.error_mail").warning(
                "More than %d server errors in %s in this process: the rest are not mailed to "
                "DJANGO_ADMINS until that time has passed; this log has each one.",
                self.limit,
                seconds(self.window),
            )
        return count <= self.limit

    def clear(self) -> None:
        """Forgets the count (a test that starts from zero)."""
        with self._lock:
            self._began, self._count = None, 0
