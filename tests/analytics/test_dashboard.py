"""The start dashboard counts start records per day by outcome, flow, site and issue, over 30 or
90 days, with filters; its SVG chart is well-formed and shows the table's numbers
(docs/decisions/0080-analytics-daily-rollup.md, docs/decisions/0082-analytics-dashboard.md)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest
from defusedxml import ElementTree
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import formats

from portal.analytics import services
from portal.analytics.models import DailyStarts, FoldedDay
from portal.models import Site, StartRequest
from tests.analytics.conftest import TODAY, add_start, dashboard, day_columns, tables

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def shown(day: dt.date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


@pytest.fixture
def other_site(backend):
    return Site.objects.create(name="Beta Help", backend=backend)


@pytest.fixture
def known_starts(clock, site, other_site, issues):
    """(days ago, site, flow, outcome, issue) of every record, some outside the 30 days; the
    closed days folded, as the worker folds them (portal/analytics/tasks.py)."""
    spec = [
        (0, site, "key", "started", None),
        (0, site, "key", "invalid", None),
        (0, other_site, "survey", "started", issues["vpn"]),
        (1, site, "survey", "started", issues["printing"]),
        (1, site, "survey", "failed", issues["printing"]),
        (1, site, "rep", "started", None),
        (5, other_site, "key", "started", None),
        (29, site, "api", "started", issues["vpn"]),
        (30, site, "key", "started", None),  # the 31st day back: only in the 90 days
        (89, other_site, "key", "invalid", None),
        (90, site, "key", "started", None),  # outside both periods
    ]
    for days_ago, where, flow, outcome, issue in spec:
        add_start(days_ago=days_ago, site=where, flow=flow, outcome=outcome, issue=issue)
    services.fold_closed_days()
    return spec


def expected(spec, *, period, key, **only) -> dict[str, dict[str, int]]:
    """What the table must say: {series label: {shown day: count}} for days with starts."""
    found: dict[str, Counter] = {}
    for days_ago, where, flow, outcome, issue in spec:
        record = {"site": where, "flow": flow, "outcome": outcome, "issue": issue}
        if days_ago >= period or any(record[name] != value for name, value in only.items()):
            continue
        found.setdefault(key(record), Counter())[shown(TODAY - dt.timedelta(days=days_ago))] += 1
    return {label: dict(counts) for label, counts in found.items()}


def nonzero(columns: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    return {
        label: {day: n for day, n in days.items() if n} for label, days in columns.items() if label != "Total"
    }


OUTCOMES = dict(StartRequest.Outcome.choices)
FLOWS = dict(StartRequest.Flow.choices)


@pytest.mark.parametrize("period", [30, 90])
def test_starts_per_day_by_outcome_over_30_and_90_days(admin_client, clock, known_starts, period):
    table = tables(dashboard(admin_client, period=period))["starts-table"]
    assert len(table["body"]) == period
    assert table["body"][0][0] == shown(TODAY - dt.timedelta(days=period - 1))
    assert table["body"][-1][0] == shown(TODAY)
    assert nonzero(day_columns(table)) == expected(
        known_starts, period=period, key=lambda r: str(OUTCOMES[r["outcome"]])
    )


@pytest.mark.parametrize(
    ("breakdown", "key"),
    [
        ("flow", lambda r: str(FLOWS[r["flow"]])),
        ("site", lambda r: r["site"].name),
        ("issue", lambda r: r["issue"].display_name if r["issue"] else "(no issue)"),
    ],
)
def test_starts_split_by_flow_site_and_issue(admin_client, clock, known_starts, breakdown, key):
    table = tables(dashboard(admin_client, period=90, breakdown=breakdown))["starts-table"]
    assert nonzero(day_columns(table)) == expected(known_starts, period=90, key=key)


def test_filters_narrow_the_counts(admin_client, clock, known_starts, site, issues):
    by_outcome = lambda r: str(OUTCOMES[r["outcome"]])  # noqa: E731
    page = dashboard(admin_client, period=90, site=site.pk, flow="survey")
    assert nonzero(day_columns(tables(page)["starts-table"])) == expected(
        known_starts, period=90, key=by_outcome, site=site, flow="survey"
    )
    page = dashboard(admin_client, period=30, issue=issues["printing"].pk, outcome="failed")
    assert nonzero(day_columns(tables(page)["starts-table"])) == expected(
        known_starts, period=30, key=by_outcome, issue=issues["printing"], outcome="failed"
    )


def test_day_totals_and_column_totals_add_up(admin_client, clock, known_starts):
    table = tables(dashboard(admin_client, period=90, breakdown="flow"))["starts-table"]
    for row in table["body"]:
        assert sum(int(value) for value in row[1:-1]) == int(row[-1])
    footer = table["foot"][0]
    assert footer[0] == "Total"
    assert int(footer[-1]) == sum(1 for entry in known_starts if entry[0] < 90)
    columns = day_columns(table)
    for label, total in zip(table["head"][0][1:], footer[1:], strict=True):
        assert sum(columns[label].values()) == int(total)


def test_closed_days_are_folded_once_and_read_from_the_rollup_after_the_records_are_gone(
    admin_client, clock, known_starts
):
    first = day_columns(tables(dashboard(admin_client, period=90))["starts-table"])
    # Every closed day since the oldest record (90 days ago) is folded; today is not (it is
    # still filling).
    assert FoldedDay.objects.filter(day=TODAY).count() == 0
    assert FoldedDay.objects.filter(day=TODAY - dt.timedelta(days=1)).count() == 1
    assert FoldedDay.objects.count() == 90
    rolled = DailyStarts.objects.count()
    # The purge deletes old records; the rollup keeps their counts.
    StartRequest.objects.exclude(created_at__date=TODAY).delete()
    second = day_columns(tables(dashboard(admin_client, period=90))["starts-table"])
    assert second == first
    assert DailyStarts.objects.count() == rolled  # nothing folded twice


def test_a_new_start_today_shows_at_once(admin_client, clock, site):
    before = day_columns(tables(dashboard(admin_client, period=30))["starts-table"])
    assert sum(before["Total"].values()) == 0
    add_start(days_ago=0, site=site, outcome="preview")
    after = day_columns(tables(dashboard(admin_client, period=30))["starts-table"])
    assert after["Previewed"][shown(TODAY)] == 1


def test_a_day_closes_after_midnight_and_is_folded_then(admin_client, clock, site):
    add_start(days_ago=0, site=site, hour=14)
    dashboard(admin_client, period=30)
    assert not FoldedDay.objects.filter(day=TODAY).exists()
    clock.move_to(dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time(0, 10), tzinfo=dt.UTC))
    table = day_columns(tables(dashboard(admin_client, period=30))["starts-table"])
    assert FoldedDay.objects.filter(day=TODAY).exists()
    assert table["Sent to the vendor"][shown(TODAY)] == 1


def svg_of(response):
    html = response.content.decode()
    match = re.search(
        r"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"analytics-chart\".*?</svg>", html, re.S
    )
    assert match, "no chart"
    return ElementTree.fromstring(match.group(0))


def test_the_chart_is_well_formed_labelled_and_draws_the_tables_numbers(admin_client, clock, known_starts):
    page = dashboard(admin_client, period=90)
    svg = svg_of(page)
    assert svg.get("role") == "img"
    labelled_by = svg.get("aria-labelledby").split()
    ids = {element.get("id"): element for element in svg.iter() if element.get("id")}
    assert (
        ids[labelled_by[0]].tag == SVG + "title" and ids[labelled_by[0]].text == "Starts per day by outcome"
    )
    assert ids[labelled_by[1]].tag == SVG + "desc"
    # Each bar segment's own <title> says day, series and count: together they are the table.
    drawn: dict[str, dict[str, int]] = {}
    for rect in svg.iter(SVG + "rect"):
        title = rect.find(SVG + "title").text
        day, rest = title.split(" · ", 1)
        label, count = rest.rsplit(": ", 1)
        drawn.setdefault(label, {})[day] = int(count)
        assert float(rect.get("height")) > 0
    assert drawn == nonzero(day_columns(tables(page)["starts-table"]))


def test_taller_bars_for_bigger_days(admin_client, clock, site):
    for _ in range(3):
        add_start(days_ago=2, site=site)
    add_start(days_ago=1, site=site)
    svg = svg_of(dashboard(admin_client, period=30))
    heights = {
        rect.find(SVG + "title").text.split(" · ")[0]: float(rect.get("height"))
        for rect in svg.iter(SVG + "rect")
    }
    two, one = heights[shown(TODAY - dt.timedelta(days=2))], heights[shown(TODAY - dt.timedelta(days=1))]
    assert two == pytest.approx(3 * one)


def test_more_series_than_colours_share_one_other(admin_client, clock, site):
    from portal.models import Issue

    for n in range(10):
        issue = Issue.objects.create(site=site, code_name=f"i{n}", display_name=f"Issue {n}", order=n)
        for _ in range(n + 1):
            add_start(days_ago=1, site=site, flow="survey", issue=issue)
    table = tables(dashboard(admin_client, period=30, breakdown="issue"))["starts-table"]
    header = table["head"][0]
    assert header[1:4] == ["Issue 9", "Issue 8", "Issue 7"] and header[-2] == "Other"
    assert len(header) == 1 + 8 + 1
    other = day_columns(table)["Other"][shown(TODAY - dt.timedelta(days=1))]
    assert other == 1 + 2 + 3  # issues 0, 1 and 2


def test_bad_filters_are_told_not_crashed(admin_client, clock):
    page = dashboard(admin_client, period=7, site="nope")
    assert page.status_code == 200
    assert "Please correct the errors below." in page.content.decode()
    assert "starts-table" not in tables(page)


def test_the_dashboard_is_reached_from_the_index_and_the_start_records(admin_client):
    url = reverse("admin:portal_startrequest_dashboard")
    assert f'href="{url}"' in admin_client.get(reverse("admin:index")).content.decode()
    assert (
        f'href="{url}"' in admin_client.get(reverse("admin:portal_startrequest_changelist")).content.decode()
    )


def test_staff_without_the_view_permission_is_refused(client, clock, known_starts):
    user = get_user_model().objects.create_user("helper", password="pw", is_staff=True)
    client.force_login(user)
    assert dashboard(client).status_code == 403
    assert client.get(reverse("admin:portal_startrequest_export")).status_code == 403
    assert (
        f'href="{reverse("admin:portal_startrequest_dashboard")}"'
        not in client.get(reverse("admin:index")).content.decode()
    )
    user.user_permissions.add(Permission.objects.get(codename="view_startrequest"))
    client.force_login(get_user_model().objects.get(pk=user.pk))
    assert dashboard(client).status_code == 200


def test_non_staff_are_sent_to_sign_in(client):
    response = dashboard(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_portal_purge_folds_before_it_deletes_so_the_counts_stay(admin_client, clock, site):
    from django.core.management import call_command

    site.retention_days = 7
    site.save()
    for days_ago in (10, 10, 20, 2):
        add_start(days_ago=days_ago, site=site)
    services.fold_closed_days()  # as the worker does
    before = day_columns(tables(dashboard(admin_client, period=30))["starts-table"])
    assert sum(before["Total"].values()) == 4
    FoldedDay.objects.all().delete()
    DailyStarts.objects.all().delete()  # as if the dashboard had never been opened
    call_command("portal_purge", stdout=None)
    assert StartRequest.objects.count() == 1
    assert day_columns(tables(dashboard(admin_client, period=30))["starts-table"]) == before


def test_the_fold_command_folds_every_closed_day_since_the_oldest_record(clock, site):
    from io import StringIO

    from django.core.management import call_command

    add_start(days_ago=200, site=site)
    out = StringIO()
    call_command("portal_analytics_fold", stdout=out)
    assert "folded 200 day(s)" in out.getvalue()
    assert DailyStarts.objects.get(day=TODAY - dt.timedelta(days=200)).count == 1


@pytest.mark.parametrize(
    ("language", "heading", "funnel"),
    [
        ("de", "Starts pro Tag nach Ergebnis", "Seitenaufrufe"),
        ("ja", "結果別の日ごとの開始数", "ページビュー"),
    ],
)
def test_the_dashboard_speaks_the_admins_language(
    admin_client, clock, known_starts, language, heading, funnel
):
    html = admin_client.get(reverse("admin:portal_startrequest_dashboard"), HTTP_ACCEPT_LANGUAGE=language)
    text = html.content.decode()
    assert heading in text and funnel in text
