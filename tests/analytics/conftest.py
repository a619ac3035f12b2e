"""Start records on known days, and the dashboard read back as a user sees it: the table's
numbers and the chart's SVG."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from portal.models import StartRequest

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


class Tables(HTMLParser):
    """Every <table> with an id: its header row and its body rows, as text cells."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table = self._section = None
        self._row: list[str] | None = None
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id"):
            self._table = self.tables.setdefault(attrs["id"], {"head": [], "body": [], "foot": []})
        elif self._table is not None and tag in ("thead", "tbody", "tfoot"):
            self._section = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif self._table is not None and tag == "tr":
            self._row = []
        elif self._row is not None and tag in ("th", "td"):
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append(" ".join(self._cell.split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table[self._section].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def tables(response) -> dict[str, dict]:
    parser = Tables()
    parser.feed(response.content.decode())
    return parser.tables


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
