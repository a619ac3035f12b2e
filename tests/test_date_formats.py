"""Django's date formats as the admin shows them (list columns, read-only fields, the date
drill-down, the analytics dates), checked in all 16 languages against CLDR's month and weekday
names (docs/decisions/0114-admin-dates-per-language.md): the portal's overrides in
`portal/formats/` write a month or weekday lower-case where the language does, in the case a
day and month take, and the day unpadded where the language writes it so."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.dates import get_day_names, get_month_names
from django.conf import settings
from django.utils import formats, translation

from portal.dates import to_the_second
from portal.languages import html_lang

LANGUAGES = [code for code, _name in settings.LANGUAGES]
NAMED = ["DATE_FORMAT", "DATETIME_FORMAT", "MONTH_DAY_FORMAT", "YEAR_MONTH_FORMAT"]
ALL = [*NAMED, "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT", "TIME_FORMAT"]
# Thursday 7 May and Monday 7 December 2026: a single-digit day, a month whose name is its own
# abbreviation in several languages, and one that is not.
MOMENTS = [datetime(2026, 5, 7, 9, 8, tzinfo=UTC), datetime(2026, 12, 7, 9, 8, tzinfo=UTC)]


def rendered(language: str, format_name: str, moment: datetime) -> str:
    with translation.override(language):
        return formats.date_format(moment, format_name)


def cldr_names(language: str) -> list[str]:
    """Every month and weekday name CLDR has for the language: wide and abbreviated, in a date
    and standing alone."""
    locale = html_lang(language).replace("-", "_")
    names: list[str] = []
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            names += get_month_names(width, context, locale=locale).values()
            names += get_day_names(width, context, locale=locale).values()
    return [name.rstrip(".") for name in names]


def words(text: str) -> list[str]:
    """Words and numbers, in order."""
    return re.findall(r"\w+", text)


@pytest.mark.parametrize("format_name", ALL)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_month_or_weekday_is_capitalised_where_the_language_writes_it_lower_case(language, format_name):
    """After the first word or number (a label's first letter is capitalised anyway: the
    admin's date drill-down does it), a name CLDR writes lower-case never appears capitalised."""
    lower_case = {name for name in cldr_names(language) if name[:1].islower()}
    capitalised = {name[:1].upper() + name[1:] for name in lower_case}
    for moment in MOMENTS:
        text = rendered(language, format_name, moment)
        assert [word for word in words(text)[1:] if word in capitalised] == [], text


@pytest.mark.parametrize("format_name", ["DATE_FORMAT", "DATETIME_FORMAT", "MONTH_DAY_FORMAT"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_day_and_month_read_as_in_a_date(language, format_name):
    """The day unpadded, and the month's name in the form CLDR gives it in a date (Russian's
    genitive "мая", Finnish's partitive "toukokuuta"), or its number (Chinese, Japanese)."""
    locale = html_lang(language).replace("-", "_")
    for moment in MOMENTS:
        text = rendered(language, format_name, moment)
        in_a_date = {
            name.rstrip(".").lower()
            for width in ("wide", "abbreviated")
            for name in [get_month_names(width, "format", locale=locale)[moment.month]]
        }
        assert "07" not in text, text
        found = [word for word in words(text) if word.lower() in in_a_date]
        assert found or f"{moment.month}月{moment.day}日" in text, text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("it", ["7 dic 2026", "7 dic 2026, 09:08", "7 dic", "07/12/2026 09:08"]),
        ("pt-br", ["7 de dez. de 2026", "7 de dez. de 2026 09:08", "7 de dez.", "07/12/2026 09:08"]),
        ("pt-pt", ["7 de dez. de 2026", "7 de dez. de 2026, 09:08", "7 de dez.", "07/12/2026 09:08"]),
        ("tr", ["7 Aralık 2026", "7 Aralık 2026 09:08", "7 Aralık", "7.12.2026 09:08"]),
        ("ja", ["2026年12月7日", "2026年12月7日 9:08", "12月7日", "2026/12/07 9:08"]),
        ("ru", ["7 декабря 2026 г.", "7 декабря 2026 г. 9:08", "7 декабря", "07.12.2026 09:08"]),
        ("fi", ["7. joulukuuta 2026", "7. joulukuuta 2026 kello 9.08", "7. joulukuuta", "7.12.2026 9.08"]),
        ("zh-hans", ["2026年12月7日", "2026年12月7日 09:08", "12月7日", "2026年12月7日 09:08"]),
        ("zh", ["2026年12月7日", "2026年12月7日 09:08", "12月7日", "2026年12月7日 09:08"]),
    ],
)
def test_the_languages_with_their_own_formats(language, expected):
    moment = MOMENTS[1]
    names = ["DATE_FORMAT", "DATETIME_FORMAT", "MONTH_DAY_FORMAT", "SHORT_DATETIME_FORMAT"]
    assert [rendered(language, name, moment) for name in names] == expected


@pytest.mark.parametrize(
    ("language", "expected"), [("ja", "5月7日"), ("zh", "5月7日"), ("zh-hans", "5月7日")]
)
def test_a_chinese_or_japanese_month_is_not_zero_padded(language, expected):
    assert rendered(language, "MONTH_DAY_FORMAT", MOMENTS[0]) == expected


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("hour", [9, 21])
def test_a_time_to_the_second_is_the_admins_date_with_the_seconds_after_the_minutes(language, hour, settings):
    """The webhook delivery log's times (portal.dates.to_the_second): the language's own
    DATETIME_FORMAT, its minutes followed by the seconds with the same separator."""
    settings.TIME_ZONE = "UTC"
    moment = datetime(2026, 12, 7, hour, 8, 42, tzinfo=UTC)
    with translation.override(language):
        shown = to_the_second(moment)
    seconds = re.search(r"\d([:.])08(\1)42", shown)
    assert seconds, shown
    without_seconds = shown[: seconds.start(2)] + shown[seconds.end(2) + 2 :]
    assert without_seconds == rendered(language, "DATETIME_FORMAT", moment)
