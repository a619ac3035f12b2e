"""The admin's own pages show a start record's time in the portal's formats
(docs/decisions/0114-admin-dates-per-language.md): the list's column (the short form), the
record's read-only field and the date drill-down's days, in the languages whose Django formats
read wrong."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

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
