"""Stale-while-revalidate over Django's cache, and a circuit breaker
(docs/decisions/0027-stale-while-revalidate-and-circuit-breaker.md).

Vendor-agnostic: BeyondTrust's rep and team lists and Take Control's lists use the same helper.
Why it works this way: docs/decisions/0042-no-customer-waits-on-a-vendor.md.

- `cached_with_refresh` serves a fresh value from the cache. After the soft TTL the value is
  served stale at once, and one caller (the one that wins a `cache.add` lock, across every
  worker that shares the cache) starts a refresh on this process's small background pool. A
  customer request never waits for a refresh when there is something to serve.
- With nothing cached, only the caller that started the refresh waits, and at most `wait`
  seconds (`PORTAL_VENDOR_WAIT`, default 0.3 s): a healthy vendor still fills the first page
  directly. Everybody else is answered at once with `CachedValue.pending`, and the page says
  it is still checking (portal.js asks again). When the last refresh failed and nothing is
  cached, the answer is the failure (`error`), not "pending", while the next refresh runs.
- The refresh itself is bounded by the vendor timeouts (connect + read); one that overruns its
  caller's wait finishes in the background, stores its value and releases the lock.
- When the vendor fails, the stale value is served until the hard TTL drops it.
- `CircuitBreaker` keeps its state in the shared cache, so all workers stop calling a vendor that
  failed `failure_threshold` times in a row, and one trial call is let through after `reset_after`.

The lock and breaker rely on `cache.add` and `cache.incr` being atomic, as they are on Redis,
Memcached and the embedded default (diskcache, portal/settings.py). Django's file-based cache
checks and then writes, so two processes can both win a lock in the same instant; the cost is
one extra vendor call.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from django.core.cache import caches

from portal.conf import portal_settings

logger = logging.getLogger(__name__)

T = TypeVar("T")

POLL_INTERVAL = 0.05  # seconds between cache reads while waiting for another worker's refresh
REFRESH_WORKERS = 4  # per process; one refresh per key at a time, thanks to the lock


def default_timeout() -> float:
    """The longest one vendor HTTP call may take: connect plus read timeout from settings."""
    return portal_settings.VENDOR_CONNECT_TIMEOUT + portal_settings.VENDOR_READ_TIMEOUT


def customer_wait() -> float:
    """How long a customer request with nothing cached waits for the refresh it started."""
    return max(0.0, portal_settings.VENDOR_WAIT)


@dataclass(frozen=True)
class CachedValue(Generic[T]):
    """What a customer request gets: the value (None if there is nothing to show) and its age.

    `pending`: nothing is cached yet and a refresh is running; ask again shortly.
    `error` is for admins and logs (it may quote the vendor); never render it to customers.
    """

    value: T | None
    fetched_at: datetime | None
    stale: bool
    error: str | None = None
    pending: bool = False


def cached_with_refresh(
    *,
    key: str,
    fetch: Callable[[], T],
    soft_ttl: float,
    hard_ttl: float,
    timeout: float | None = None,
    wait: float | None = None,
    wait_for_others: float = 0.0,
    breaker: CircuitBreaker | None = None,
    cache_alias: str = "default",
    clock: Callable[[], float] = time.time,
) -> CachedValue[T]:
    """Return the cached value under `key`, refreshing it through `fetch` after `soft_ttl`.

    `fetch` runs on a worker thread, so it must not use the ORM (read what it needs first) and
    must not return None. `timeout` (default `default_timeout()`) bounds how long the refresh
    lock is held. With nothing cached, the caller that starts the refresh waits at most `wait`
    (default `customer_wait()`), a caller that finds another refresh running at most
    `wait_for_others` (default 0: customer requests never wait for somebody else's refresh).
    `clock` is the wall clock the entries are stamped with (tests pass their own).
    """
    if not 0 < soft_ttl <= hard_ttl:
        raise ValueError("need 0 < soft_ttl <= hard_ttl")
    cache = caches[cache_alias]
    timeout = default_timeout() if timeout is None else timeout
    wait = customer_wait() if wait is None else wait
    entry = cache.get(key)
    if entry is not None and clock() - entry["fetched_at"] < soft_ttl:
        return _served(entry, stale=False)

    lock_key, failed_key = f"{key}:refreshing", f"{key}:failed"
    if not cache.add(lock_key, True, timeout=_seconds(timeout * 2 + 1)):
        # Another caller, maybe in another worker, is refreshing.
        if entry is not None:
            return _served(entry, stale=True, error=cache.get(failed_key))
        if wait_for_others > 0:
            return _wait_for_other_refresher(cache, key=key, lock_key=lock_key, timeout=wait_for_others)
        return _nothing_yet(cache.get(failed_key))

    # Refreshed between our read and our lock (by a refresher that has just let go of it):
    # serve that, do not ask the vendor again.
    entry = cache.get(key)
    if entry is not None and clock() - entry["fetched_at"] < soft_ttl:
        cache.delete(lock_key)
        return _served(entry, stale=False)

    if breaker is not None and not breaker.allow():
        cache.delete(lock_key)
        return _fallback(entry, "circuit open: the vendor failed repeatedly, not calling it now")

    def refresh() -> dict:
        cache = caches[cache_alias]  # Django's cache connections are per thread
        try:
            value = fetch()
        except Exception as error:
            # The vendor's words go to the log only (never to customers). A failed trial of a
            # half-open breaker repeats a failure that was logged when it opened: quietly.
            quiet = breaker is not None and breaker.state != "closed"
            if breaker is not None:
                breaker.record_failure()
            message = str(error) or error.__class__.__name__
            cache.set(failed_key, message, timeout=_seconds(hard_ttl))
            logger.log(logging.DEBUG if quiet else logging.WARNING, "refresh of %s failed: %s", key, message)
            raise
        else:
            fresh = {"value": value, "fetched_at": clock()}
            cache.set(key, fresh, timeout=_seconds(hard_ttl))
            cache.delete(failed_key)
            if breaker is not None:
                breaker.record_success()
            return fresh
        finally:
            cache.delete(lock_key)

    future = _submit(refresh)
    if entry is not None:  # stale but servable: nobody waits for the vendor
        return _served(entry, stale=True, error=cache.get(failed_key))
    try:
        return _served(future.result(timeout=wait), stale=False)
    except FutureTimeout:
        logger.info("refresh of %s still running after %.2f s; the page will ask again", key, wait)
        return _nothing_yet(cache.get(failed_key))
    except Exception as error:
        return _fallback(None, str(error) or error.__class__.__name__)


def last_cached(key: str, *, cache_alias: str = "default") -> CachedValue | None:
    """What `cached_with_refresh` would serve under `key`, read without refreshing it or
    asking anyone: None when nothing is cached (never fetched, or past its hard TTL). For
    readers that must not wait on a vendor or start a call, such as the admin's checklist."""
    entry = caches[cache_alias].get(key)
    return None if entry is None else _served(entry, stale=False)


def wait_for_refreshes(timeout: float) -> bool:
    """Block until every refresh this process started has finished, at most `timeout` seconds.

    For tests and benches that need "the background refresh is done" as an event, not a
    sleep. True when nothing is left running.
    """
    with _pool_lock:
        running = list(_running)
    done, not_done = wait_for_futures(running, timeout=timeout)
    return not not_done


class CircuitBreaker:
    """Stop calling a failing vendor for a while; state shared by all workers through the cache.

    closed → (failure_threshold consecutive failures) → open → (reset_after seconds) → half-open:
    one trial call is allowed; success closes the breaker, failure opens it again.
    """

    def __init__(
        self,
        key: str,
        *,
        failure_threshold: int = 5,
        reset_after: float = 30.0,
        cache_alias: str = "default",
        clock: Callable[[], float] = time.time,
    ):
        self.key = key
        self._clock = clock
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._cache_alias = cache_alias
        self._failures_key = f"breaker:{key}:failures"
        self._opened_key = f"breaker:{key}:opened_at"
        self._trial_key = f"breaker:{key}:trial"

    def __repr__(self) -> str:
        return f"<CircuitBreaker {self.key} {self.state}>"

    @property
    def _cache(self):
        return caches[self._cache_alias]  # per thread: a breaker may be used from the refresh pool

    @property
    def state(self) -> Literal["closed", "open", "half-open"]:
        opened_at = self._cache.get(self._opened_key)
        if opened_at is None:
            return "closed"
        return "open" if self._clock() - opened_at < self.reset_after else "half-open"

    @property
    def is_open(self) -> bool:
        """True while calls are refused (half-open is not open: a trial may run)."""
        return self.state == "open"

    def allow(self) -> bool:
        """May the caller call the vendor now? In half-open state only one caller gets True."""
        state = self.state
        if state == "closed":
            return True
        if state == "open":
            return False
        return self._cache.add(self._trial_key, True, timeout=_seconds(self.reset_after))

    def record_success(self) -> None:
        self._cache.delete_many([self._failures_key, self._opened_key, self._trial_key])

    def record_failure(self) -> None:
        self._cache.add(self._failures_key, 0, timeout=None)
        try:
            failures = self._cache.incr(self._failures_key)
        except ValueError:  # deleted by a concurrent success in between
            self._cache.set(self._failures_key, 1, timeout=None)
            failures = 1
        if failures >= self.failure_threshold:
            self._cache.set(self._opened_key, self._clock(), timeout=None)
            self._cache.delete(self._trial_key)


def _served(entry: dict, *, stale: bool, error: str | None = None) -> CachedValue:
    return CachedValue(
        value=entry["value"],
        fetched_at=datetime.fromtimestamp(entry["fetched_at"], tz=UTC),
        stale=stale,
        error=error,
    )


def _fallback(entry: dict | None, error: str) -> CachedValue:
    if entry is None:
        return CachedValue(value=None, fetched_at=None, stale=False, error=error)
    return _served(entry, stale=True, error=error)


def _nothing_yet(failure: str | None) -> CachedValue:
    """Nothing cached: the last refresh's failure if there was one, else "still checking"."""
    if failure is not None:
        return _fallback(None, failure)
    return CachedValue(value=None, fetched_at=None, stale=False, pending=True)


def _wait_for_other_refresher(cache, *, key: str, lock_key: str, timeout: float) -> CachedValue:
    """Nothing cached and another worker is fetching: wait for its value, at most `timeout`.

    Only for callers that may wait (integrations); customer requests never do."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        # The lock first, then the value: a refresher stores its value before it lets go of the
        # lock, so a value that lands between the two reads is still seen.
        refreshing = cache.has_key(lock_key)
        entry = cache.get(key)
        if entry is not None:
            return _served(entry, stale=False)
        if not refreshing:  # the other worker gave up without a value
            break
    return _nothing_yet(cache.get(f"{key}:failed"))


def _seconds(value: float) -> int:
    """Cache timeouts as whole seconds, rounded up: some backends take integers only."""
    return max(1, math.ceil(value))


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()
_running: set[Future] = set()


def _submit(refresh: Callable[[], dict]) -> Future:
    # Created lazily per process: a pool inherited through fork (gunicorn --preload) has no
    # threads. Under gthread workers several request threads submit at once: the lock guards
    # the pool's creation and the set of running refreshes.
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (
                os.getpid(),
                ThreadPoolExecutor(REFRESH_WORKERS, thread_name_prefix="vendor-refresh"),
            )
            _running.clear()
        future = _pool[1].submit(refresh)
        _running.add(future)
    future.add_done_callback(_finished)
    return future


def _finished(future: Future) -> None:
    with _pool_lock:
        _running.discard(future)
