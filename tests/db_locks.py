"""Helpers for tests that run two saves side by side on PostgreSQL, each on its own connection
(a thread), and need one to be waiting for the other's lock before going on."""

from __future__ import annotations

import time

from django.db import connection


def row_lock_waiters() -> int:
    """How many lock requests PostgreSQL has not granted yet (row, transaction or advisory)."""
    with connection.cursor() as cursor:  # pg_locks is read afresh on every call
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def wait_for(
    condition, *, seconds: float = 10.0, what: str = "the other save never reached the site's lock"
) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)
