"""The portal's cache backends: the embedded default (diskcache's Django backend, shared by every
worker process) and, for CACHE_URL=redis://..., Django's Redis cache with a cheaper `incr`.

diskcache keeps the entries in SQLite files (one per shard) with atomic `add` and `incr`
(one SQL transaction each), which the rate limits, the circuit breakers, the token lock and
the refresh locks rely on (docs/decisions/). Django opens one backend per thread.

Both backends also count in one step: `incr_or_add` adds to a counter and creates it, with its
expiry, when it is missing (docs/decisions/0100-counters-created-in-one-step.md). Code counts
through `incr_or_add(cache, ...)` below, which takes any other Django cache too, and through
`incr_or_add_reading(cache, ...)`, which also reads a second counter (a sliding window's
previous one, docs/decisions/0111-sliding-api-rate-limit.md).

A Redis that stops answering does not stop the portal: each process serves the cache from its
own memory until Redis answers again (`RedisOutage`,
docs/decisions/0101-serving-through-a-redis-outage.md).
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from diskcache import DjangoCache
from diskcache.core import EVICTION_POLICY, MODE_RAW, Timeout
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from portal import data_folders
from portal.conf import portal_settings
from portal.log import seconds

logger = logging.getLogger(__name__)


def incr_or_add(cache: BaseCache, key: str, timeout: float | None, delta: int = 1) -> int:
    """Adds `delta` to the counter `key` and returns its new value; a counter that is missing
    (or expired) is created holding `delta`, to expire `timeout` seconds from now. Raising a live
    counter keeps its expiry. The portal's backends do it in one SQL statement or Redis round
    trip; any other cache in Django's way (`incr_then_add`)."""
    method = getattr(cache, "incr_or_add", None)
    if method is not None:
        return method(key, delta, timeout)
    return incr_then_add(cache, key, timeout, delta)


def incr_or_add_reading(
    cache: BaseCache, key: str, timeout: float | None, other: str, delta: int = 1
) -> tuple[int, int]:
    """`incr_or_add` of `key`, and the counter `other` as it stands (0 when missing): a sliding
    window's current and previous counts. On Redis one round trip (one Lua script reads `other`
    and raises `key`, atomically); on any other cache the one-step raise, then a read. Either
    way the raise is as atomic as `incr_or_add`'s; the read is of a window that has closed,
    which only requests already under way at its end may still raise."""
    method = getattr(cache, "incr_or_add_reading", None)
    if method is not None:
        return method(key, other, delta, timeout)
    return incr_or_add(cache, key, timeout, delta), int(cache.get(other) or 0)


def degraded(cache: BaseCache) -> bool:
    """The cache is a shared one being served from this process's memory (an outage):
    what is written now stays in this process."""
    return bool(getattr(cache, "degraded", False))


def incr_then_add(cache: BaseCache, key: str, timeout: float | None, delta: int, version=None) -> int:
    """`incr_or_add` in Django's calls: `incr`, then `add`, then `incr` again if another process
    created the counter in between. Also the portal's backends' way for the rows their one step
    leaves to it."""
    try:
        return cache.incr(key, delta, version=version)
    except ValueError:
        if cache.add(key, delta, timeout, version=version):
            return delta
        return cache.incr(key, delta, version=version)


def incr_then_add_reading(
    cache: BaseCache, key: str, other: str, timeout: float | None, delta: int, version=None
) -> tuple[int, int]:
    """`incr_then_add` of `key`, then `other` as it stands (0 when missing): the two-step
    `incr_or_add_reading` of a backend that has no one-step way for these calls."""
    return incr_then_add(cache, key, timeout, delta, version), int(cache.get(other, version=version) or 0)


def busy(error: sqlite3.OperationalError) -> bool:
    """The error is another connection's lock (worth a retry), not a lasting fault."""
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


@functools.cache
def upsert_statement(eviction_policy: str) -> str:
    """`SharedDiskCache.incr_or_add`'s statement for a shard's eviction policy, built once:
    the row `add` would write, whose conflict with a live plain integer adds to it (touched as
    the policy touches a read, `get`), and with an expired one starts again as that new row
    (the new value and expiry, no tag, never read). The time is the statement's own
    (`excluded.store_time`)."""
    expired = "Cache.expire_time IS NOT NULL AND Cache.expire_time <= excluded.store_time"
    kept = {column: f"Cache.{column}" for column in ("expire_time", "tag", "access_time", "access_count")}
    touch = EVICTION_POLICY[eviction_policy]["get"]
    if touch is not None:
        column, expression = touch.format(now="excluded.store_time").split(" = ", 1)
        kept[column] = expression
    columns = ", ".join(
        [
            f"value = CASE WHEN {expired} THEN excluded.value ELSE Cache.value + excluded.value END",
            *(
                f"{column} = CASE WHEN {expired} THEN excluded.{column} ELSE {expression} END"
                for column, expression in kept.items()
            ),
            "store_time = excluded.store_time",
        ]
    )
    return (
        "INSERT INTO Cache(key, raw, store_time, expire_time, access_time, access_count, tag, size,"
        " mode, filename, value) VALUES (?, ?, ?, ?, ?, 0, NULL, 0, ?, NULL, ?)"
        f" ON CONFLICT(key, raw) DO UPDATE SET {columns}"
        " WHERE Cache.mode = ? AND Cache.filename IS NULL AND typeof(Cache.value) = 'integer'"
        " RETURNING value"
    )


class SharedDiskCache(DjangoCache):
    """`DjangoCache` that keeps its per-thread SQLite connections between requests.

    Django closes every cache when a request finishes; for diskcache that means reopening up
    to one SQLite file per shard, with its pragmas, on the next request. The connections are
    per thread and diskcache reopens them after a fork, so keeping them is safe, like the
    database's CONN_MAX_AGE.
    """

    def __init__(self, directory, params):
        # The cache holds pickles: only the portal's own user may read or write them. A folder
        # (or a shard in it, left by a `manage.py` run as root) the portal's user may not write
        # stops it with one line naming the folder, not SQLite's "unable to open database file"
        # (docs/decisions/0124-unwritable-data-folder.md).
        variable = "PORTAL_CACHE_DIR"
        try:
            data_folders.create(Path(directory), variable, mode=0o700)
            super().__init__(directory, params)
        except (OSError, sqlite3.OperationalError):
            blocking = data_folders.first_not_writable(Path(directory))
            if blocking is None:
                raise
            raise data_folders.FolderNotWritable(Path(directory), variable, blocking=blocking) from None

    def close(self, **kwargs):
        pass

    def _row_of(self, key, version):
        """The shard that holds `key` and the key as its `Cache` table stores it (key, raw)."""
        cache_key = self.make_key(key, version=version)
        fanout = self._cache
        shard = fanout._shards[fanout._hash(cache_key) % fanout._count]
        return (shard, *shard._disk.put(cache_key))

    @staticmethod
    def _write(shard, statement: str, params: tuple, *, retry: bool) -> list | None:
        """The rows of one write statement in autocommit; None when the shard's write lock stayed
        busy past its timeout and `retry` is off (with it, tried again, as diskcache does). Any
        other SQLite error (a full disk, a read-only file: no wait will mend it) is raised."""
        while True:
            try:
                return shard._sql(statement, params).fetchall()
            except sqlite3.OperationalError as error:
                if not busy(error):
                    raise
                if not retry:
                    return None

    def incr(self, key, delta=1, version=None, default=None, retry=True):
        """Adds `delta` to a live integer in one SQL statement, in autocommit.

        diskcache's own `incr` runs four statements under the shard's write lock (BEGIN
        IMMEDIATE, SELECT, UPDATE, COMMIT) and does the sum in Python. Every public POST raises
        its client's rate limit, and one client's counter lives in one shard, so those four
        statements were where the start paths queued and spent the most
        (docs/decisions/0069-cheaper-start-writes.md). The sum in SQL is just as
        atomic: SQLite runs the whole UPDATE under its write lock, so concurrent increments from
        every worker are each counted once. A key that is missing, expired, or not a plain
        integer matches no row and goes to diskcache's `incr`, which keeps its answers for those
        (ValueError, or what it stores).
        """
        shard, db_key, raw = self._row_of(key, version)
        now = time.time()
        columns = "store_time = ?, value = value + ?"
        touch = EVICTION_POLICY[shard.eviction_policy]["get"]
        if touch is not None:
            columns += ", " + touch.format(now=now)
        update = (
            f"UPDATE Cache SET {columns} WHERE key = ? AND raw = ? AND mode = ? AND filename IS NULL"
            " AND typeof(value) = 'integer' AND (expire_time IS NULL OR expire_time >= ?) RETURNING value"
        )
        rows = self._write(shard, update, (now, delta, db_key, raw, MODE_RAW, now), retry=retry)
        if rows is None:  # the shard's write lock stayed busy past its timeout
            return None  # as diskcache answers a timeout without retry
        if rows:
            return rows[0][0]
        return super().incr(key, delta, version, default, retry)

    # A counter created by `incr_or_add` is a row diskcache's `add` would have written, without
    # the expired rows `add` deletes on the way (its cull); every this many created counters
    # the shard is culled as `add` culls it, so a flood of new counters (one per client
    # address) does not leave its expired rows behind.
    CULL_EVERY = 4

    _created = 0  # counters this backend (one per thread) created since its last cull

    def incr_or_add(self, key, delta=1, timeout=DEFAULT_TIMEOUT, version=None):
        """`incr_or_add(cache, ...)` above in one SQL statement, in autocommit: an INSERT of a
        plain integer whose conflict with a live integer adds to it, and with an expired one
        starts it again with the new expiry. A row that is not a plain integer (text, a pickle, a
        file) takes Django's way, with diskcache's answers."""
        timeout = self.get_backend_timeout(timeout)
        if timeout is not None and timeout <= 0:  # created expired: nothing to keep
            return incr_then_add(self, key, timeout, delta, version)
        shard, db_key, raw = self._row_of(key, version)
        now = time.time()
        expire_time = None if timeout is None else now + timeout
        params = (db_key, raw, now, expire_time, now, MODE_RAW, delta, MODE_RAW)
        rows = self._write(shard, upsert_statement(shard.eviction_policy), params, retry=True)
        if not rows:
            return incr_then_add(self, key, timeout, delta, version)
        value = rows[0][0]
        if value == delta:  # most likely created (or started again): the shard may hold expired rows
            self._created += 1
            if self._created >= self.CULL_EVERY:
                self._created = 0
                # Not retried (diskcache retries every OperationalError, a full disk too): a busy
                # shard is culled by a later counter. Nor raised: the count is stored, and its
                # caller must not count it again.
                try:
                    with shard._transact(retry=False) as (sql, cleanup):
                        shard._cull(time.time(), sql, cleanup)
                except (sqlite3.Error, Timeout):
                    logger.warning("Could not cull expired cache entries", exc_info=True)
        return value


# A key stored for ever (the site version, a breaker's state) is kept this long in a process's
# memory during an outage, so what another process changed meanwhile (an admin save renews the
# site version in its own process only) reaches this one within it; as long as a cached page.
OUTAGE_FOREVER_SECONDS = 60
OUTAGE_MAX_ENTRIES = 10_000


def without_credentials(url: str) -> str:
    """A Redis URL fit for a log line: scheme, host, port and database, never a user name, a
    password (in the URL or its query) or other options."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # IPv6
        host = f"[{host}]"
    if parts.port is not None:
        host += f":{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


class OutageMemory(LocMemCache):
    """A process's memory during a Redis outage: Django's local-memory cache, counting in
    Django's calls (`incr_then_add`) as `incr_or_add(cache, ...)` does for any cache."""

    def incr_or_add(self, key, delta=1, timeout=DEFAULT_TIMEOUT, version=None):
        return incr_then_add(self, key, timeout, delta, version)

    def incr_or_add_reading(self, key, other, delta=1, timeout=DEFAULT_TIMEOUT, version=None):
        return incr_then_add_reading(self, key, other, timeout, delta, version)


class RedisOutage:
    """Whether this process is serving around the Redis at one location, and the memory it
    serves from meanwhile (docs/decisions/0101-serving-through-a-redis-outage.md).

    The first call that fails with a connection error or a timeout begins the outage: it logs
    once, starts a thread that asks Redis (PING) every `PORTAL_REDIS_RETRY_SECONDS`, and is
    itself served from memory, as every later call is, without touching Redis, until that
    thread hears an answer. Then calls go to Redis again and the memory is emptied. One per
    location and process, shared by the per-thread backends Django makes.
    """

    _by_location: dict[str, RedisOutage] = {}
    _lock = threading.Lock()

    def __init__(self, location: str, params: dict) -> None:
        self.location = location
        self.memory = OutageMemory(
            f"portal-redis-outage:{location}",
            {
                "TIMEOUT": params.get("TIMEOUT", 300),
                "KEY_PREFIX": params.get("KEY_PREFIX", ""),
                "VERSION": params.get("VERSION", 1),
                "KEY_FUNCTION": params.get("KEY_FUNCTION"),
                "OPTIONS": {"MAX_ENTRIES": OUTAGE_MAX_ENTRIES},
            },
        )
        self.down = False
        self.since = 0.0
        self.answered = threading.Event()  # set when Redis answers again (tests wait on it)
        self.stopped = threading.Event()  # ends the retry thread (tests, a new process)
        self._state = threading.Lock()

    @classmethod
    def at(cls, location: str, params: dict) -> RedisOutage:
        key = f"{os.getpid()}:{location}"  # a forked worker starts with no outage of its parent
        with cls._lock:
            outage = cls._by_location.get(key)
            if outage is None:
                outage = cls._by_location[key] = cls(location, params)
            return outage

    @classmethod
    def forget_all(cls) -> None:
        """Ends every outage of this process and its retry thread (tests)."""
        with cls._lock:
            outages, cls._by_location = list(cls._by_location.values()), {}
        for outage in outages:
            outage.stopped.set()

    def begin(self, error: Exception, client) -> None:
        """Begins the outage (once): `client` makes the retry thread's Redis client."""
        with self._state:
            if self.down:
                return
            self.down, self.since = True, time.monotonic()
            self.answered.clear()
        logger.error(
            "Redis at %s did not answer (%s: %s): this process serves the cache from its own "
            "memory until it does, asking again every %s",
            self.location,
            type(error).__name__,
            error,
            seconds(portal_settings.REDIS_RETRY_SECONDS),
        )
        threading.Thread(
            target=self._ask_again, args=(client,), name="portal-redis-retry", daemon=True
        ).start()

    def _ask_again(self, client) -> None:
        redis = None
        while not self.stopped.wait(portal_settings.REDIS_RETRY_SECONDS):
            try:
                redis = redis or client()
                redis.ping()
            except Exception as error:  # anything but an answer: still out
                logger.debug("Redis at %s still does not answer: %s", self.location, error)
                continue
            redis.connection_pool.disconnect()
            with self._state:
                self.down = False
                self.memory.clear()
            logger.warning(
                "Redis at %s answers again after %.0f s: this process uses it again",
                self.location,
                time.monotonic() - self.since,
            )
            self.answered.set()
            return


class SharedRedisCache(RedisCache):
    """Django's Redis cache (CACHE_URL=redis://...) with `incr` in one round trip, served
    from the process's memory while Redis does not answer (`RedisOutage`).

    Django's `incr` asks `EXISTS` and then `INCRBY`: two round trips on every rate-limited
    request (each public POST and each API call counts one), and a key that expires between
    the two is created again by `INCRBY` without an expiry, a counter that never goes away. A
    Lua script does both in Redis, atomically, in one round trip
    (docs/decisions/0069-cheaper-start-writes.md). Its answers are Django's: the new value, or
    ValueError for a missing key; a value that is not an integer is Redis's error, as before.
    """

    def __init__(self, server, params):
        super().__init__(server, params)
        import redis.exceptions  # the redis extra: only a Redis setup has it

        self._unanswered = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
        where = ",".join(without_credentials(server) for server in self._servers)  # logged
        self._outage = RedisOutage.at(where, params)

    @property
    def degraded(self) -> bool:
        """Redis is being served around: writes stay in this process (`degraded()` above)."""
        return self._outage.down

    def _client(self):
        """A Redis client of its own for the retry thread, on the primary."""
        return RedisCache(self._servers, {"OPTIONS": self._options})._cache.get_client(write=True)

    def _served(self, name: str, call, *args, **kwargs):
        """`call` against Redis; during an outage, the outage memory's `name` with the same
        arguments (a timeout of for ever shortened to OUTAGE_FOREVER_SECONDS)."""
        if not self._outage.down:
            try:
                return call(*args, **kwargs)
            except self._unanswered as error:
                self._outage.begin(error, self._client)
        if kwargs.get("timeout", DEFAULT_TIMEOUT) is None:
            kwargs["timeout"] = OUTAGE_FOREVER_SECONDS
        return getattr(self._outage.memory, name)(*args, **kwargs)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._served("add", super().add, key, value, timeout=timeout, version=version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._served("set", super().set, key, value, timeout=timeout, version=version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._served("touch", super().touch, key, timeout=timeout, version=version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._served("set_many", super().set_many, data, timeout=timeout, version=version)

    def get(self, key, default=None, version=None):
        return self._served("get", super().get, key, default, version=version)

    def delete(self, key, version=None):
        return self._served("delete", super().delete, key, version=version)

    def get_many(self, keys, version=None):
        return self._served("get_many", super().get_many, keys, version=version)

    def has_key(self, key, version=None):
        return self._served("has_key", super().has_key, key, version=version)

    def delete_many(self, keys, version=None):
        return self._served("delete_many", super().delete_many, keys, version=version)

    def clear(self):
        return self._served("clear", super().clear)

    # Each script runs atomically in Redis; `_run` registers it once per backend (Django keeps
    # one backend per thread) and calls it: redis-py's Script, EVALSHA, and the script itself
    # when Redis lacks it.
    _INCR = (
        "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end "
        "return false"
    )
    # Creates a missing counter at 0 with the expiry in ARGV[2] (seconds; "" for none); a live
    # one keeps its expiry.
    _CREATE_MISSING = (
        "if redis.call('exists', KEYS[1]) == 0 then "
        "if ARGV[2] == '' then redis.call('set', KEYS[1], 0) "
        "else redis.call('set', KEYS[1], 0, 'EX', ARGV[2]) end end "
    )
    # Raises the counter, created if missing: Redis' own integer answer either way.
    _INCR_OR_ADD = _CREATE_MISSING + "return redis.call('incrby', KEYS[1], ARGV[1])"
    # The same on KEYS[1], and the value of KEYS[2] as it stood (false, a nil answer, when
    # missing): a sliding window's two counters in one round trip.
    _INCR_OR_ADD_READING = (
        "local other = redis.call('get', KEYS[2]) "
        + _CREATE_MISSING
        + "return {redis.call('incrby', KEYS[1], ARGV[1]), other}"
    )

    _scripts: dict[str, Any] | None = None

    def _run(self, source: str, keys: list[str], args: list[Any], version) -> Any:
        """The script `source` on `keys` (made into cache keys), with `args`, on the primary,
        as every write of Django's Redis cache goes."""
        keys = [self.make_and_validate_key(key, version=version) for key in keys]
        client = self._cache.get_client(keys[0], write=True)
        if self._scripts is None:
            self._scripts = {}
        if source not in self._scripts:
            self._scripts[source] = client.register_script(source)
        return self._scripts[source](keys=keys, args=args, client=client)

    def incr(self, key, delta=1, version=None):
        return self._served("incr", self._incr, key, delta, version=version)

    def _incr(self, key, delta=1, version=None):
        value = self._run(self._INCR, [key], [delta], version)
        if value is None:
            raise ValueError(f"Key '{self.make_and_validate_key(key, version=version)}' not found.")
        return value

    def incr_or_add(self, key, delta=1, timeout=DEFAULT_TIMEOUT, version=None):
        """`incr_or_add(cache, ...)` above in one round trip: a Lua script, atomic in Redis."""
        return self._served("incr_or_add", self._incr_or_add, key, delta, timeout=timeout, version=version)

    def _incr_or_add(self, key, delta, timeout, version):
        seconds = self._counter_seconds(timeout)
        if seconds is None:  # created expired: nothing to keep
            return incr_then_add(self, key, timeout, delta, version)
        return self._run(self._INCR_OR_ADD, [key], [delta, seconds], version)

    def incr_or_add_reading(self, key, other, delta=1, timeout=DEFAULT_TIMEOUT, version=None):
        """`incr_or_add_reading(cache, ...)` above in one round trip: a Lua script, atomic in
        Redis. Both keys are written to the primary, as every write of Django's Redis cache is."""
        return self._served(
            "incr_or_add_reading",
            self._incr_or_add_reading,
            key,
            other,
            delta,
            timeout=timeout,
            version=version,
        )

    def _incr_or_add_reading(self, key, other, delta, timeout, version):
        seconds = self._counter_seconds(timeout)
        if seconds is None:  # created expired: nothing to keep
            return incr_then_add_reading(self, key, other, timeout, delta, version)
        count, value = self._run(self._INCR_OR_ADD_READING, [key, other], [delta, seconds], version)
        return count, 0 if value is None else int(value)

    def _counter_seconds(self, timeout) -> int | str | None:
        """A new counter's expiry as the scripts take it: whole seconds, "" for none, or None
        when it would be created expired (the two-step way then, which keeps nothing)."""
        timeout = self.get_backend_timeout(timeout)  # whole seconds, or None
        if timeout is not None and timeout <= 0:
            return None
        return "" if timeout is None else timeout
