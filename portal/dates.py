"""Dates and times as CLDR writes them for the active language, through Babel
(docs/decisions/0097-dates-as-cldr-writes-them.md): one place for the customer pages and the
admin alike."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from babel.dates import format_date, format_time, get_datetime_format, get_month_names
from django.conf import settings
from django.utils import formats, timezone, translation

from portal.languages import html_lang


def babel_locale() -> str:
    """The active language as a Babel locale: the page's `lang` tag ("es-419" -> "es_419")."""
    return html_lang(translation.get_language() or settings.LANGUAGE_CODE).replace("-", "_")


def date_and_time(moment: datetime, *, date_style: Literal["full", "long"]) -> str:
    """`moment`'s date in `date_style` and its short time, in `moment`'s time zone, joined as
    the language joins that date and a time ("{1}, {0}", "{1} {0}"; a quoted literal is
    unquoted): "December 7, 2026, 9:08 AM", "7 dicembre 2026 09:08"."""
    locale = babel_locale()
    day = format_date(moment, date_style, locale=locale)
    time = format_time(moment, "short", tzinfo=moment.tzinfo, locale=locale)
    joined = re.sub(
        r"'([^']*)'", lambda quoted: quoted.group(1) or "'", str(get_datetime_format(date_style, locale))
    )
    return joined.replace("{1}", day).replace("{0}", time)


# The time in Django's DATETIME_FORMATs ends with the minutes after ":" or "." ("H:i", "G.i");
# en-us's "P" ("9:08 a.m.", "noon") is spelt out so that seconds can follow its minutes too.
_AM_PM_TIME = re.compile(r"(?<!\\)P")
_MINUTES = re.compile(r"(?<!\\)([:.])i")


def to_the_second(moment: datetime) -> str:
    """`moment` in the current time zone, as the admin shows its dates (the active language's
    DATETIME_FORMAT, docs/decisions/0114-admin-dates-per-language.md) with the seconds after
    the minutes: "Dec. 7, 2026, 9:08:42 a.m.", "7. Dezember 2026 09:08:42". For a log whose
    times are seconds apart (a webhook's retries)."""
    pattern = _AM_PM_TIME.sub("g:i a", str(formats.get_format("DATETIME_FORMAT")))
    pattern = _MINUTES.sub(r"\1i\1s", pattern)
    return formats.date_format(timezone.localtime(moment), pattern)


def month_as_written(label: str) -> str:
    """`label` with its first letter as the language writes it when the label begins with a
    month's name: Django's admin capitalises its date drill-down's links ("Diciembre de 2026",
    "Май 2026 г."), where Spanish, Russian, French, Finnish and others write a month in lower
    case ("diciembre de 2026"). CLDR's month names, in every width and context, say which; a
    label that begins otherwise ("All dates", "2026", "7 декабря") or a month the language
    capitalises ("December 2026", "Dezember 2026", "Aralık 2026") is left as it is
    (docs/decisions/0114-admin-dates-per-language.md)."""
    text = str(label)
    if not text[:1].isupper():
        return text
    locale = babel_locale()
    names = {
        str(name)
        for width in ("wide", "abbreviated")
        for context in ("format", "stand-alone")
        for name in get_month_names(width, context, locale).values()
    }
    lower = text[:1].lower() + text[1:]
    written_lower = any(
        name[:1].islower() and lower.startswith(name) and not lower[len(name) : len(name) + 1].isalpha()
        for name in names
    )
    return lower if written_lower else text
