"""Page views and form submissions counted in the shared cache, without a cookie and without a
database write (docs/decisions/0081-cookie-free-view-counting.md).

One counter per kind, day, site and flow in the shared cache; folding moves what a counter
holds into `DailyPageCounts` (portal/analytics/services.py). A view is not a cache write: each
process tallies views in memory and adds its tally to the shared counters, one atomic `incr`
per counter, at most every FLUSH_SECONDS (on the request that crosses the interval, or on the
process's background thread when the interval's first count asked for it, so a process that
gets no further request does not hold its tally until it exits), before each fold in this
process and at exit. A process that dies
without exiting (SIGKILL, a crash, the OOM killer) loses its tally: at most FLUSH_SECONDS of
its views. A counter lives COUNTER_DAYS days: what was not folded by then is lost, as is
everything not yet folded when the cache is flushed.
"""

from __future__ import annotations

import atexit
import datetime as dt
import heapq
import itertools
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable

from django.core.cache import cache
from django.utils import timezone

from portal.cache_backend import degraded, incr_or_add

logger = logging.getLogger(__name__)

KINDS = ("views", "submissions")
# The worker folds every 5 minutes; this long covers a worker down for a week.
COUNTER_DAYS = 8


def today() -> dt.date:
    """The portal's day (settings.TIME_ZONE), which the dashboard's days are too."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def counter_key(*, kind: str, day: dt.date, site_id: int, flow: str) -> str:
    return f"portal:analytics:{kind}:{day.isoformat()}:{site_id}:{flow}"


# How long a process may hold views before adding them to the shared counters: what a crash
# of one process can lose, and how late the dashboard can be about the other processes' views.
FLUSH_SECONDS = 5.0


class SharedCacheDown(Exception):
    """The shared cache is being served from this process's memory (a Redis outage), where the
    fold would never see a count: the units stay in the tally."""


def add(key: str, amount: int) -> None:
    """Adds `amount` to a shared counter, created for COUNTER_DAYS by the day's first: one
    cache round trip. Raises SharedCacheDown during a Redis outage, also when this very call
    found Redis gone (the units then went to this process's memory, never to the fold)."""
    if degraded(cache):
        raise SharedCacheDown(key)
    incr_or_add(cache, key, COUNTER_DAYS * 86400, amount)
    if degraded(cache):
        raise SharedCacheDown(key)


class Later:
    """Runs calls at their time on one daemon thread per process, started with the first call.

    One long-lived thread, not a timer thread per flush: Django gives each thread its own cache
    connections (the disk cache's shards, a Redis pool), which a thread per flush would open
    again every few seconds. A forked child starts its own thread (the parent's is not there)."""

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._lock = threading.Condition()
        self._due: list[tuple[float, int, Callable[[], object]]] = []
        self._order = itertools.count()
        self.thread: threading.Thread | None = None

    def __call__(self, delay: float, call: Callable[[], object]) -> None:
        with self._lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, name="portal-counts", daemon=True)
                self.thread.start()
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), call))
            self._lock.notify()

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._due or self._due[0][0] > time.monotonic():
                    self._lock.wait(self._due[0][0] - time.monotonic() if self._due else None)
                _when, _order, call = heapq.heappop(self._due)
            try:
                call()
            except Exception:  # the thread goes on to the next call
                logger.exception("A background call of the page counts failed")


in_background = Later()


class Tally:
    """This process's counts not yet in the shared cache, safe for the threads of a gthread
    worker. `clock` is monotonic seconds and `schedule(delay, call)` runs a call later (both
    injected by tests).

    The request that crosses the interval flushes. So that counts never wait for a request that
    may not come (the dashboard, served by another process, would show starts whose submissions
    are still in this one: a funnel over 100 %), the first count after a flush also schedules a
    flush `every` seconds later on the process's one background thread: one scheduled flush per
    interval and process, never one per request."""

    def __init__(
        self,
        *,
        every: float = FLUSH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        schedule: Callable[[float, Callable[[], object]], None] = in_background,
    ):
        self.every, self.clock, self.schedule = every, clock, schedule
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._flushed_at = clock()
        # The process whose scheduled flush is pending: a forked child has none, whatever it
        # inherited.
        self._timer_pid = 0

    def count(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1
            due = self.clock() - self._flushed_at >= self.every
            arm = not due and self._timer_pid != os.getpid()
            if arm:
                self._timer_pid = os.getpid()
        if due:
            self.flush()
        elif arm:
            try:
                self.schedule(self.every, self._timer_fired)
            except Exception:  # no thread to be had: the count stays, the next one tries again
                logger.exception("Scheduling this process's page counts for the shared cache failed")
                with self._lock:
                    self._timer_pid = 0

    def _timer_fired(self) -> None:
        with self._lock:
            self._timer_pid = 0
        self.flush()  # a failed add keeps its units in the tally

    def flush(self) -> int:
        """Adds everything tallied to the shared counters; returns how many units it added.
        Units whose `incr` failed (the cache is down, or served from this process's memory)
        stay in the tally for the next flush."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._flushed_at = self.clock()
        added = 0
        for key, amount in counts.items():
            try:
                add(key, amount)
            except Exception:
                with self._lock:
                    self._counts[key] += amount
                continue
            added += amount
        return added

    def pending(self) -> int:
        with self._lock:
            return sum(self._counts.values())


tally = Tally()


def count(*, kind: str, site_id: int, flow: str) -> None:
    """One more view or submission today, in this process's tally (no cache round trip but on
    the request that crosses FLUSH_SECONDS)."""
    tally.count(counter_key(kind=kind, day=today(), site_id=site_id, flow=flow))


def flush() -> int:
    """Adds this process's tally to the shared counters now (fold_counters, exit); returns how
    many units it added."""
    return tally.flush()


atexit.register(flush)


def take(key: str) -> int:
    """Takes what the counter holds, atomically, and returns it (0 if nothing).

    `decr` by the amount read takes exactly those units and leaves any counted since; if a
    concurrent fold took them first the counter goes below zero, and the units go back.
    """
    held = cache.get(key) or 0
    if held <= 0:
        return 0
    try:
        left = cache.decr(key, held)
    except ValueError:  # expired between the read and the decrement
        return 0
    if left < 0:
        cache.incr(key, held)
        return 0
    return held


def give_back(key: str, amount: int) -> None:
    """Returns taken units whose database write failed."""
    add(key, amount)


def held(keys: list[str]) -> list[str]:
    """Those of `keys` whose counter holds something (one `get_many` round trip)."""
    return [key for key, value in cache.get_many(keys).items() if value and value > 0]
