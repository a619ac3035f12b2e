"""The start records as CSV: the changelist's current filters, formula-safe cells, streamed
(docs/decisions/0082-analytics-dashboard.md)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from portal.models import Issue, Site, StartRequest
from tests.analytics.conftest import add_start, dashboard

pytestmark = pytest.mark.django_db

HEADER = [
    "id",
    "created_at",
    "site",
    "flow",
    "issue",
    "outcome",
    "locale",
    "embedded",
    "chat",
    "backend",
    "invalid_fields",
]


def rows_of(response) -> list[dict[str, str]]:
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="start-records-')
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff") and "\r\n" in text
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


def export(admin_client, query: str = ""):
    return admin_client.get(reverse("admin:portal_startrequest_export") + query)


@pytest.fixture
def records(clock, site, backend, issues):
    other = Site.objects.create(name="Beta Help", backend=backend)
    return {
        "old_started": add_start(days_ago=40, site=site, flow="survey", issue=issues["printing"]),
        "started": add_start(days_ago=1, site=site, flow="key"),
        "invalid": add_start(days_ago=1, site=site, flow="key", outcome="invalid"),
        "other_site": add_start(days_ago=0, site=other, flow="rep"),
    }


def test_every_record_with_its_values(admin_client, records, site, issues):
    rows = export(admin_client)
    found = {row["id"]: row for row in rows_of(rows)}
    assert set(found) == {str(record.pk) for record in records.values()}
    old = found[str(records["old_started"].pk)]
    assert old["site"] == site.name and old["flow"] == "survey" and old["issue"] == "Printing"
    assert old["outcome"] == "started" and old["backend"] == "modern" and old["embedded"] == "FALSE"
    assert old["created_at"] == StartRequest.objects.get(pk=old["id"]).created_at.isoformat(
        timespec="seconds"
    )


def test_the_changelists_filters_apply(admin_client, records, site):
    query = f"?site__id__exact={site.pk}&outcome__exact=started"
    assert admin_client.get(reverse("admin:portal_startrequest_changelist") + query).status_code == 200
    ids = {row["id"] for row in rows_of(export(admin_client, query))}
    assert ids == {str(records["old_started"].pk), str(records["started"].pk)}
    ids = {row["id"] for row in rows_of(export(admin_client, "?flow__exact=key&q=Printing"))}
    assert ids == set()
    ids = {row["id"] for row in rows_of(export(admin_client, "?q=Printing"))}
    assert ids == {str(records["old_started"].pk)}


def test_the_changelist_links_to_the_export_with_its_filters(admin_client, records):
    page = admin_client.get(reverse("admin:portal_startrequest_changelist") + "?outcome__exact=invalid")
    html = page.content.decode()
    assert f'href="{reverse("admin:portal_startrequest_export")}?outcome__exact=invalid"' in html


def test_the_dashboards_links_show_and_export_the_same_records(admin_client, records, site):
    page = dashboard(admin_client, period=30, site=site.pk, flow="key")
    html = page.content.decode()
    records_url = (
        html.split('id="show-records"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    )
    export_url = html.split('id="export-csv"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    changelist = admin_client.get(records_url)
    assert changelist.status_code == 200  # the changelist accepts every parameter (no "?e=1")
    assert changelist.context["cl"].result_count == 2
    ids = {row["id"] for row in rows_of(admin_client.get(export_url))}
    assert ids == {str(records["started"].pk), str(records["invalid"].pk)}


def test_cells_a_spreadsheet_would_run_are_defused(admin_client, clock, site):
    issue = Issue.objects.create(
        site=site, code_name="evil", display_name='=HYPERLINK("http://x","y")', order=9
    )
    add_start(days_ago=0, site=site, flow="survey", outcome="invalid", issue=issue)
    (row,) = rows_of(export(admin_client))
    assert row["issue"] == '\'=HYPERLINK("http://x","y")'


def test_bad_filters_say_so_instead_of_exporting(admin_client, records):
    response = export(admin_client, "?nonsense__exact=1")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:portal_startrequest_changelist"))


def test_the_selected_records_export_as_an_action(admin_client, records):
    chosen = [records["started"].pk, records["other_site"].pk]
    response = admin_client.post(
        reverse("admin:portal_startrequest_changelist"),
        {"action": "export_selected", ACTION_CHECKBOX_NAME: chosen},
    )
    assert {int(row["id"]) for row in rows_of(response)} == set(chosen)
