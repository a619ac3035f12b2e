"""The admin's own pages show a start record's time in the portal's formats
(docs/decisions/0114-admin-dates-per-language.md): the list's column (the short form), the
record's read-only field and the date drill-down's days, in the languages whose Django formats
read wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import translation

from portal.models import StartRequest
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 12, 7, 9, 8, tzinfo=UTC)


@pytest.fixture
def start(site, settings):
    settings.TIME_ZONE = "UTC"
    record = StartRequest.objects.create(
        site=site, flow="key", backend_kind=site.backend.kind, outcome="started"
    )
    StartRequest.objects.filter(pk=record.pk).update(created_at=STARTED)
    return record


def shown(admin_client, start, language: str) -> tuple[str, str, str]:
    """The list's time column, the drill-down's day link, the record's time field."""
    changelist = reverse("admin:portal_startrequest_changelist")
    listed = admin_client.get(changelist, HTTP_ACCEPT_LANGUAGE=language).content
    month = admin_client.get(
        changelist, {"created_at__year": 2026, "created_at__month": 12}, HTTP_ACCEPT_LANGUAGE=language
    ).content
    record = admin_client.get(
        reverse("admin:portal_startrequest_change", args=[start.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content
    (day,) = [link.text for link in elements(month, "a") if "created_at__day=7" in link.attrs.get("href", "")]
    return (
        element(listed, "th", class_="field-when").text,
        day,
        element(element(record, "div", class_="field-created_at"), "div", class_="readonly").text,
    )


@pytest.mark.parametrize(
    ("language", "column", "day", "field"),
    [
        ("it", "07/12/2026 09:08", "7 dic", "7 dic 2026, 09:08"),
        ("pt-br", "07/12/2026 09:08", "7 de dez.", "7 de dez. de 2026 09:08"),
        ("pt-pt", "07/12/2026 09:08", "7 de dez.", "7 de dez. de 2026, 09:08"),
        ("tr", "7.12.2026 09:08", "7 Aralık", "7 Aralık 2026 09:08"),
        ("ja", "2026/12/07 9:08", "12月7日", "2026年12月7日 9:08"),
        ("ru", "07.12.2026 09:08", "7 декабря", "7 декабря 2026 г. 9:08"),
        ("fi", "7.12.2026 9.08", "7. joulukuuta", "7. joulukuuta 2026 kello 9.08"),
        ("zh-hans", "2026年12月7日 09:08", "12月7日", "2026年12月7日 09:08"),
        ("en-us", "12/07/2026 9:08 a.m.", "December 7", "Dec. 7, 2026, 9:08 a.m."),
    ],
)
def test_a_start_records_time_in_the_admin(admin_client, start, language, column, day, field):
    assert shown(admin_client, start, language) == (column, day, field)


@pytest.mark.parametrize(
    ("language", "year_months", "month_back"),
    [
        ("es", ["diciembre de 2026"], "diciembre de 2026"),
        ("ru", ["декабрь 2026 г."], "декабрь 2026 г."),
        ("fr", ["décembre 2026"], "décembre 2026"),
        ("fi", ["joulukuu 2026"], "joulukuu 2026"),
        ("it", ["dicembre 2026"], "dicembre 2026"),
        ("pt-br", ["dezembro de 2026"], "dezembro de 2026"),
        ("nl", ["december 2026"], "december 2026"),
        ("sv-se", ["december 2026"], "december 2026"),
        # Languages that write a month's name with a capital keep it.
        ("en-us", ["December 2026"], "December 2026"),
        ("de", ["Dezember 2026"], "Dezember 2026"),
        ("tr", ["Aralık 2026"], "Aralık 2026"),
        ("ja", ["2026年12月"], "2026年12月"),
    ],
)
def test_the_date_drill_down_writes_a_month_as_the_language_does(
    admin_client, start, language, year_months, month_back
):
    """Django capitalises each drill-down link ("Diciembre de 2026", "Декабрь 2026 г."), where
    these languages write a month in lower case; a label that is no month keeps its capital."""
    changelist = reverse("admin:portal_startrequest_changelist")
    year = admin_client.get(changelist, {"created_at__year": 2026}, HTTP_ACCEPT_LANGUAGE=language).content
    nav = element(year, "nav", class_="toplinks")
    assert [
        a.text for a in elements(nav, "a") if "created_at__month" in a.attrs.get("href", "")
    ] == year_months
    with translation.override(language):
        all_dates = translation.gettext("All dates")  # "Todas las fechas", "Все даты": no month
    assert element(nav, "a", class_="date-back").text == f"‹ {all_dates}"
    day = admin_client.get(
        changelist,
        {"created_at__year": 2026, "created_at__month": 12, "created_at__day": 7},
        HTTP_ACCEPT_LANGUAGE=language,
    ).content
    assert element(element(day, "nav", class_="toplinks"), "a", class_="date-back").text == f"‹ {month_back}"
