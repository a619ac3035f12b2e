"""The portal's cache backends: the embedded default (diskcache's Django backend, shared by every
worker process) and, for CACHE_URL=redis://..., Django's Redis cache with a cheaper `incr`.

diskcache keeps the entries in SQLite files (one per shard) with atomic `add` and `incr`
(one SQL transaction each), which the rate limits, the circuit breakers, the token lock and
the refresh locks rely on (docs/decisions/). Django opens one backend per thread.
"""

from __future__ import annotations

import os
import sqlite3
import time

from diskcache import DjangoCache
from diskcache.core import EVICTION_POLICY, MODE_RAW
from django.core.cache.backends.redis import RedisCache


class SharedDiskCache(DjangoCache):
    """`DjangoCache` that keeps its per-thread SQLite connections between requests.

    Django closes every cache when a request finishes; for diskcache that means reopening up
    to one SQLite file per shard, with its pragmas, on the next request. The connections are
    per thread and diskcache reopens them after a fork, so keeping them is safe, like the
    database's CONN_MAX_AGE.
    """

    def __init__(self, directory, params):
        # The cache holds pickles: only the portal's own user may read or write them.
        os.makedirs(directory, mode=0o700, exist_ok=True)
        super().__init__(directory, params)

    def close(self, **kwargs):
        pass

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
        cache_key = self.make_key(key, version=version)
        fanout = self._cache
        shard = fanout._shards[fanout._hash(cache_key) % fanout._count]
        db_key, raw = shard._disk.put(cache_key)
        now = time.time()
        columns = "store_time = ?, value = value + ?"
        touch = EVICTION_POLICY[shard.eviction_policy]["get"]
        if touch is not None:
            columns += ", " + touch.format(now=now)
        update = (
            f"UPDATE Cache SET {columns} WHERE key = ? AND raw = ? AND mode = ? AND filename IS NULL"
            " AND typeof(value) = 'integer' AND (expire_time IS NULL OR expire_time >= ?) RETURNING value"
        )
        while True:
            try:
                rows = shard._sql(update, (now, delta, db_key, raw, MODE_RAW, now)).fetchall()
                break
            except sqlite3.OperationalError:  # the shard's write lock stayed busy past its timeout
                if not retry:
                    return None  # as diskcache answers a timeout without retry
        if rows:
            return rows[0][0]
        return super().incr(key, delta, version, default, retry)


class SharedRedisCache(RedisCache):
    """Django's Redis cache (CACHE_URL=redis://...) with `incr` in one round trip.

    Django's `incr` asks `EXISTS` and then `INCRBY`: two round trips on every rate-limited
    request (each public POST and each API call counts one), and a key that expires between
    the two is created again by `INCRBY` without an expiry, a counter that never goes away. A
    Lua script does both in Redis, atomically, in one round trip
    (docs/decisions/0069-cheaper-start-writes.md). Its answers are Django's: the new value, or
    ValueError for a missing key; a value that is not an integer is Redis's error, as before.
    """

    _INCR = (
        "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end "
        "return false"
    )

    _incr_script = None  # redis-py's Script: EVALSHA, and the script itself when Redis lacks it

    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        if self._incr_script is None:  # Django keeps one backend per thread
            self._incr_script = client.register_script(self._INCR)
        value = self._incr_script(keys=[key], args=[delta], client=client)
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value
