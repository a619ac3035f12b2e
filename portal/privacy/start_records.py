"""The portal's start records: customer fields are in `customer_data` (only where the site
keeps customer data). Erasing clears them and keeps the rest of the row (site, flow, issue,
outcome, language, time), which says nothing about the person and keeps the statistics
(docs/decisions/0073-privacy-requests.md)."""

from __future__ import annotations

from django.db.models import Q
from django.utils.translation import ngettext

from portal.models import StartRequest
from portal.privacy.holders import Subject
from portal.timestamps import utc_to_the_second


def matching(subject: Subject):
    query = Q()
    if subject.email:
        query |= Q(customer_data__email__iexact=subject.email)
    if subject.external_key:
        query |= Q(customer_data__external_key=subject.external_key)
    return StartRequest.objects.filter(customer_data__isnull=False).filter(query)


def export(subject: Subject) -> list[dict]:
    return [
        {
            "id": record.pk,
            "site": record.site.name if record.site else None,
            "flow": record.flow,
            "issue": record.issue.code_name if record.issue else None,
            "outcome": record.outcome,
            "language": record.locale,
            "time": utc_to_the_second(record.created_at),
            "customer": record.customer_data,
        }
        for record in matching(subject).select_related("site", "issue").order_by("created_at")
    ]


def erase(subject: Subject) -> int:
    return matching(subject).update(customer_data=None)


def describe(count: int) -> str:
    """Erasing keeps the row and clears its customer fields."""
    return ngettext(
        "customer data in %(count)d start request", "customer data in %(count)d start requests", count
    ) % {"count": count}
