"""Webhook events about one customer, for privacy requests (portal/privacy/holders.py).

An event is found by its external key, or by the customer's email in its body (only sites
that keep customer data send one). Erasing deletes the event with its deliveries and their
attempts, whose response excerpts may echo the body.
"""

from __future__ import annotations

import json

from django.db.models import Q
from django.utils.translation import ngettext

from portal.privacy.holders import Subject
from portal.timestamps import utc_to_the_second
from portal.webhooks.models import Event


def matching(subject: Subject) -> list[Event]:
    query = Q()
    if subject.external_key:
        query |= Q(external_key=subject.external_key)
    if subject.email:
        query |= Q(body__icontains=subject.email)
    found = []
    for event in Event.objects.filter(query).order_by("created_at"):
        document = json.loads(event.body)
        email = ((document.get("customer") or {}).get("email") or "").casefold()
        if (subject.external_key and document.get("external_key") == subject.external_key) or (
            subject.email and email == subject.email.casefold()
        ):
            found.append(event)
    return found


def export(subject: Subject) -> list[dict]:
    return [
        {
            "event": json.loads(event.body),
            "deliveries": [
                {
                    "endpoint": delivery.endpoint.url,
                    "status": delivery.status,
                    "attempts": [
                        {
                            "time": utc_to_the_second(attempt.started_at),
                            "status": attempt.status_code,
                            "error": attempt.error,
                            "response_excerpt": attempt.response_excerpt,
                        }
                        for attempt in delivery.attempt_log.all()
                    ],
                }
                for delivery in event.deliveries.select_related("endpoint").prefetch_related("attempt_log")
            ],
        }
        for event in matching(subject)
    ]


def erase(subject: Subject) -> int:
    events = matching(subject)
    Event.objects.filter(pk__in=[event.pk for event in events]).delete()
    return len(events)


def describe(count: int) -> str:
    """Its deliveries and their attempts go with each event."""
    return ngettext("%(count)d webhook event", "%(count)d webhook events", count) % {"count": count}
