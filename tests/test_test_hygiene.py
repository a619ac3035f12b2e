"""The tests keep their clocks out: no real-clock sleep, timer or fixed browser timeout in tests/
(issue 9) except the uses named below, each with the reason no event or clock can replace it.

A test that must wait awaits an event (threading.Event, a fake server's `wait_for_requests`,
Playwright's `expect`/`wait_for_*`/`expect_*`) or moves an injected clock or time-machine.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent

# A real-clock wait, in Python or in a browser test's JavaScript.
WAIT = re.compile(r"\bsleep\(|\bwait_for_timeout\(|\bwaitForTimeout\(|\bTimer\(")

# (file, the line's code) -> why it stays. Matched on the code, not the line number.
ALLOWED = {
    ("tests/fakes/server.py", "time.sleep(self.server.delay)"): (
        "latency on purpose for bench/rep_list.py's slow-appliance run; tests hold() or hang() instead"
    ),
    ("tests/test_shared_state.py", "time.sleep(0.02)"): (
        "gunicorn writes its access-log line after answering, in another process: polled, bounded"
    ),
    ("tests/db_locks.py", "time.sleep(0.005)"): (
        "PostgreSQL tells no one when a transaction starts waiting on a row lock: pg_locks is "
        "polled until it shows the waiter (or the other side finished), bounded by a deadline"
    ),
    ("tests/test_shared_state.py", "time.sleep(0.05)"): (
        "rounds of requests until the kernel has spread them over every worker: bounded in count"
    ),
}


def real_clock_waits() -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for path in sorted([*TESTS.rglob("*.py"), *TESTS.rglob("*.js")]):
        if "node_modules" in path.parts or path == Path(__file__):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            code = line.split("#", 1)[0].strip() if path.suffix == ".py" else line.strip()
            if WAIT.search(code):
                key = (path.relative_to(ROOT).as_posix(), code)
                found[key] = found.get(key, 0) + 1
    return found


def test_no_test_waits_on_the_real_clock_beyond_the_allow_list():
    unexplained = sorted(key for key in real_clock_waits() if key not in ALLOWED)
    assert unexplained == [], (
        "await an event or move a clock (time-machine, an injected clock) instead, "
        "or add the use to ALLOWED with the reason nothing else can do"
    )


def test_each_allowed_wait_is_still_there():
    # An entry whose use is gone would silently allow it again later.
    found = real_clock_waits()
    assert [key for key in ALLOWED if key not in found] == []
    assert all(count == 1 for key, count in found.items() if key in ALLOWED)


def test_the_pattern_catches_what_it_is_meant_to():
    for line in [
        "time.sleep(1.1)",
        "sleep(0.2)",
        "page.wait_for_timeout(300)",
        "await page.waitForTimeout(100);",
        "threading.Timer(0.1, gate.set).start()",
    ]:
        assert WAIT.search(line), line
    for line in ["page.wait_for_function(FITS)", "gate.wait(10)", "fake.wait_for_requests(3)"]:
        assert not WAIT.search(line), line
