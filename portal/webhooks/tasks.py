"""The worker's one task: one attempt of one webhook delivery (portal/webhooks/services.py)."""

from __future__ import annotations

from django_tasks import task

from portal.webhooks import services


@task()
def deliver_webhook(delivery_id: int) -> str:
    return str(services.attempt_delivery(delivery_id=delivery_id))
