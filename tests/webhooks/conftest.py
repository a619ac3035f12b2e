from __future__ import annotations

import pytest

from django_tasks_db.management.commands.db_worker import Worker
from portal.webhooks.models import Endpoint

SECRET = "whsec_test-secret-0123456789abcdef"


def run_worker() -> None:
    """What `manage.py db_worker --batch` does: every task that is due, on the real database
    backend, in this process."""
    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default",
           startup_delay=False, max_tasks=None, worker_id="test-worker",
           excluded_queue_names=[]).run()


@pytest.fixture
def endpoint_for(site):
    def make(url: str, **fields) -> Endpoint:
        return Endpoint.objects.create(site=site, url=url, secret=SECRET, **fields)
    return make
