"""Page views and form submissions are counted per site, flow and day through the real
middleware stack, page cache included, without a cookie or a database write per view, and
fold into the funnel (docs/decisions/0081-cookie-free-view-counting.md)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.analytics import counters, services
from portal.analytics.models import DailyPageCounts
from portal.models import Site, StartRequest
from tests.analytics.conftest import dashboard, tables
from tests.conftest import form_data

pytestmark = pytest.mark.django_db


def funnel(admin_client, **query) -> dict[str, list[str]]:
    """Flow label -> [views, submissions, submitted %, starts, started %, overall %]."""
    return {row[0]: row[1:] for row in tables(dashboard(admin_client, **query))["funnel-table"]["body"]}


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE"}]


def test_views_submissions_and_starts_make_the_funnel(client, admin_client, site):
    first = client.get("/key/")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/key/")  # from the page cache: no query at all, still counted
    assert len(queries) == 0 and second.content == first.content
    client.get("/key/?locale=de")
    client.get("/survey/")
    started = client.post("/key/", form_data(key="1234567"))
    assert started.status_code == 303
    refused = client.post("/key/", form_data(key="12"))
    assert refused.status_code == 200
    rows = funnel(admin_client)
    assert rows["Session key"] == ["3", "2", "66.7 %", "1", "50.0 %", "33.3 %"]
    assert rows["Issue survey"] == ["1", "0", "0.0 %", "0", "—", "0.0 %"]
    assert rows["Representative list"] == ["0", "0", "—", "0", "—", "—"]
    assert StartRequest.objects.filter(flow="key").count() == 2  # the refused one is a record, not a start


def test_counting_sets_no_cookie_and_writes_nothing_to_the_database(client, site):
    client.get("/key/")
    for _ in range(3):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/key/")
        assert writes(queries) == [] and not response.cookies
    assert (
        cache.get(counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")) == 4
    )
    assert DailyPageCounts.objects.count() == 0


def test_the_landing_page_counts_for_the_form_it_shows(client, admin_client, site):
    client.get("/")  # the choice of flows holds the session-key form
    site.show_session_key = False
    site.show_rep_list = False
    site.save()
    client.get("/")  # now it is the survey
    client.head("/survey/")  # an uptime monitor, not a visitor
    client.get("/theme.css")
    rows = funnel(admin_client)
    assert rows["Session key"][0] == "1" and rows["Issue survey"][0] == "1"


def test_the_closed_page_is_not_a_view_of_a_form(client, admin_client, site):
    from django.utils import timezone

    from portal.models import Holiday

    holiday = Holiday.objects.create(site=site, date=timezone.localdate())
    assert "We are closed right now" in client.get("/key/").content.decode()
    holiday.delete()
    assert 'name="key"' in client.get("/key/").content.decode()
    assert funnel(admin_client)["Session key"][0] == "1"


def test_views_are_counted_per_site(client, admin_client, site, backend, settings):
    settings.ALLOWED_HOSTS = ["testserver", "beta.example.com"]
    other = Site.objects.create(name="Beta Help", backend=backend)
    other.hostnames.create(hostname="beta.example.com")
    client.get("/key/")
    client.get("/key/", HTTP_HOST="beta.example.com")
    client.get("/key/", HTTP_HOST="beta.example.com")
    assert funnel(admin_client, site=site.pk)["Session key"][0] == "1"
    assert funnel(admin_client, site=other.pk)["Session key"][0] == "2"
    assert funnel(admin_client)["Session key"][0] == "3"


def test_folding_moves_counts_once_and_new_views_keep_counting(client, admin_client, site):
    client.get("/key/")
    client.get("/key/")
    assert services.fold_counters() == 2
    assert services.fold_counters() == 0  # nothing counted twice
    client.get("/key/")
    assert funnel(admin_client)["Session key"][0] == "3"
    assert funnel(admin_client)["Session key"][0] == "3"


def test_a_cache_flush_loses_only_what_was_not_folded(client, admin_client, site):
    client.get("/key/")
    services.fold_counters()
    client.get("/key/")
    cache.clear()
    assert funnel(admin_client)["Session key"][0] == "1"


def test_a_counter_taken_twice_gives_the_second_taker_nothing(site):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    for _ in range(5):
        counters.count(kind="views", site_id=site.pk, flow="key")
    assert counters.take(key) == 5
    assert counters.take(key) == 0
    counters.count(kind="views", site_id=site.pk, flow="key")
    assert counters.take(key) == 1


def test_units_given_back_after_a_failed_write_are_folded_later(site):
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow="key")
    counters.count(kind="views", site_id=site.pk, flow="key")
    taken = counters.take(key)
    counters.give_back(key, taken)
    assert services.fold_counters() == 1
