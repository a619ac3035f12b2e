from __future__ import annotations

from django_tasks_db.management.commands import db_worker
from django_tasks_db.management.commands.db_worker import Worker


def run_worker() -> None:
    """What `manage.py db_worker --batch` does: every task that is due, on the real database
    backend, in this process.

    The worker calls close_old_connections between tasks, as a long-running process should; in
    a test that would close the connection holding the test's transaction on PostgreSQL
    (SQLite's in-memory test database ignores the close), so it is left out here, as Django's
    test client leaves it out of requests (tests/conftest.py wsgi_keeps_test_connection)."""
    original, db_worker.close_old_connections = db_worker.close_old_connections, lambda **kwargs: None
    try:
        _run_worker()
    finally:
        db_worker.close_old_connections = original


def _run_worker() -> None:
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
