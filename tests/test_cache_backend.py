"""The embedded cache's counters (docs/decisions/0069-cheaper-start-writes.md): `incr` adds in
one SQL statement and answers as diskcache's own `incr` does for everything else."""

import multiprocessing
import sqlite3
import threading
import time

import pytest
import time_machine
from diskcache import DjangoCache

from portal.cache_backend import OutageMemory, SharedDiskCache, incr_or_add, incr_or_add_reading

PARAMS = {"TIMEOUT": 300, "SHARDS": 8, "DATABASE_TIMEOUT": 0.05, "OPTIONS": {"size_limit": 2**24}}


@pytest.fixture
def cache(tmp_path):
    backend = SharedDiskCache(str(tmp_path / "cache"), PARAMS)
    yield backend
    backend._cache.close()


def test_incr_adds_to_a_live_counter_and_returns_the_sum(cache):
    cache.add("hits", 1, 60)
    assert cache.incr("hits") == 2
    assert cache.incr("hits", 5) == 7
    assert cache.incr("hits", -3) == 4
    assert cache.get("hits") == 4


def test_each_key_and_version_is_its_own_counter(cache):
    cache.add("a", 10, 60)
    cache.add("b", 20, 60)
    cache.add("a", 100, 60, version=2)
    assert cache.incr("a") == 11
    assert cache.incr("a", version=2) == 101
    assert (cache.get("a"), cache.get("b"), cache.get("a", version=2)) == (11, 20, 101)


def test_a_missing_key_is_a_value_error_as_djangos_contract_says(cache):
    with pytest.raises(ValueError):
        cache.incr("never-set")
    assert cache.get("never-set") is None


def test_a_counter_past_its_expiry_is_missing_and_incr_keeps_the_expiry(cache):
    with time_machine.travel(1_000_000, tick=False) as clock:
        cache.add("window", 1, 10)
        clock.shift(9)
        assert cache.incr("window") == 2  # raising it does not make it live longer ...
        clock.shift(2)
        with pytest.raises(ValueError):  # ... 11 s after it was added it is gone
            cache.incr("window")
        assert cache.add("window", 1, 10)  # and the next window starts afresh


def answers_as_diskcache(cache, tmp_path, count) -> None:
    """For values that are not plain integers (text, a float, a pickle), `count(backend)` on
    ours answers, or raises, as on diskcache's own Django backend, and leaves the same value."""
    reference = DjangoCache(str(tmp_path / "reference"), PARAMS)
    try:
        for value in ("text", 1.5, [1]):
            cache.set("v", value, 60)
            reference.set("v", value, 60)
            try:
                expected = count(reference)
            except Exception as error:  # noqa: BLE001 - whatever diskcache raises, ours must too
                with pytest.raises(type(error)):
                    count(cache)
            else:
                assert count(cache) == expected
                assert cache.get("v") == reference.get("v")
    finally:
        reference._cache.close()


def test_values_that_are_not_plain_integers_get_diskcaches_answer(cache, tmp_path):
    answers_as_diskcache(cache, tmp_path, lambda backend: backend.incr("v"))


def _raise(location: str, times: int) -> None:
    backend = SharedDiskCache(location, PARAMS)
    for _ in range(times):
        backend.incr("shared")
    backend._cache.close()


def in_four_processes(target, location: str, times: int) -> list[int | None]:
    """`target(location, times)` in four spawned processes at once; their exit codes."""
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=target, args=(location, times)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    for worker in workers:
        if worker.is_alive():  # stuck: stopped, and its exit code says so
            worker.kill()
            worker.join()
    return [worker.exitcode for worker in workers]


def test_increments_from_several_processes_are_each_counted_once(cache, tmp_path):
    cache.add("shared", 0, 600)
    assert in_four_processes(_raise, str(tmp_path / "cache"), 300) == [0, 0, 0, 0]
    assert cache.get("shared") == 4 * 300


# --- CACHE_URL=redis://...: SharedRedisCache (the services run, make test-services) -----------
@pytest.fixture
def redis_cache():
    from django.core.cache import caches

    from portal.cache_backend import SharedRedisCache

    backend = caches["default"]
    if not isinstance(backend, SharedRedisCache):
        pytest.skip("the configured cache is not Redis (make test-services runs these)")
    backend.clear()
    yield backend
    backend.clear()


def test_redis_incr_adds_to_a_live_counter_in_one_round_trip(redis_cache):
    redis_cache.set("hits", 0, 60)
    assert redis_cache.incr("hits") == 1  # the script is loaded, the connection open
    client = redis_cache._cache.get_client("hits", write=True)
    before = client.info("commandstats")
    assert redis_cache.incr("hits") == 2
    assert redis_cache.incr("hits", 5) == 7
    assert redis_cache.decr("hits", 3) == 4
    after = client.info("commandstats")

    def calls(command: str) -> int:
        return after.get(f"cmdstat_{command}", {}).get("calls", 0) - before.get(f"cmdstat_{command}", {}).get(
            "calls", 0
        )

    # Three increments, three requests to Redis: EVALSHA each (Django's own: EXISTS, then INCRBY).
    assert (calls("evalsha"), calls("eval")) == (3, 0)
    assert redis_cache.get("hits") == 4


def test_redis_incr_of_a_missing_key_is_a_value_error_and_creates_nothing(redis_cache):
    with pytest.raises(ValueError):
        redis_cache.incr("missing")
    assert redis_cache.get("missing") is None
    assert not redis_cache.has_key("missing")


def test_redis_incr_keeps_the_counters_expiry_and_versions_apart(redis_cache):
    redis_cache.set("window", 1, 60)
    redis_cache.set("window", 10, 60, version=2)
    assert redis_cache.incr("window") == 2
    assert redis_cache.incr("window", version=2) == 11
    client = redis_cache._cache.get_client("window", write=True)
    assert 0 < client.ttl(redis_cache.make_key("window")) <= 60  # still expires with its window
    redis_cache.delete("window")
    with pytest.raises(ValueError):
        redis_cache.incr("window")


# --- incr_or_add: a counter raised, or created with its expiry, in one step ------------------
# (docs/decisions/0100-counters-created-in-one-step.md)
def statements_of(cache, key):
    """The SQL statements the shard holding `key` runs from now on (SQLite's trace callback)."""
    fanout = cache._cache
    shard = fanout._shards[fanout._hash(cache.make_key(key)) % fanout._count]
    seen: list[str] = []
    shard._con.set_trace_callback(seen.append)
    return seen


def test_incr_or_add_creates_a_missing_counter_in_one_statement(cache):
    seen = statements_of(cache, "client-1")
    assert incr_or_add(cache, "client-1", 60) == 1
    # One INSERT (SQLite traces it again for each trigger it fires): no BEGIN, SELECT or COMMIT.
    assert seen and {
        statement.split(" ", 3)[:3] == ["INSERT", "INTO", "Cache(key,"] for statement in seen
    } == {True}
    assert len(set(seen)) == 1
    seen.clear()
    assert incr_or_add(cache, "client-1", 60) == 2
    assert incr_or_add(cache, "client-1", 60, 5) == 7
    assert {statement.split(" ", 1)[0] for statement in seen} == {"INSERT"}
    assert cache.get("client-1") == 7
    assert cache.incr("client-1") == 8  # a plain integer, as `add` would have stored it


def test_incr_or_add_keeps_a_live_counters_expiry_and_starts_an_expired_one_afresh(cache):
    with time_machine.travel(1_000_000, tick=False) as clock:
        assert incr_or_add(cache, "window", 10) == 1
        clock.shift(9)
        assert incr_or_add(cache, "window", 10) == 2  # raising it does not make it live longer ...
        clock.shift(2)
        assert cache.get("window") is None  # ... 11 s after it was created it is gone
        assert incr_or_add(cache, "window", 10) == 1  # the next window starts from the new one
        clock.shift(9)
        assert cache.get("window") == 1  # with an expiry of its own: 10 s from its creation
        clock.shift(2)
        assert cache.get("window") is None


def test_incr_or_add_without_a_timeout_keeps_the_counter_and_versions_apart(cache):
    with time_machine.travel(1_000_000, tick=False) as clock:
        assert incr_or_add(cache, "total", None, 3) == 3
        cache.add("total", 100, 60, version=2)
        clock.shift(10**6)
        assert incr_or_add(cache, "total", None) == 4
        assert cache.get("total", version=2) is None  # version 2 expired; version 1 never does
        assert cache.incr_or_add("total", 1, 60, version=2) == 1


def test_incr_or_add_answers_as_djangos_way_for_what_is_not_a_plain_integer(cache, tmp_path):
    """Django's incr, add, incr over diskcache's own backend (which has no incr_or_add of its
    own) answers the same."""
    answers_as_diskcache(cache, tmp_path, lambda backend: incr_or_add(backend, "v", 60))


def test_new_counters_cull_the_expired_rows_as_add_does(cache):
    """One counter per client address: a flood of new counters must not leave the expired
    ones of the windows before behind."""
    with time_machine.travel(1_000_000, tick=False) as clock:
        for number in range(40):
            incr_or_add(cache, f"old-{number}", 10)
        clock.shift(11)
        expired_before = expired_rows(cache)
        assert expired_before == 40
        for number in range(40 * SharedDiskCache.CULL_EVERY):
            incr_or_add(cache, f"new-{number}", 10)
        assert expired_rows(cache) == 0
        assert all(cache.get(f"new-{number}") == 1 for number in range(40 * SharedDiskCache.CULL_EVERY))


def expired_rows(cache) -> int:
    now = time.time()
    return sum(
        shard._sql("SELECT count(*) FROM Cache WHERE expire_time <= ?", (now,)).fetchone()[0]
        for shard in cache._cache._shards
    )


def _count_up(location: str, times: int) -> None:
    backend = SharedDiskCache(location, PARAMS)
    for _ in range(times):
        incr_or_add(backend, "created-by-whoever-is-first", 600)
    backend._cache.close()


def test_processes_racing_to_create_a_counter_each_count_once(cache, tmp_path):
    assert in_four_processes(_count_up, str(tmp_path / "cache"), 300) == [0, 0, 0, 0]
    assert cache.get("created-by-whoever-is-first") == 4 * 300


def test_redis_incr_or_add_creates_with_the_expiry_in_one_round_trip(redis_cache):
    redis_cache.set("warm", 0, 60)
    assert incr_or_add(redis_cache, "warm", 60) == 1  # the script is loaded, the connection open
    client = redis_cache._cache.get_client("window", write=True)
    before = client.info("commandstats")
    assert incr_or_add(redis_cache, "window", 60) == 1
    assert incr_or_add(redis_cache, "window", 60, 4) == 5
    after = client.info("commandstats")
    assert after["cmdstat_evalsha"]["calls"] - before["cmdstat_evalsha"]["calls"] == 2
    assert after.get("cmdstat_eval", {}).get("calls", 0) == before.get("cmdstat_eval", {}).get("calls", 0)
    assert redis_cache.get("window") == 5
    assert 0 < client.ttl(redis_cache.make_key("window")) <= 60  # created with its window's expiry


def test_redis_incr_or_add_keeps_a_live_counters_expiry_and_versions_apart(redis_cache):
    redis_cache.set("window", 1, 60)
    client = redis_cache._cache.get_client("window", write=True)
    client.expire(redis_cache.make_key("window"), 5)  # as if created 55 s ago
    assert incr_or_add(redis_cache, "window", 60) == 2
    assert 0 < client.ttl(redis_cache.make_key("window")) <= 5  # not extended by the increment
    assert redis_cache.incr_or_add("window", 1, 60, version=2) == 1
    assert redis_cache.get("window", version=2) == 1
    assert incr_or_add(redis_cache, "forever", None, 7) == 7
    assert client.ttl(redis_cache.make_key("forever")) == -1  # no expiry


@pytest.mark.parametrize("raise_counter", [lambda c: c.incr("hits"), lambda c: incr_or_add(c, "hits", 60)])
def test_a_shard_that_refuses_writes_raises_at_once_and_is_not_retried_for_ever(cache, raise_counter):
    """Only a busy lock is worth another try: a read-only or full database raises, where a
    retry loop would hold the customer's request for ever."""
    cache.add("hits", 1, 60)
    outcome: list = []
    caller = threading.Thread(target=lambda: outcome.append(attempt(raise_counter, cache)), daemon=True)
    caller.start()
    caller.join(timeout=30)
    assert not caller.is_alive()  # it answered: no endless retry
    assert outcome and isinstance(outcome[0], sqlite3.OperationalError)
    assert outcome[0].sqlite_errorcode == sqlite3.SQLITE_READONLY


def attempt(call, cache):
    """`call` in this thread, whose own connection to the shard may read, never write."""
    fanout = cache._cache
    shard = fanout._shards[fanout._hash(cache.make_key("hits")) % fanout._count]
    shard._sql("PRAGMA query_only = 1")
    try:
        return call(cache)
    except sqlite3.OperationalError as error:
        return error


def test_incr_or_add_keeps_to_its_key_version_on_django_s_way_too(cache):
    cache.set("v", "text", 60, version=2)  # not a plain integer: Django's way
    with pytest.raises(TypeError):  # what diskcache's incr raises for text
        cache.incr_or_add("v", 1, 60, version=2)
    assert cache.get("v") is None  # version 1 untouched
    cache.set("w", 10, 60, version=2)
    assert cache.incr_or_add("w", 1, 0, version=2) == 11  # a timeout of 0 takes Django's way
    assert cache.get("w") is None


def test_an_expired_row_starts_again_as_a_new_one(cache):
    with time_machine.travel(1_000_000, tick=False) as clock:
        cache._cache.set(cache.make_key("tagged"), 5, expire=10, tag="old-tag")
        clock.shift(11)
        assert incr_or_add(cache, "tagged", 60) == 1
        fanout = cache._cache
        shard = fanout._shards[fanout._hash(cache.make_key("tagged")) % fanout._count]
        db_key, raw = shard._disk.put(cache.make_key("tagged"))
        row = shard._sql(
            "SELECT tag, access_count, expire_time FROM Cache WHERE key = ? AND raw = ?", (db_key, raw)
        ).fetchone()
        assert row == (None, 0, 1_000_011 + 60)  # no old tag (evict("old-tag") keeps it), a new expiry


def test_a_cull_that_fails_leaves_the_count_stored_and_returned(cache, monkeypatch, caplog):
    """The count is committed before the cull: raising then would make a caller count it again."""
    from diskcache import Cache

    def broken_cull(self, now, sql, cleanup, limit=None):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Cache, "_cull", broken_cull)
    values = [incr_or_add(cache, f"client-{number}", 60) for number in range(SharedDiskCache.CULL_EVERY)]
    assert values == [1] * SharedDiskCache.CULL_EVERY
    assert all(cache.get(f"client-{number}") == 1 for number in range(SharedDiskCache.CULL_EVERY))
    assert "Could not cull expired cache entries" in caplog.text


def test_redis_incr_or_add_keeps_to_its_key_version_when_created_expired(redis_cache):
    redis_cache.set("w", 10, 60, version=2)
    assert redis_cache.incr_or_add("w", 1, 0, version=2) == 11
    assert redis_cache.get("w") is None


# --- incr_or_add_reading: a sliding window's two counters ------------------------------------
# (docs/decisions/0111-sliding-api-rate-limit.md)
def test_incr_or_add_reading_raises_one_counter_in_its_one_statement_and_reads_the_other(cache):
    assert incr_or_add_reading(cache, "now", 60, "before") == (1, 0)  # neither existed
    cache.set("before", 41, 60)
    seen = statements_of(cache, "now")
    assert incr_or_add_reading(cache, "now", 60, "before") == (2, 41)
    assert [statement.split(" ", 1)[0] for statement in set(seen)] == ["INSERT"]  # the one step
    assert incr_or_add_reading(cache, "now", 60, "before", 3) == (5, 41)
    assert (cache.get("now"), cache.get("before")) == (5, 41)  # the other only read


def test_incr_or_add_reading_on_any_other_cache_and_in_an_outage_memory():
    memory = OutageMemory("incr-or-add-reading", {})
    assert memory.incr_or_add_reading("now", "before", 1, 60) == (1, 0)
    memory.set("before", 7, 60)
    assert memory.incr_or_add_reading("now", "before", 2, 60) == (3, 7)
    assert incr_or_add_reading(memory, "now", 60, "before") == (4, 7)


def test_redis_incr_or_add_reading_in_one_round_trip(redis_cache):
    redis_cache.set("warm", 0, 60)
    assert incr_or_add_reading(redis_cache, "warm", 60, "none") == (1, 0)  # the script loaded
    redis_cache.set("before", 41, 60)
    client = redis_cache._cache.get_client("now", write=True)
    before = client.info("commandstats")
    assert incr_or_add_reading(redis_cache, "now", 60, "before") == (1, 41)
    assert incr_or_add_reading(redis_cache, "now", 60, "before", 4) == (5, 41)
    after = client.info("commandstats")
    assert after["cmdstat_evalsha"]["calls"] - before["cmdstat_evalsha"]["calls"] == 2
    assert after.get("cmdstat_eval", {}).get("calls", 0) == before.get("cmdstat_eval", {}).get("calls", 0)
    assert (redis_cache.get("now"), redis_cache.get("before")) == (5, 41)
    assert 0 < client.ttl(redis_cache.make_key("now")) <= 60  # created with its window's expiry
