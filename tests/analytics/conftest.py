"""Start records on known days, and the dashboard read back as a user sees it: the table's
numbers and the chart's SVG."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from portal.models import StartRequest
from tests.parsed_html import Element, elements

# "Now" for every test here: the dashboard's last day is 2026-12-06.
NOW = dt.datetime(2026, 12, 6, 15, 0, tzinfo=ZoneInfo("UTC"))
TODAY = NOW.date()


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def add_start(*, days_ago: int, site, flow="key", outcome="started", issue=None, hour=10) -> StartRequest:
    """A start record created `days_ago` days before today at `hour` UTC."""
    record = StartRequest.objects.create(
        site=site, flow=flow, outcome=outcome, issue=issue, backend_kind=site.backend.kind
    )
    when = dt.datetime.combine(TODAY - dt.timedelta(days=days_ago), dt.time(hour), tzinfo=ZoneInfo("UTC"))
    StartRequest.objects.filter(pk=record.pk).update(created_at=when)
    return record


def tables(response) -> dict[str, dict]:
    """Every <table> with an id: its head, body and foot rows as lists of cell texts."""
    found = {}
    for table in elements(response.content, "table", id=True):
        sections = {"head": "thead", "body": "tbody", "foot": "tfoot"}
        found[table.attrs["id"]] = {
            name: [
                [cell.text for cell in row.parts if isinstance(cell, Element) and cell.tag in ("th", "td")]
                for part in elements(table, tag)
                for row in elements(part, "tr")
            ]
            for name, tag in sections.items()
        }
    return found


def dashboard(client, **query):
    return client.get(reverse("admin:portal_startrequest_dashboard"), query)


def day_columns(table: dict) -> dict[str, dict[str, int]]:
    """The per-day table as {series label: {ISO day: count}}, with "Total" as a series."""
    header = table["head"][0][1:]
    found: dict[str, dict[str, int]] = {label: {} for label in header}
    for row in table["body"]:
        for label, value in zip(header, row[1:], strict=True):
            found[label][row[0]] = int(value)
    return found
