"""Stale-while-revalidate and the circuit breaker (product spec §6), on Django's cache.

Most tests use a counting fetch function; the last ones put the BeyondTrust client behind the
helper, against the fake appliance, as the rep list does.
"""

from __future__ import annotations

import threading
import time

import pytest

from portal.vendors.beyondtrust.client import CommandClient
from portal.vendors.cache import CachedValue, CircuitBreaker, cached_with_refresh
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running


class Vendor:
    """A fetch function that counts its calls and can be slow or down."""

    def __init__(self):
        self.calls = 0
        self.value = "v1"
        self.down = False
        self.delay = 0.0
        self.finished = threading.Event()
        self._lock = threading.Lock()

    def __call__(self):
        with self._lock:
            self.calls += 1
        try:
            time.sleep(self.delay)
            if self.down:
                raise ConnectionError("vendor down (HTTP 503)")
            return self.value
        finally:
            self.finished.set()


@pytest.fixture
def vendor():
    return Vendor()


def lookup(vendor, **options) -> CachedValue:
    arguments = dict(key="test:reps", fetch=vendor, soft_ttl=0.2, hard_ttl=30, timeout=2.0) | options
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
        thread.join(10)
    return results


def test_a_fresh_value_comes_from_the_cache(vendor):
    first = lookup(vendor)
    second = lookup(vendor)
    assert (first.value, first.stale, first.error) == ("v1", False, None)
    assert second == first
    assert first.fetched_at is not None
    assert vendor.calls == 1


def test_after_the_soft_ttl_concurrent_callers_cause_one_fetch_and_get_the_stale_value(vendor):
    lookup(vendor)
    time.sleep(0.25)
    vendor.value, vendor.delay = "v2", 0.3

    results = in_threads(10, lambda: lookup(vendor))

    assert vendor.calls == 2
    assert sorted((r.value, r.stale) for r in results) == [("v1", True)] * 9 + [("v2", False)]
    assert all(r.error is None for r in results)
    assert lookup(vendor).value == "v2"


def test_with_an_empty_cache_concurrent_callers_wait_for_one_fetch(vendor):
    vendor.delay = 0.3
    results = in_threads(8, lambda: lookup(vendor))
    assert vendor.calls == 1
    assert [(r.value, r.stale, r.error) for r in results] == [("v1", False, None)] * 8


def test_the_stale_value_is_served_while_the_vendor_is_down(vendor):
    lookup(vendor)
    time.sleep(0.25)
    vendor.down = True

    result = lookup(vendor)

    assert (result.value, result.stale) == ("v1", True)
    assert "HTTP 503" in result.error


def test_past_the_hard_ttl_nothing_is_served(vendor):
    lookup(vendor, hard_ttl=1)
    time.sleep(1.1)
    vendor.down = True
    assert lookup(vendor, hard_ttl=1) == CachedValue(
        value=None, fetched_at=None, stale=False, error="vendor down (HTTP 503)"
    )


def test_nothing_cached_and_a_failure_is_reported(vendor):
    vendor.down = True
    result = lookup(vendor)
    assert (result.value, result.fetched_at, result.stale) == (None, None, False)
    assert result.error == "vendor down (HTTP 503)"


def test_no_caller_waits_longer_than_the_timeout(vendor):
    vendor.delay = 1.0
    started = time.monotonic()
    result = lookup(vendor, timeout=0.1)
    assert time.monotonic() - started < vendor.delay
    assert result.value is None
    assert "did not answer within 0.1 s" in result.error

    # The overrunning fetch completes in the background and fills the cache for the next caller.
    assert vendor.finished.wait(3)
    time.sleep(0.05)
    assert lookup(vendor, timeout=0.1).value == "v1"
    assert vendor.calls == 1


def test_ttls_must_make_sense(vendor):
    with pytest.raises(ValueError):
        lookup(vendor, soft_ttl=10, hard_ttl=5)


# --- Circuit breaker ---------------------------------------------------------------------------------


def test_the_breaker_opens_after_consecutive_failures_and_closes_after_a_good_trial(vendor):
    breaker = CircuitBreaker("test-vendor", failure_threshold=3, reset_after=0.3)
    vendor.down = True
    for _ in range(3):
        assert lookup(vendor, breaker=breaker).value is None
    assert vendor.calls == 3
    assert breaker.is_open

    result = lookup(vendor, breaker=breaker)
    assert vendor.calls == 3  # not called while open
    assert "circuit open" in result.error

    time.sleep(0.35)
    assert breaker.state == "half-open" and not breaker.is_open
    vendor.down = False
    assert lookup(vendor, breaker=breaker).value == "v1"
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


def test_half_open_lets_one_trial_through_and_a_failed_trial_reopens():
    breaker = CircuitBreaker("test-vendor", failure_threshold=1, reset_after=0.2)
    breaker.record_failure()
    assert not breaker.allow()
    time.sleep(0.25)
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


def test_the_rep_list_survives_an_appliance_outage():
    with running(FakeBeyondTrust()) as fake:
        client = CommandClient(base_url=fake.base_url, client_id=fake.client_id,
                               client_secret=fake.client_secret, backend_id=1,
                               connect_timeout=0.5, read_timeout=0.5)
        breaker = CircuitBreaker("beyondtrust:1", failure_threshold=2, reset_after=30)

        def reps():
            return cached_with_refresh(key="reps:1", fetch=client.logged_in_reps, soft_ttl=0.1,
                                       hard_ttl=60, breaker=breaker)

        fresh = reps()
        assert [rep.id for rep in fresh.value] == [12, 15, 21]
        fake.fail("http500")
        for _ in range(4):
            time.sleep(0.15)
            served = reps()
            assert served.value == fresh.value and served.stale
            assert served.error
        assert fake.count("get_logged_in_reps") == 3  # 1 good, 2 failures, then the breaker
        assert breaker.is_open
