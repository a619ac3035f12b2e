"""Stale-while-revalidate and the circuit breaker
(docs/decisions/0027-stale-while-revalidate-and-circuit-breaker.md), on Django's cache.

Most tests use a counting fetch function that can be held at a gate (a vendor that has not
answered yet) and a test clock for the TTLs; the last ones put the BeyondTrust client behind
the helper, against the fake appliance, as the rep list does.

The contract (docs/decisions/, no customer waits on a vendor): with something cached nobody
waits for a refresh; with nothing cached only the caller that starts the refresh waits, at
most `wait`, and everybody else is told at once that it is pending.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from portal.vendors.beyondtrust.client import CommandClient
from portal.vendors.cache import CachedValue, CircuitBreaker, cached_with_refresh, wait_for_refreshes
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running

GATE_SECONDS = 10  # a gate a test forgets to open fails that test instead of hanging it


class Clock:
    """The wall clock the cache entries and breakers are stamped with, moved by the test."""

    def __init__(self):
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Vendor:
    """A fetch function that counts its calls and can be down, or held until `gate` is set."""

    def __init__(self):
        self.calls = 0
        self.value = "v1"
        self.down = False
        self.gate = threading.Event()
        self.gate.set()
        self.finished = threading.Event()
        self._lock = threading.Lock()

    def hold(self) -> None:
        """The next calls do not answer until the test sets `gate`."""
        self.finished.clear()
        self.gate.clear()

    def __call__(self):
        with self._lock:
            self.calls += 1
        try:
            assert self.gate.wait(GATE_SECONDS), "the test never let the vendor answer"
            if self.down:
                raise ConnectionError("vendor down (HTTP 503)")
            return self.value
        finally:
            self.finished.set()


@pytest.fixture
def vendor():
    return Vendor()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture(autouse=True)
def _no_refresh_left_running():
    yield
    assert wait_for_refreshes(GATE_SECONDS + 5)


def lookup(vendor, clock, **options) -> CachedValue:
    arguments = (
        dict(key="test:reps", fetch=vendor, soft_ttl=0.2, hard_ttl=30, timeout=2.0, wait=2.0, clock=clock)
        | options
    )
    return cached_with_refresh(**arguments)


def in_threads(count: int, call) -> list:
    barrier = threading.Barrier(count)
    results = []

    def worker():
        barrier.wait()
        results.append(call())

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GATE_SECONDS)
    return results


PENDING: CachedValue = CachedValue(value=None, fetched_at=None, stale=False, error=None, pending=True)


def test_a_fresh_value_comes_from_the_cache(vendor, clock):
    first = lookup(vendor, clock)
    second = lookup(vendor, clock)
    assert (first.value, first.stale, first.error, first.pending) == ("v1", False, None, False)
    assert second == first
    assert first.fetched_at is not None
    assert vendor.calls == 1


def test_after_the_soft_ttl_everybody_gets_the_stale_value_at_once_and_one_refresh_runs(vendor, clock):
    # Was: the caller that won the lock waited for the vendor and got v2. Now nobody waits
    # when something is cached: all get v1 while the vendor has not answered yet.
    lookup(vendor, clock)
    clock.advance(0.25)
    vendor.value = "v2"
    vendor.hold()

    results = in_threads(10, lambda: lookup(vendor, clock))

    assert [(r.value, r.stale, r.error, r.pending) for r in results] == [("v1", True, None, False)] * 10
    assert not vendor.finished.is_set()  # all of them answered before the vendor did
    vendor.gate.set()
    assert wait_for_refreshes(GATE_SECONDS)
    assert vendor.calls == 2
    assert (lookup(vendor, clock).value, lookup(vendor, clock).stale) == ("v2", False)
    assert vendor.calls == 2


def test_with_an_empty_cache_a_healthy_vendor_fills_the_first_answer_directly(vendor, clock):
    result = lookup(vendor, clock, wait=2.0)
    assert (result.value, result.stale, result.pending) == ("v1", False, False)


def test_with_an_empty_cache_only_the_refresher_waits_and_others_are_told_pending(vendor, clock):
    # Was: every caller waited for the one fetch. Now the vendor has not answered (held), the
    # caller that started the refresh gives up after its short wait, the others do not wait
    # at all: all eight are answered "pending" while the fetch is still running.
    vendor.hold()
    results = in_threads(8, lambda: lookup(vendor, clock, wait=0.05))
    assert results == [PENDING] * 8
    assert vendor.calls == 1 and not vendor.finished.is_set()

    vendor.gate.set()
    assert wait_for_refreshes(GATE_SECONDS)
    assert [(r.value, r.stale) for r in in_threads(8, lambda: lookup(vendor, clock))] == [("v1", False)] * 8
    assert vendor.calls == 1


def test_the_caller_that_starts_the_refresh_waits_at_most_its_budget(vendor, clock):
    vendor.hold()
    result = lookup(vendor, clock, wait=0.1)
    # It came back while the vendor was still held: it did not wait for the fetch.
    assert result == PENDING and not vendor.finished.is_set()

    # The fetch completes in the background and fills the cache for the next caller.
    vendor.gate.set()
    assert wait_for_refreshes(GATE_SECONDS)
    assert lookup(vendor, clock, wait=0.1).value == "v1"
    assert vendor.calls == 1


def test_the_stale_value_is_served_while_the_vendor_is_down(vendor, clock):
    lookup(vendor, clock)
    clock.advance(0.25)
    vendor.down = True

    result = lookup(vendor, clock)
    assert (result.value, result.stale) == ("v1", True)  # at once, the refresh runs behind it
    assert wait_for_refreshes(GATE_SECONDS)

    result = lookup(vendor, clock)
    assert (result.value, result.stale) == ("v1", True)
    assert "HTTP 503" in result.error  # the last refresh's failure, for the logs


def test_past_the_hard_ttl_nothing_is_served(vendor, clock, settings):
    # The cache backend drops the entry after the hard TTL (its own clock, whole seconds): the
    # wall clock moves 1.1 s, for the backend and for the entries' stamps alike. Redis keeps
    # its own clock, which no test can move, so the expiry is shown on a local-memory cache,
    # whose clock is this process's.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "hard-ttl"}
    }
    caches["default"].clear()
    with time_machine.travel(time.time(), tick=False) as traveller:
        lookup(vendor, clock, hard_ttl=1)
        traveller.shift(1.1)
        clock.advance(1.1)
        vendor.down = True
        assert lookup(vendor, clock, hard_ttl=1) == CachedValue(
            value=None, fetched_at=None, stale=False, error="vendor down (HTTP 503)"
        )


def test_nothing_cached_and_a_failure_is_reported(vendor, clock):
    vendor.down = True
    result = lookup(vendor, clock)
    assert (result.value, result.fetched_at, result.stale, result.pending) == (None, None, False, False)
    assert result.error == "vendor down (HTTP 503)"

    # While the next refresh runs, others are told of that failure, not "pending".
    vendor.hold()
    assert lookup(vendor, clock, wait=0.05).error == "vendor down (HTTP 503)"
    assert lookup(vendor, clock, wait=0.05).error == "vendor down (HTTP 503)"
    assert vendor.calls == 2
    vendor.gate.set()


class LockWatchingLocMemCache(LocMemCache):
    """Runs `on_lock_check` whenever somebody asks whether a refresh is still running (reads
    the refresh lock), before it answers: the test decides what has happened by then."""

    on_lock_check: Callable[[], None] = staticmethod(lambda: None)

    def has_key(self, key, version=None):
        if key.endswith(":refreshing"):
            LockWatchingLocMemCache.on_lock_check()
        return super().has_key(key, version)

    def get(self, key, default=None, version=None):
        if key.endswith(":refreshing"):
            LockWatchingLocMemCache.on_lock_check()
        return super().get(key, default, version)


def test_a_caller_that_may_wait_gets_another_refreshers_value(vendor, clock, settings):
    """Integrations (not customers) may wait for a refresh somebody else started.

    The waiting caller's first look finds the refresh still running (the vendor is held); just
    before its second look the vendor answers and the refresher stores the value and lets go of
    the lock: the waiter must take that value, not report "pending"."""
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.LockWatchingLocMemCache", "LOCATION": "watched"}}
    vendor.hold()
    assert lookup(vendor, clock, wait=0.05) == PENDING
    looks = []

    def on_lock_check():
        looks.append(threading.get_ident())
        if len(looks) == 2:
            vendor.gate.set()
            assert wait_for_refreshes(GATE_SECONDS)

    LockWatchingLocMemCache.on_lock_check = on_lock_check
    try:
        result = lookup(vendor, clock, wait=0.05, wait_for_others=GATE_SECONDS)
    finally:
        LockWatchingLocMemCache.on_lock_check = staticmethod(lambda: None)
    assert len(looks) == 2
    assert (result.value, result.stale) == ("v1", False)
    assert vendor.calls == 1


def test_ttls_must_make_sense(vendor, clock):
    with pytest.raises(ValueError):
        lookup(vendor, clock, soft_ttl=10, hard_ttl=5)


# --- Circuit breaker ---------------------------------------------------------------------------------


def test_the_breaker_opens_after_consecutive_failures_and_closes_after_a_good_trial(vendor, clock):
    breaker = CircuitBreaker("test-vendor", failure_threshold=3, reset_after=0.3, clock=clock)
    vendor.down = True
    for _ in range(3):
        assert lookup(vendor, clock, breaker=breaker).value is None
    assert vendor.calls == 3
    assert breaker.is_open

    result = lookup(vendor, clock, breaker=breaker)
    assert vendor.calls == 3  # not called while open
    assert "circuit open" in result.error and not result.pending

    clock.advance(0.35)
    assert breaker.state == "half-open" and not breaker.is_open
    vendor.down = False
    assert lookup(vendor, clock, breaker=breaker).value == "v1"
    assert vendor.calls == 4
    assert breaker.state == "closed"


def test_a_success_resets_the_failure_count():
    breaker = CircuitBreaker("test-vendor", failure_threshold=3, reset_after=30)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.record_failure()
    assert breaker.is_open and not breaker.allow()


def test_half_open_lets_one_trial_through_and_a_failed_trial_reopens(clock):
    breaker = CircuitBreaker("test-vendor", failure_threshold=1, reset_after=0.2, clock=clock)
    breaker.record_failure()
    assert not breaker.allow()
    clock.advance(0.25)
    assert [breaker.allow() for _ in range(3)] == [True, False, False]
    breaker.record_failure()
    assert breaker.is_open and not breaker.allow()


def test_breaker_state_is_shared_through_the_cache():
    one = CircuitBreaker("shared-vendor", failure_threshold=2)
    other = CircuitBreaker("shared-vendor", failure_threshold=2)
    one.record_failure()
    other.record_failure()
    assert one.is_open and other.is_open
    assert not CircuitBreaker("another-vendor").is_open


# --- With the BeyondTrust client ------------------------------------------------------------------


def client_for(fake, *, read_timeout: float = 0.5) -> CommandClient:
    return CommandClient(
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        backend_id=1,
        connect_timeout=0.5,
        read_timeout=read_timeout,
    )


def test_the_rep_list_survives_an_appliance_outage(clock):
    with running(FakeBeyondTrust()) as fake:
        client = client_for(fake)
        breaker = CircuitBreaker("beyondtrust:1", failure_threshold=2, reset_after=30, clock=clock)

        def reps():
            return cached_with_refresh(
                key="reps:1",
                fetch=client.logged_in_reps,
                soft_ttl=0.1,
                hard_ttl=60,
                breaker=breaker,
                clock=clock,
            )

        fresh = reps()
        assert [rep.id for rep in fresh.value] == [12, 15, 21]
        fake.fail("http500")
        for _ in range(4):
            clock.advance(0.15)
            served = reps()
            assert served.value == fresh.value and served.stale
            assert wait_for_refreshes(5)
        assert reps().error  # the last failure, for the logs
        assert fake.count("get_logged_in_reps") == 3  # 1 good, 2 failures, then the breaker
        assert breaker.is_open


def test_a_hung_appliance_holds_nobody_and_is_asked_by_one_refresher(clock):
    """The appliance accepts and never answers: nobody waits past the short budget, one
    refresh at a time asks it, bounded by the client's timeouts; then the failure shows.

    No step races a real timer: while callers are checked, the client waits longer than any
    test (the appliance's hang ends when the test drops it); the short read timeout is used
    only where the test waits for it to end the refresh, as an event."""
    with running(FakeBeyondTrust()) as fake:
        patient = client_for(fake, read_timeout=GATE_SECONDS * 2)
        impatient = client_for(fake)  # a 0.5 s read timeout
        fake.hang()

        def reps(client, wait=0.05):
            return cached_with_refresh(
                key="reps:1", fetch=client.logged_in_reps, soft_ttl=5, hard_ttl=60, wait=wait, clock=clock
            )

        # While the appliance hangs, every caller is told at once, and one request asks it.
        assert in_threads(6, lambda: reps(patient)) == [PENDING] * 6
        assert reps(patient) == PENDING
        assert fake.wait_for_requests(1)
        assert len(fake.calls()) == 1  # one token request, still unanswered
        fake.release()  # the appliance drops the hung connection: the refresh fails
        assert wait_for_refreshes(GATE_SECONDS)
        fake.hang()

        result = reps(impatient)  # starts the next refresh, and says what went wrong with the last one
        assert (result.value, result.pending) == (None, False) and result.error
        assert wait_for_refreshes(GATE_SECONDS)  # the client's read timeout ended it: still hung
        assert len(fake.calls()) == 2

        fake.release()  # the appliance is well again: the next refresh fills the list
        assert [rep.id for rep in reps(impatient, wait=GATE_SECONDS).value] == [12, 15, 21]
