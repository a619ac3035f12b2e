"""Customer pages come from the shared cache until an admin change
(docs/decisions/0021-customer-page-cache.md)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.parsed_html import element

pytestmark = pytest.mark.django_db


def test_second_visit_costs_no_query_and_admin_change_shows_at_once(client, site, issues):
    first = client.get("/survey/?locale=de")
    assert first.status_code == 200
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/survey/?locale=de")
    assert len(queries) == 0
    assert second.content == first.content
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    issues["printing"].display_name = "Drucken"
    issues["printing"].save()
    assert "Drucken" in client.get("/survey/?locale=de").content.decode()


def test_pages_are_cached_per_language_and_site_not_per_visitor(client, site):
    german = client.get("/key/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get("/key/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert element(german, "html").attrs["lang"] == "de" and element(english, "html").attrs["lang"] == "en-US"


def test_prefilled_pages_are_never_cached(client, site, issues):
    assert element(client.get("/survey/?name=Jane").content, "input", name="name").attrs["value"] == "Jane"
    html = client.get("/survey/?name=Joan").content.decode()
    assert element(html, "input", name="name").attrs["value"] == "Joan" and "Jane" not in html
    assert "Jane" not in client.get("/survey/").content.decode()


def test_posts_are_never_served_from_cache(client, site):
    from tests.conftest import form_data

    client.get("/key/")
    response = client.post("/key/", form_data(key="1234567"))
    assert response.status_code == 303


def test_closed_page_is_not_cached_and_hours_changes_show_at_once(client, site):
    import datetime as dt

    from django.utils import timezone

    from portal.models import Holiday

    holiday = Holiday.objects.create(site=site, date=timezone.now().astimezone(dt.UTC).date())
    response = client.get("/")
    assert "We are closed right now" in response.content.decode()
    assert "no-cache" in response["Cache-Control"]
    holiday.delete()
    assert 'name="key"' in client.get("/").content.decode()


def test_a_lost_version_never_brings_back_old_pages(client, site, issues):
    from django.core.cache import cache

    from portal.caching import SITE_CACHE_VERSION_KEY

    client.get("/survey/")  # cached under the current version
    type(issues["printing"]).objects.filter(pk=issues["printing"].pk).update(display_name="Drucker")
    cache.delete(SITE_CACHE_VERSION_KEY)  # evicted, or the cache restarted
    assert "Drucker" in client.get("/survey/").content.decode()
