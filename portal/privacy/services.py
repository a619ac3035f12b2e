"""Export or erase everything the portal holds about one customer (docs/privacy.md)."""

from __future__ import annotations

import logging
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.privacy.holders import Subject, all_holders
from portal.timestamps import utc_to_the_second

logger = logging.getLogger(__name__)


def export(subject: Subject) -> dict:
    """JSON-ready: what each holder has about the subject."""
    return {
        "subject": {"email": subject.email, "external_key": subject.external_key},
        "exported_at": utc_to_the_second(timezone.now()),
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
    return _("Erased: %(counts)s.") % {"counts": listed_with_and(parts)}


def listed_with_and(parts: list[str]) -> str:
    """ "a, b and c" as the active language writes it. Django's `get_text_list` joins its "and"
    to the last item with a plain space, and a Russian line could end on "и"; here the
    language's pattern carries its own spaces ("и\u00a0",
    docs/decisions/0108-line-breaks-on-customer-pages.md). Japanese and Chinese write their
    conjunction without spaces ("%(items)sと%(last)s"), and set a Latin word or a number apart
    from their own script by a space: where an item puts one beside the pattern's text, the
    space is added ("データと Webhook イベント", "資料和 1 個")."""
    if len(parts) < 2:
        return "".join(parts)
    separator = pgettext("list separator", ", ")
    pattern = pgettext("list of items", "%(items)s and %(last)s")
    values = {"items": separator.join(parts[:-1]), "last": parts[-1]}
    pieces = re.split(r"%\((items|last)\)s", pattern)
    text = pieces[0]
    for name, after in zip(pieces[1::2], pieces[2::2], strict=True):
        text = spaced_seam(spaced_seam(text, values[name]), after)
    return text


# Ideographs and kana, not their punctuation ("、", "：" take no space).
CJK_LETTERS = re.compile("[\u3005\u3041-\u3096\u30a1-\u30fa\u30fc\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN_OR_DIGIT = re.compile("[A-Za-z0-9\u00c0-\u024f]")


def spaced_seam(left: str, right: str) -> str:
    """`left + right`, with a space between an ideograph or a kana and a Latin letter or digit
    meeting at the seam (as the Japanese and Chinese catalogs write them)."""
    if left and right:
        ends, starts = left[-1], right[0]
        if (CJK_LETTERS.fullmatch(ends) and LATIN_OR_DIGIT.fullmatch(starts)) or (
            LATIN_OR_DIGIT.fullmatch(ends) and CJK_LETTERS.fullmatch(starts)
        ):
            return f"{left} {right}"
    return left + right
