"""Customer pages come from the shared cache until an admin change
(docs/decisions/0021-customer-page-cache.md)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.parsed_html import element, elements

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


@pytest.mark.parametrize("path", ["/", "/key/", "/survey/"])
def test_no_visitor_puts_their_own_text_into_a_shared_page(client, site, issues, path):
    """The key has only whether `embed` is 1, so a page's language links carry nothing else of
    it: a first visit with `?embed=<text>` must not put that text in every later visitor's page."""
    poisoned = client.get(f"{path}?embed=POISONED%22x&locale=fr").content.decode()
    assert "POISONED" not in poisoned
    html = client.get(f"{path}?locale=fr").content.decode()
    assert "POISONED" not in html
    links = [a.attrs["href"] for a in elements(html, "a", hreflang=True)]
    assert links and all(link.startswith(f"{path}?locale=") for link in links), links
    embedded = client.get(f"{path}?embed=1&locale=fr").content.decode()
    links = [a.attrs["href"] for a in elements(embedded, "a", hreflang=True)]
    assert links and all(link.startswith(f"{path}?embed=1&locale=") for link in links), links


def own_links(html: str) -> list[dict[str, list[str]]]:
    """The queries of the portal's own links on a page (not its language menu, not the contact
    links)."""
    return [
        parse_qs(urlsplit(a.attrs["href"]).query)
        for a in elements(html, "a")
        if a.attrs["href"].startswith("/") and not a.attrs.get("hreflang")
    ]


@pytest.mark.parametrize("path", ["/key/", "/survey/", "/reps/"])
def test_a_framed_page_links_to_the_framed_layout_in_its_language(client, site, issues, path):
    """In a frame the next page is drawn for the frame from its first paint: its links keep
    `embed=1` beside the language, from the shared page as from a fresh one; outside a frame
    they carry no `embed`."""
    for _visit in range(2):  # the second comes from the page cache
        framed = own_links(client.get(f"{path}?embed=1&locale=de").content.decode())
        assert framed and all(query == {"locale": ["de"], "embed": ["1"]} for query in framed), framed
        plain = own_links(client.get(f"{path}?locale=de").content.decode())
        assert plain and all(query == {"locale": ["de"]} for query in plain), plain


def test_a_framed_prefilled_page_links_to_the_framed_layout(client, site, issues):
    """A help desk's prefilled link is built from a compiled page (never the page cache): the
    framed and the plain variant each keep their own links."""
    for _visit in range(2):
        framed = own_links(client.get("/survey/?name=Jane&embed=1&locale=de").content.decode())
        assert framed and all(query.get("embed") == ["1"] for query in framed), framed
        plain = own_links(client.get("/survey/?name=Jane&locale=de").content.decode())
        assert plain and not any("embed" in query for query in plain), plain


def test_a_framed_forms_answer_keeps_the_framed_layout_in_its_links(client, site):
    """A POST's answer knows it is framed from the form's `embedded` field (portal.js sets it):
    a refused key's page links back in the framed layout too."""
    from tests.conftest import form_data

    html = client.post("/key/", form_data(key="12", locale="fi", embedded="1")).content.decode()
    assert 'class="embedded"' in html
    links = own_links(html)
    assert links and all(query == {"locale": ["fi"], "embed": ["1"]} for query in links), links
    html = client.post("/key/", form_data(key="12", locale="fi")).content.decode()
    links = own_links(html)
    assert links and all(query == {"locale": ["fi"]} for query in links), links


def test_the_rep_list_check_again_link_carries_no_first_visitors_text(client, site):
    """The rep list page's "Check again" link is its own address: the shared page must not keep
    the first requester's query in it (`?embed=<text>` is in no cache key)."""
    poisoned = client.get("/reps/?embed=POISONED%22x&locale=fr")
    assert poisoned.status_code == 200 and "POISONED" not in poisoned.content.decode()
    html = client.get("/reps/?locale=fr").content.decode()
    assert "POISONED" not in html
    check_again = [a.attrs["href"] for a in elements(html, "a") if not a.attrs.get("hreflang")]
    assert "/reps/?locale=fr" in check_again and not any("embed" in link for link in check_again)


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


@pytest.mark.parametrize("urlconf", ["portal.urls", "tests.urls_prefixed"])
@pytest.mark.parametrize("path", ["/", "/key/", "/survey/", "/reps/"])
def test_a_hit_answers_before_the_session_auth_and_messages_middlewares(
    client, site, path, urlconf, settings
):
    """A cached page sets no cookie and reads no session or user, so a hit is answered right
    below the view count (portal.caching.PageCacheHitMiddleware); a miss goes the whole way.
    The middleware finds the view by path in its table, or by resolving where it has none."""
    from portal.analytics import counters

    settings.ROOT_URLCONF = urlconf
    fresh = client.get(path)
    assert fresh.status_code == 200
    assert hasattr(fresh.wsgi_request, "session") and hasattr(fresh.wsgi_request, "user")
    cached = client.get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert cached.status_code == 200 and cached.content == fresh.content
    for middleware_attribute in ("session", "user", "_messages", "csrf_processing_done"):
        assert not hasattr(cached.wsgi_request, middleware_attribute), middleware_attribute
    assert int(cached["Content-Length"]) == len(cached.content) == int(fresh["Content-Length"])
    assert "X-Frame-Options" not in cached  # framing is the site's CSP frame-ancestors
    assert not cached.cookies
    counters.flush()
    flow = {"/": "key", "/key/": "key", "/survey/": "survey", "/reps/": "rep"}[path]
    key = counters.counter_key(kind="views", day=counters.today(), site_id=site.pk, flow=flow)
    assert cache.get(key) == 2  # the hit is counted as the rendered page was


def test_the_middleware_finds_each_cached_view_by_path_as_the_resolver_does(settings):
    from django.urls import resolve, reverse

    from portal.caching import _cached_views_by_path

    names = ["home", "session_key", "survey", "reps", "technicians"]
    assert _cached_views_by_path() == {reverse(name): resolve(reverse(name)).func for name in names}
    settings.ROOT_URLCONF = "tests.urls_prefixed"  # a regular expression before every route
    assert _cached_views_by_path() is None
    settings.ROOT_URLCONF = "tests.urls_default_args"  # a route that adds keyword arguments
    assert _cached_views_by_path() is None


def test_a_landing_page_that_is_another_cached_page_keeps_both_keys_apart(client, site, issues):
    """With one flow the landing page is that flow's page (home calls the survey view): a hit
    or a miss of one URL is never answered with the other's page."""
    site.show_session_key = site.show_rep_list = False
    site.show_survey = True
    site.save()
    survey = client.get("/survey/").content
    landing = client.get("/").content
    assert element(landing.decode(), "form").attrs == element(survey.decode(), "form").attrs
    for _ in range(2):
        assert client.get("/").content == landing
        assert client.get("/survey/").content == survey
