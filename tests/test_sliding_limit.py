"""The integrations API's sliding rate limit (docs/decisions/0111-sliding-api-rate-limit.md):
at most the limit in any window's length of time, a window's turn included, with a truthful
`Retry-After`. On the configured cache: the embedded SharedDiskCache in `make test`, Redis in
`make test-services` (CACHE_URL=redis://...). The clock is time-machine's, never a sleep."""

from __future__ import annotations

import random
import threading
import time

import pytest
import time_machine
from django.core.cache import cache

from portal import guards

T0 = 1_800_000_000  # the start of a minute (and of an hour)
assert T0 % 3600 == 0


def requests(key: str, *, limit: int, window: int = 60, times: int = 1) -> list[int]:
    """`times` requests now: each one's wait (0 when admitted)."""
    return [guards.over_sliding_limit(key, limit=limit, window=window) for _ in range(times)]


def test_a_burst_across_the_turn_of_a_minute_is_refused():
    with time_machine.travel(T0 + 59.5, tick=False) as clock:  # the last second of a minute
        assert requests("burst", limit=120, times=120) == [0] * 120
        clock.move_to(T0 + 60.25)  # the first second of the next
        waits = requests("burst", limit=120, times=120)
    # The previous minute's 120 count as spread over it: the two that came in its first half
    # second are out of the sliding minute, and one of them was 0.25 s ago, so one more is
    # admitted. A fixed window admitted all 120 again.
    assert waits.count(0) == 1
    assert waits[0] == 0 and set(waits[1:]) == {1}


def test_the_fixed_window_of_the_start_limit_admits_that_burst():
    """The customer start limit stays a fixed window (record 0111): the same burst is admitted,
    which this proves the sliding limit above is not."""
    with time_machine.travel(T0 + 59.5, tick=False) as clock:
        assert [guards.over_limit("fixed", limit=120, window=60) for _ in range(120)] == [0] * 120
        clock.move_to(T0 + 60.25)
        assert [guards.over_limit("fixed", limit=120, window=60) for _ in range(120)] == [0] * 120


@pytest.mark.parametrize("phase", [0.0, 0.001, 7.5, 14.999])
def test_steady_use_at_the_limit_is_admitted_whatever_its_phase(phase):
    """Four a minute, one every 15 s, for five minutes: every one admitted; from the second
    minute on, one more at any of those moments is refused, so the limit is not looser."""
    with time_machine.travel(T0 + phase, tick=False) as clock:
        for step in range(20):
            clock.move_to(T0 + phase + 15 * step)
            assert requests("steady", limit=4) == [0], f"request {step} refused"
            if step >= 4:
                assert requests("steady", limit=4)[0] > 0, f"an extra request at step {step} admitted"


def test_steady_use_at_120_a_minute_is_admitted():
    with time_machine.travel(T0 + 0.2, tick=False) as clock:
        for step in range(360):  # three minutes, one every half second
            clock.move_to(T0 + 0.2 + step / 2)
            assert requests("busy", limit=120) == [0], f"request {step} refused"


def test_retry_after_is_when_a_request_is_admitted_again():
    with time_machine.travel(T0 + 10, tick=False) as clock:
        assert requests("retry", limit=4, times=4) == [0] * 4
        clock.move_to(T0 + 50)
        assert requests("retry", limit=4) == [10]  # the next minute: these four are spread over it
        clock.move_to(T0 + 59)
        assert requests("retry", limit=4) == [1]  # refused requests were not counted
        clock.move_to(T0 + 60)
        assert requests("retry", limit=4) == [0]  # one of the four is out of the sliding minute
        # Three are still inside (counted as at 15, 30 and 45 s): the next slot is at 75 s,
        # where a fixed window would have admitted three more at once.
        assert requests("retry", limit=4) == [15]
        clock.move_to(T0 + 74)
        assert requests("retry", limit=4) == [1]
        clock.move_to(T0 + 75)
        assert requests("retry", limit=4) == [0]


def test_retry_after_is_never_early_nor_late():
    """Over a random minute-spanning use, every `Retry-After` is the first whole second at
    which a request is admitted: one a second earlier is refused (and, refused, not counted)."""
    rng = random.Random(111)
    now = T0 + 3.3
    checked = 0
    with time_machine.travel(now, tick=False) as clock:
        for _ in range(400):
            now += rng.choice([0.0, 0.0, 0.1, 0.7, 2.0, 9.0])
            clock.move_to(now)
            [wait] = requests("random", limit=7)
            if wait:
                checked += 1
                if wait > 1:
                    clock.move_to(now + wait - 1)
                    assert requests("random", limit=7)[0] > 0, f"admitted before Retry-After {wait}"
                clock.move_to(now + wait)
                assert requests("random", limit=7) == [0], f"refused after Retry-After {wait}"
                now += wait
    assert checked > 20  # the use went over the limit often enough to check


def test_refused_requests_do_not_push_the_wait_further():
    """A client that retries early while refused is admitted at the same time as one that
    waited: only admitted requests count."""
    with time_machine.travel(T0 + 30, tick=False) as clock:
        assert requests("eager", limit=3, times=3) == [0] * 3
        assert requests("eager", limit=3, times=50) == [30] * 50
        clock.move_to(T0 + 60)
        assert requests("eager", limit=3) == [0]


def test_concurrent_requests_admit_exactly_the_limit():
    """Twenty threads (each with its own cache connection) ask at once: exactly the limit is
    admitted, and the refused ones' counts are taken back."""
    limit = 8
    waits: list[int] = []
    start = threading.Barrier(20)

    def ask() -> None:
        start.wait(timeout=30)
        waits.append(guards.over_sliding_limit("concurrent", limit=limit, window=10**9))

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(waits) == 20
    assert waits.count(0) == limit
    bucket = int(time.time() // 10**9)
    assert cache.get(f"portal:rate:concurrent:{bucket}") == limit


def test_a_token_that_kept_to_the_limit_in_the_last_60_seconds_may_still_be_held_back():
    """What the integrators' docs must say (README, docs/integrations/): two counters cannot
    tell when the previous minute's requests came, so they count them as spread over it. A
    token that sent its limit in a minute's first second and then waited a full 60 seconds has
    sent nothing in the last 60 seconds, yet is admitted one request a `60 / limit` seconds until
    the estimate lets them go; "the limit in any 60 seconds" is not what it gets."""
    with time_machine.travel(T0 + 0.5, tick=False) as clock:
        assert requests("early", limit=4, times=4) == [0] * 4
        clock.move_to(T0 + 61)  # all four are 60.5 s old: an exact sliding minute holds none
        assert requests("early", limit=4, times=4) == [0, 14, 14, 14]
