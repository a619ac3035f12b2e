"""Start webhooks: write the event with the start, deliver it from the worker, retry, give up.

`enqueue_start_event` is called by `portal.services.record_start` inside the start's own
transaction: the event, one delivery per subscribed endpoint and the task rows that send them
are committed with the start record or not at all. The worker (`manage.py db_worker`) runs
`portal.webhooks.tasks.deliver_webhook`, which calls `attempt_delivery`: one POST, one
`Attempt` row, then delivered, a retry later, or given up
(docs/decisions/0070-start-webhooks-on-django-tasks.md,
docs/decisions/0071-webhook-retries-and-exactly-one-sender.md).
"""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.utils import timezone

from portal import selectors
from portal.caching import site_cache_version, versioned
from portal.conf import portal_settings
from portal.models import Site, StartRequest
from portal.webhooks import signing, transport
from portal.webhooks.models import Attempt, Delivery, Endpoint, Event, EventType, new_event_id

logger = logging.getLogger(__name__)

USER_AGENT = "SupportPortal-Webhooks/1"
# The start outcomes and the event each sends; a preview start (the demo backend) is a start.
EVENT_FOR_OUTCOME: dict[str, EventType] = {
    StartRequest.Outcome.STARTED: EventType.STARTED,
    StartRequest.Outcome.PREVIEW: EventType.STARTED,
    StartRequest.Outcome.INVALID: EventType.REFUSED,
    StartRequest.Outcome.FAILED: EventType.FAILED,
}
# An attempt still "sending" this long after its timeouts ran out was lost with its worker.
LEASE_MARGIN = timedelta(seconds=60)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _site_document(site: Site) -> dict:
    return {"id": site.pk, "name": site.name, "hostname": selectors.first_hostname(site)}


def event_body(
    *,
    event_id: str,
    event_type: str,
    created: datetime,
    site: Site,
    flow: str,
    issue: str | None,
    outcome: str,
    language: str,
    external_key: str,
    start_request_id: int | None,
    customer: dict | None,
    test: bool = False,
) -> str:
    """The JSON document every attempt of the event sends, byte for byte
    (docs/integrations/webhooks.md)."""
    document = {
        "id": event_id,
        "type": event_type,
        "created": _timestamp(created),
        "site": _site_document(site),
        "flow": flow,
        "issue": issue,
        "outcome": outcome,
        "language": language,
        "external_key": external_key,
        "start_request_id": start_request_id,
        "test": test,
    }
    if site.keep_personal_data:
        document["customer"] = customer or {}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))


def _subscribed(site_id: int, event_type: str) -> list[int]:
    rows = Endpoint.objects.filter(site_id=site_id, active=True).values_list("id", "events")
    return [pk for pk, events in rows if event_type in (events or [])]


def subscribed_event_types(*, site_id: int) -> frozenset[str]:
    """The event types at least one active endpoint of the site takes, cached under the site
    version (saving or deleting an endpoint renews it, portal/signals.py): a start on a site
    without endpoints reads nothing (docs/decisions/0066-lean-start-record.md)."""

    def lookup() -> frozenset[str]:
        rows = Endpoint.objects.filter(site_id=site_id, active=True).values_list("events", flat=True)
        return frozenset(event_type for events in rows for event_type in (events or []))

    return versioned(f"portal:webhook-event-types:{site_cache_version()}:{site_id}", lookup)


def start_event_wanted(*, site: Site | None, outcome: str) -> bool:
    """Whether a start with this outcome may have an event to write: False only when no active
    endpoint of the site takes it (by the cached list); `enqueue_start_event` reads the
    endpoints themselves inside the start's transaction."""
    event_type = EVENT_FOR_OUTCOME.get(outcome)
    return (
        site is not None and event_type is not None and event_type in subscribed_event_types(site_id=site.pk)
    )


def enqueue_start_event(
    *, start_request: StartRequest, customer=None, issue_code_name: str | None = None
) -> Event | None:
    """The hook in `portal.services.record_start`. `customer` (a `portal.services.Customer`)
    gives the external key, which every event carries; the customer's own fields go only
    where the site keeps customer data, as the start record holds them. `issue_code_name`
    (the cached issue's) spares a read of the issue inside the start's transaction.

    Without an endpoint for this event nothing is written. A database error here is logged
    and leaves the start alone (a savepoint): the customer never pays for a webhook.
    """
    site = start_request.site
    event_type = EVENT_FOR_OUTCOME.get(start_request.outcome)
    if site is None or event_type is None:
        return None
    try:
        with transaction.atomic():
            endpoints = _subscribed(site.pk, event_type)
            if not endpoints:
                return None
            kept = dict(start_request.customer_data or {}) if site.keep_personal_data else None
            external_key = getattr(customer, "external_key", "") or (kept or {}).get("external_key", "")
            if kept is not None:
                kept.pop("external_key", None)
            event_id = new_event_id()
            event = Event.objects.create(
                id=event_id,
                type=event_type,
                site=site,
                start_request=start_request,
                external_key=external_key[:255],
                created_at=start_request.created_at,
                body=event_body(
                    event_id=event_id,
                    event_type=event_type,
                    created=start_request.created_at,
                    site=site,
                    flow=start_request.flow,
                    issue=_issue_code_name(start_request, issue_code_name),
                    outcome=start_request.outcome,
                    language=start_request.locale,
                    external_key=external_key,
                    start_request_id=start_request.pk,
                    customer=kept,
                ),
            )
            _queue(event, endpoints)
            return event
    except DatabaseError:
        logger.exception("Webhook event for start record %s not written", start_request.pk)
        return None


def _issue_code_name(start_request: StartRequest, given: str | None) -> str | None:
    """The caller's code name for the record's issue (record_start has the cached issue), else
    the record's own."""
    if start_request.issue_id is None:
        return None
    if given:
        return given
    issue = start_request.issue  # set, as issue_id is: loaded only when the caller had no name
    return issue.code_name if issue is not None else None


def _queue(event: Event, endpoint_ids: list[int]) -> None:
    from portal.webhooks.tasks import deliver_webhook

    now = timezone.now()
    for endpoint_id in endpoint_ids:
        delivery = Delivery.objects.create(event=event, endpoint_id=endpoint_id, next_attempt_at=now)
        deliver_webhook.enqueue(delivery.pk)


def send_test_event(*, endpoint: Endpoint) -> Event:
    """A sample event to one endpoint (admin's "Send test event"), marked `"test": true`."""
    site = endpoint.site
    now = timezone.now()
    event_type = (endpoint.events or [EventType.STARTED])[0]
    outcome = {
        EventType.REFUSED: StartRequest.Outcome.INVALID,
        EventType.FAILED: StartRequest.Outcome.FAILED,
    }.get(event_type, StartRequest.Outcome.STARTED)
    event_id = new_event_id()
    sample = {"name": "Test Customer", "email": "test.customer@example.com"}
    with transaction.atomic():
        event = Event.objects.create(
            id=event_id,
            type=event_type,
            site=site,
            test=True,
            external_key="TEST-0001",
            created_at=now,
            body=event_body(
                event_id=event_id,
                event_type=event_type,
                created=now,
                site=site,
                flow=StartRequest.Flow.SURVEY,
                issue=None,
                outcome=outcome,
                language=site.default_language,
                external_key="TEST-0001",
                start_request_id=None,
                customer=sample,
                test=True,
            ),
        )
        _queue(event, [endpoint.pk])
    return event


def retry_delay(failures: int, *, rng: random.Random | None = None) -> timedelta:
    """After the n-th failed attempt: base x 2^(n-1), capped, +-20 % jitter so endpoints
    that came back do not get every queued event in the same second."""
    base = portal_settings.WEBHOOKS_RETRY_BASE * (2 ** max(failures - 1, 0))
    delay = min(base, portal_settings.WEBHOOKS_RETRY_MAX_DELAY)
    return timedelta(seconds=delay * (rng or random).uniform(0.8, 1.2))


def retry_window() -> timedelta:
    return timedelta(hours=portal_settings.WEBHOOKS_RETRY_HOURS)


def headers_for(*, event: Event, secret: str, body: bytes, timestamp: int) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.SIGNATURE_HEADER: signing.signature_header(secret=secret, body=body, timestamp=timestamp),
        "Portal-Event": event.type,
        "Portal-Delivery": event.pk,
    }


def attempt_delivery(*, delivery_id: int, rng: random.Random | None = None) -> str:
    """One attempt of one delivery; returns its new status (the task's result).

    Only the caller that moves the row from PENDING (with the attempt count it read) to
    SENDING sends: two workers holding the same task, or a retry and an admin's test, cannot
    send the same attempt twice (docs/decisions/0071-webhook-retries-and-exactly-one-sender.md).
    """
    delivery = Delivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != Delivery.Status.PENDING:
        return "skipped"
    endpoint, event = delivery.endpoint, delivery.event
    now = timezone.now()
    if not endpoint.active:
        Delivery.objects.filter(pk=delivery.pk, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.CANCELLED, next_attempt_at=None
        )
        return Delivery.Status.CANCELLED
    timeout = (portal_settings.WEBHOOKS_CONNECT_TIMEOUT, portal_settings.WEBHOOKS_READ_TIMEOUT)
    number = delivery.attempts + 1
    claimed = Delivery.objects.filter(
        pk=delivery.pk,
        status=Delivery.Status.PENDING,
        attempts=delivery.attempts,
    ).update(
        status=Delivery.Status.SENDING,
        attempts=number,
        lease_until=now + timedelta(seconds=sum(timeout)) + LEASE_MARGIN,
    )
    if not claimed:
        return "skipped"
    body = event.body.encode("utf-8")
    outcome = transport.post(
        url=endpoint.url,
        body=body,
        timeout=timeout,
        headers=headers_for(event=event, secret=endpoint.secret, body=body, timestamp=int(now.timestamp())),
        allow_private=portal_settings.WEBHOOKS_ALLOW_PRIVATE,
    )
    return _record(delivery=delivery, number=number, started=now, outcome=outcome, rng=rng)


def _record(
    *,
    delivery: Delivery,
    number: int,
    started: datetime,
    outcome: transport.Outcome,
    rng: random.Random | None,
) -> str:
    from portal.webhooks.tasks import deliver_webhook

    finished = timezone.now()
    event = delivery.event
    changes: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "lease_until": None,
        "last_error": outcome.error[:300],
    }
    if outcome.ok:
        status = Delivery.Status.DELIVERED
        changes.update(delivered_at=finished, next_attempt_at=None)
    else:
        if outcome.status_code is not None and not outcome.error:
            changes["last_error"] = f"HTTP {outcome.status_code}"
        next_at = finished + retry_delay(number, rng=rng)
        if outcome.final or next_at > event.created_at + retry_window():
            status = Delivery.Status.FAILED
            changes["next_attempt_at"] = None
        else:
            status = Delivery.Status.PENDING
            changes["next_attempt_at"] = next_at
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=started,
            latency_ms=outcome.latency_ms,
            status_code=outcome.status_code,
            error=outcome.error[:300],
            response_excerpt=outcome.excerpt,
        )
        updated = Delivery.objects.filter(
            pk=delivery.pk, status=Delivery.Status.SENDING, attempts=number
        ).update(status=status, **changes)
        if updated and status == Delivery.Status.PENDING:
            deliver_webhook.using(run_after=changes["next_attempt_at"]).enqueue(delivery.pk)
    # The receiver's host and the outcome; never the body, the secret or the full URL.
    logger.info(
        "Webhook %s to %s (endpoint %s), attempt %s: %s%s",
        event.pk,
        delivery.endpoint.host,
        delivery.endpoint_id,
        number,
        outcome.status_code or outcome.error,
        f", retry at {_timestamp(changes['next_attempt_at'])}"
        if status == Delivery.Status.PENDING
        else f", {status}",
    )
    return status


def requeue_lost(*, now: datetime | None = None) -> int:
    """Deliveries whose worker died mid-request (still SENDING after their lease) go back to
    the queue for their next attempt, with the same `Portal-Delivery` id; returns how many.
    Run before every worker start (make run, make serve, `docker run IMAGE worker`)."""
    from portal.webhooks.tasks import deliver_webhook

    now = now or timezone.now()
    count = 0
    for delivery in Delivery.objects.filter(status=Delivery.Status.SENDING, lease_until__lt=now):
        with transaction.atomic():
            moved = Delivery.objects.filter(
                pk=delivery.pk,
                status=Delivery.Status.SENDING,
                attempts=delivery.attempts,
            ).update(
                status=Delivery.Status.PENDING,
                lease_until=None,
                next_attempt_at=now,
                last_error="The worker stopped during this attempt",
            )
            if moved:
                lease_until = delivery.lease_until
                assert lease_until is not None  # lease_until__lt never matches NULL
                Attempt.objects.get_or_create(
                    delivery=delivery,
                    number=delivery.attempts,
                    defaults={
                        "started_at": lease_until
                        - LEASE_MARGIN
                        - timedelta(
                            seconds=portal_settings.WEBHOOKS_CONNECT_TIMEOUT
                            + portal_settings.WEBHOOKS_READ_TIMEOUT
                        ),
                        "error": "Lost: the worker stopped during the request",
                    },
                )
                deliver_webhook.enqueue(delivery.pk)
                count += moved
    return count


def purge_old_events(*, now: datetime | None = None) -> int:
    """Deletes events (with their deliveries and attempts) older than their site's retention
    period for start records, as `portal_purge` does for the records; events of a deleted site
    go after the longest period. Returns how many events."""
    now = now or timezone.now()
    deleted = 0
    longest = 0
    for site in Site.objects.all():
        longest = max(longest, site.retention_days)
        cutoff = now - timedelta(days=site.retention_days)
        deleted += Event.objects.filter(site=site, created_at__lt=cutoff).delete()[1].get("webhooks.Event", 0)
    orphans = Event.objects.filter(site__isnull=True, created_at__lt=now - timedelta(days=longest or 90))
    deleted += orphans.delete()[1].get("webhooks.Event", 0)
    return deleted
