"""Export or erase everything the portal holds about one customer (docs/privacy.md)."""

from __future__ import annotations

import logging

from django.utils import timezone
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from portal.privacy.holders import Subject, all_holders

logger = logging.getLogger(__name__)


def export(subject: Subject) -> dict:
    """JSON-ready: what each holder has about the subject."""
    return {
        "subject": {"email": subject.email, "external_key": subject.external_key},
        "exported_at": timezone.now().isoformat(),
        "data": {holder.name: holder.export(subject) for holder in all_holders()},
        "logs": "The portal's logs hold no customer fields (docs/privacy.md).",
    }


def erase(subject: Subject) -> dict[str, int]:
    """Erases the subject's data in every holder; returns the records changed per holder.
    The log line says how many, never whose."""
    counts = {holder.name: holder.erase(subject) for holder in all_holders()}
    logger.info("Privacy request: erased %s", ", ".join(f"{name}={count}" for name, count in counts.items()))
    return counts


def erased_text(counts: dict[str, int]) -> str:
    """What `erase` did, in words of the active language: "Erased: 1 webhook event and
    customer data in 2 start requests." (each holder's `describe`, in the order they registered)."""
    holders = {holder.name: holder for holder in all_holders()}
    parts = [holders[name].describe(count) for name, count in counts.items()]
    return _("Erased: %(counts)s.") % {"counts": get_text_list(parts, _("and"))}
