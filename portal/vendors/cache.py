"""Stale-while-revalidate over Django's cache, and a circuit breaker (product spec §6).

Vendor-agnostic: BeyondTrust's rep and team lists and Take Control's lists use the same helper.

- `cached_with_refresh` serves a fresh value from the cache; after the soft TTL one caller (the
  one that wins a `cache.add` lock) refreshes while everybody else gets the stale value; when the
  vendor fails, the stale value is served until the hard TTL drops it. With nothing to serve, the
  failure is reported in `CachedValue.error` and the caller shows a kind message.
- No caller waits on the vendor for longer than `timeout`: the fetch runs on a small worker pool
  and the caller stops waiting at the deadline. A fetch that overruns finishes in the background,
  stores its value and releases the lock, so the next customer gets the fresh value.
- `CircuitBreaker` keeps its state in the shared cache, so all workers stop calling a vendor that
  failed `failure_threshold` times in a row, and one trial call is let through after `reset_after`.

The lock and breaker rely on `cache.add` being atomic, as it is on Redis, Memcached, the database
cache and (within one process) locmem. Django's file-based cache checks and then writes, so two
processes can both win a lock in the same instant; the cost is one extra vendor call.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Literal, TypeVar

from django.conf import settings
from django.core.cache import caches

logger = logging.getLogger(__name__)

T = TypeVar("T")

POLL_INTERVAL = 0.05  # seconds between cache reads while another worker fetches
REFRESH_WORKERS = 4  # per process; one refresh per key at a time, thanks to the lock


def default_timeout() -> float:
    """The longest one vendor HTTP call may take: connect plus read timeout from settings."""
    return float(getattr(settings, "PORTAL_VENDOR_CONNECT_TIMEOUT", 3.0)) + float(
        getattr(settings, "PORTAL_VENDOR_READ_TIMEOUT", 5.0)
    )


@dataclass(frozen=True)
class CachedValue(Generic[T]):
    """What a customer request gets: the value (None if there is nothing to show) and its age.

    `error` is for admins and logs (it may quote the vendor); never render it to customers.
    """

    value: T | None
    fetched_at: datetime | None
    stale: bool
    error: str | None = None


def cached_with_refresh(
    *,
    key: str,
    fetch: Callable[[], T],
    soft_ttl: float,
    hard_ttl: float,
    timeout: float | None = None,
    breaker: CircuitBreaker | None = None,
    cache_alias: str = "default",
) -> CachedValue[T]:
    """Return the cached value under `key`, refreshing it through `fetch` after `soft_ttl`.

    `fetch` runs on a worker thread, so it must not use the ORM (read what it needs first) and
    must not return None. `timeout` defaults to `default_timeout()`.
    """
    if not 0 < soft_ttl <= hard_ttl:
        raise ValueError("need 0 < soft_ttl <= hard_ttl")
    cache = caches[cache_alias]
    timeout = default_timeout() if timeout is None else timeout
    entry = cache.get(key)
    if entry is not None and time.time() - entry["fetched_at"] < soft_ttl:
        return _served(entry, stale=False)

    lock_key = f"{key}:refreshing"
    if not cache.add(lock_key, True, timeout=_seconds(timeout * 2 + 1)):
        if entry is not None:
            return _served(entry, stale=True)
        return _wait_for_other_refresher(cache, key=key, lock_key=lock_key, timeout=timeout)

    if breaker is not None and not breaker.allow():
        cache.delete(lock_key)
        return _fallback(entry, "circuit open: the vendor failed repeatedly, not calling it now")

    def refresh() -> dict:
        cache = caches[cache_alias]  # Django's cache connections are per thread
        try:
            value = fetch()
        except Exception:
            if breaker is not None:
                breaker.record_failure()
            raise
        else:
            fresh = {"value": value, "fetched_at": time.time()}
            cache.set(key, fresh, timeout=_seconds(hard_ttl))
            if breaker is not None:
                breaker.record_success()
            return fresh
        finally:
            cache.delete(lock_key)

    future = _executor().submit(refresh)
    try:
        return _served(future.result(timeout=timeout), stale=False)
    except FutureTimeout:
        logger.info("refresh of %s passed %.1f s; serving what the cache has", key, timeout)
        return _fallback(entry, f"the vendor did not answer within {timeout:g} s")
    except Exception as error:
        logger.info("refresh of %s failed (%s); serving what the cache has", key, error)
        return _fallback(entry, str(error) or error.__class__.__name__)


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
    ):
        self.key = key
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
        return "open" if time.time() - opened_at < self.reset_after else "half-open"

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
            self._cache.set(self._opened_key, time.time(), timeout=None)
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


def _wait_for_other_refresher(cache, *, key: str, lock_key: str, timeout: float) -> CachedValue:
    """Nothing cached and another worker is fetching: wait for its value, at most `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(POLL_INTERVAL)
        entry = cache.get(key)
        if entry is not None:
            return _served(entry, stale=False)
        if not cache.has_key(lock_key):  # the other worker gave up without a value
            break
    return _fallback(None, "the vendor has not answered yet")


def _seconds(value: float) -> int:
    """Cache timeouts as whole seconds, rounded up: some backends take integers only."""
    return max(1, math.ceil(value))


_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    # Created lazily per process: a pool inherited through fork (gunicorn --preload) has no threads.
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (
                os.getpid(),
                ThreadPoolExecutor(REFRESH_WORKERS, thread_name_prefix="vendor-refresh"),
            )
        return _pool[1]
