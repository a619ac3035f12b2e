"""Error pages in a help desk's frame (docs/decisions/0115-error-pages-in-a-frame.md): for a
request on a known site, every error page (400, 403, 404, 500) may be framed by exactly the
origins the site allows, and its links keep `embed=1` when the request was framed; a Host the
portal does not serve or no site claims, and the admin, keep frame-ancestors 'none' and DENY."""

from __future__ import annotations

from urllib.parse import urljoin

import pytest
from django.test import Client

from tests.conftest import form_data
from tests.parsed_html import element, elements
from tests.test_headers import BASELINE, assert_baseline_headers
from tests.test_request_body import LIMIT, multipart

pytestmark = pytest.mark.django_db

HELP_DESK = "https://help.example.com"
FRAMED_BY_THE_SITE = {**BASELINE, "frame-ancestors": [HELP_DESK]}


@pytest.fixture
def framed_site(site, settings):
    """The site answers its own hostname only (no default site), allows one help desk to frame
    it, and speaks two languages; the test URL conf adds a view that fails and one that refuses."""
    settings.ROOT_URLCONF = "tests.urls_errors"
    site.is_default = False
    site.frame_ancestors = HELP_DESK
    site.enabled_languages = ["en-us", "de"]
    site.save()
    site.hostnames.create(hostname="testserver")
    return site


def too_many_fields(client, path, settings, **headers):
    fields = "&".join(f"f{n}=x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))
    return client.post(path, fields, content_type="application/x-www-form-urlencoded", **headers)


# Each error page of a customer request, asked for by address (`?embed=1` in a frame, as the
# embed snippet's iframe and every framed page's links have it).
ERRORS = {
    "404": lambda client, query, settings: client.get(f"/no-such-page/?{query}"),
    "403": lambda client, query, settings: client.get(f"/test-only/forbidden/?{query}"),
    "403 csrf": lambda client, query, settings: client.post(f"/?{query}", {"a": "b"}),
    "400": lambda client, query, settings: too_many_fields(client, f"/key/?{query}", settings),
    "500": lambda client, query, settings: client.get(f"/test-only/broken/?{query}"),
}
STATUS = {"404": 404, "403": 403, "403 csrf": 403, "400": 400, "500": 500}


def portal_links(response) -> list[str]:
    """The portal's own links on the page: its name in the header, the way back to the start
    and, on the 404, the language links."""
    page = response.content.decode()
    return [link.attrs["href"] for link in elements(page, "a") if link.attrs["href"].startswith("/")]


def client_for_errors(**extra) -> Client:
    """A browser's view: server errors answered as pages, Django's CSRF check on."""
    return Client(raise_request_exception=False, enforce_csrf_checks=True, **extra)


@pytest.mark.parametrize("error", ERRORS)
def test_a_framed_error_page_may_be_framed_by_the_sites_origins_and_its_links_stay_framed(
    framed_site, settings, error
):
    """A walk-through: a framed customer who mistyped a path (or met any other error) saw the
    browser's "refused to connect" instead of the portal's page, and its links led out of the
    embedded layout."""
    response = ERRORS[error](client_for_errors(), "locale=de&embed=1", settings)
    assert response.status_code == STATUS[error]
    assert_baseline_headers(response, csp=FRAMED_BY_THE_SITE)  # form-action stays 'self'
    assert "X-Frame-Options" not in response
    page = response.content.decode()
    assert "embedded" in element(page, "body").classes
    links = portal_links(response)
    assert "/?locale=de&embed=1" in links  # the header's name and "back to the start"
    assert all("embed=1" in link for link in links), links
    assert element(page, "html").attrs["lang"] == "de"


@pytest.mark.parametrize("error", ERRORS)
def test_the_same_error_page_outside_a_frame_may_be_framed_but_leads_on_in_the_whole_window(
    framed_site, settings, error
):
    response = ERRORS[error](client_for_errors(), "locale=de", settings)
    assert response.status_code == STATUS[error]
    assert_baseline_headers(response, csp=FRAMED_BY_THE_SITE)
    assert "X-Frame-Options" not in response
    assert "embedded" not in element(response.content.decode(), "body").classes
    links = portal_links(response)
    assert "/?locale=de" in links
    assert not any("embed" in link for link in links), links


def test_the_404s_language_links_stay_framed(framed_site, settings):
    response = client_for_errors().get("/no-such-page/?locale=de&embed=1")
    picker = element(response.content.decode(), "details", class_="language-picker")
    assert sorted(link.attrs["href"] for link in elements(picker, "a")) == [
        "?embed=1&locale=de",
        "?embed=1&locale=en-us",
    ]


def test_a_404_does_not_repeat_a_long_address(framed_site, settings):
    """The 404's language links are query-only references (the browser keeps the page's path):
    a 4 KB path and query written into each of them, in the header's menu and the footer, made
    a 4 KB request a 133 KB answer. Each link still names its language, and the address of each,
    resolved as a browser does, is the same path in that language."""
    framed_site.enabled_languages = [code for code, _name in settings.LANGUAGES]
    framed_site.save()
    path = "/" + "a" * 2000 + "/"
    address = f"http://testserver{path}?cf_x={'b' * 2000}&locale=de"
    response = client_for_errors().get(address)
    assert response.status_code == 404
    short = client_for_errors().get("/a/?locale=de")
    assert len(response.content) < len(short.content) + 2 * 2000 + 1000  # the path once, at most
    assert "a" * 2000 not in response.content.decode()
    picker = element(response.content.decode(), "details", class_="language-picker")
    links = [link.attrs["href"] for link in elements(picker, "a")]
    assert len(links) == len(settings.LANGUAGES)
    assert {urljoin(address, link) for link in links} == {
        f"http://testserver{path}?locale={code}" for code, _name in settings.LANGUAGES
    }


@pytest.mark.parametrize("error", ERRORS)
def test_a_host_no_site_claims_keeps_every_error_page_out_of_frames(framed_site, settings, error):
    """`localhost` is a Host the portal answers to, but no site claims it and there is no
    default site: no origin was ever allowed to frame its pages."""
    client = client_for_errors(HTTP_HOST="localhost")
    response = ERRORS[error](client, "embed=1", settings)
    assert response.status_code == STATUS[error]
    assert_baseline_headers(response)  # frame-ancestors 'none'
    assert response["X-Frame-Options"] == "DENY"
    assert "embedded" not in element(response.content.decode(), "body").classes
    assert not any("embed" in link for link in portal_links(response))


def test_a_host_the_portal_does_not_serve_keeps_its_error_page_out_of_frames(framed_site):
    response = client_for_errors().get("/?embed=1", HTTP_HOST="not-ours.example")
    assert response.status_code == 400
    assert_baseline_headers(response)
    assert not any("embed" in link for link in portal_links(response))


def test_a_site_that_allows_no_origin_keeps_deny(framed_site, settings):
    framed_site.frame_ancestors = ""
    framed_site.save()
    for error in ERRORS:
        response = ERRORS[error](client_for_errors(), "embed=1", settings)
        assert response.status_code == STATUS[error], error
        assert_baseline_headers(response)
        assert response["X-Frame-Options"] == "DENY", error


def test_the_admin_and_the_api_keep_their_refusal_of_frames(framed_site, admin_user, settings):
    client = client_for_errors()
    for path, status in (
        (f"/{settings.ADMIN_URL}no-such-page/?embed=1", 302),  # the admin sends a visitor to sign in
        ("/api/v1/nothing-here?embed=1", 404),
    ):
        response = client.get(path)
        assert response.status_code == status, path
        assert_baseline_headers(response)
        assert response["X-Frame-Options"] == "DENY"
    client.force_login(admin_user)
    response = client.get(f"/{settings.ADMIN_URL}no-such-page/?embed=1")
    assert response.status_code == 404
    assert_baseline_headers(response)
    assert response["X-Frame-Options"] == "DENY"
    api = client.get("/api/v1/nothing-here?embed=1")
    assert api["Content-Type"] == "application/json" and api.json()["error"] == "not_found"
    # The admin's CSRF failure is still Django's page, which tells its staff why.
    response = client.post(f"/{settings.ADMIN_URL}logout/")
    assert response.status_code == 403 and "CSRF verification failed" in response.content.decode()
    assert_baseline_headers(response)
    assert response["X-Frame-Options"] == "DENY"


def test_a_framed_form_refused_unread_leads_on_in_its_frame(framed_site):
    """A body too large is refused before its `embedded` field is read: the page the form was
    sent from (same host) says it was framed, as it says the language."""
    body, content_type = multipart(LIMIT + 1)
    client = client_for_errors()
    for referer, framed in (
        ("http://testserver/survey/?locale=de&embed=1", True),
        ("http://testserver/survey/?locale=de", False),
        ("https://evil.example/survey/?locale=de&embed=1", False),  # another host's page: not ours
    ):
        response = client.post("/survey/", body, content_type=content_type, HTTP_REFERER=referer)
        assert response.status_code == 400
        assert_baseline_headers(response, csp=FRAMED_BY_THE_SITE)
        page = response.content.decode()
        assert ("embedded" in element(page, "body").classes) is framed, referer
        back = element(element(page, "div", class_="card"), "a").attrs["href"]
        assert ("embed=1" in back) is framed, referer


def test_a_framed_form_in_a_charset_django_refuses_gets_the_framed_400(framed_site):
    """Django refuses a form that is not UTF-8 on every reading of it: the error page, which
    asks the form whether it was framed, must not fail on the same refusal."""
    response = client_for_errors().post(
        "/key/",
        "key=1234567&embedded=1",
        content_type="application/x-www-form-urlencoded; charset=latin-1",
        HTTP_REFERER="http://testserver/key/?embed=1",
    )
    assert response.status_code == 400
    assert_baseline_headers(response, csp=FRAMED_BY_THE_SITE)
    assert "/?locale=en-us&embed=1" in portal_links(response)


def test_a_framed_posts_own_field_says_so_when_the_form_was_read(framed_site):
    """A form Django read (the 403 of a path that takes no form, here) has its `embedded`
    field, which portal.js sets in a frame."""
    response = client_for_errors().post("/", form_data(key="1234567", embedded="1"))
    assert response.status_code == 403
    assert "/?locale=en-us&embed=1" in portal_links(response)


@pytest.mark.parametrize("referer", ["http://[testserver/?embed=1", "http://]/", "http://[::1/?locale=de"])
def test_a_referer_that_is_no_url_is_no_page_of_ours(framed_site, referer):
    """The page a refused form came from is read from its Referer, which a client writes: one
    urlsplit() refuses (an unclosed IPv6 bracket) failed the error page itself, so every POST
    that met an error, and every request to a Host the portal does not serve, got the server's
    bare 500, without the portal's headers, and logged a traceback each."""
    client = client_for_errors()
    for response, status, csp in (
        (client.post("/no-such-page/", {"a": "b"}, HTTP_REFERER=referer), 404, FRAMED_BY_THE_SITE),
        (client.post("/", {"a": "b"}, HTTP_REFERER=referer), 403, FRAMED_BY_THE_SITE),  # CSRF
        (client.get("/", HTTP_HOST="not-ours.example", HTTP_REFERER=referer), 400, None),
    ):
        assert response.status_code == status, response.request["PATH_INFO"]
        assert_baseline_headers(response, csp=csp)
        assert not any("embed" in link for link in portal_links(response))


def test_an_address_over_djangos_field_limit_gets_the_400_page(framed_site, settings):
    """Django refuses a query of more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS on every
    reading of request.GET ("?&&&…", 1,001 characters): the error page, which read the
    address's `locale` unguarded, failed on the same refusal, so every path, the admin's and a
    Host the portal does not serve too, answered the server's bare 500, without the portal's
    headers, and logged a traceback each."""
    query = "&" * settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    client = client_for_errors()
    for path, host, csp, framed_by in (
        ("/no-such-page/", "testserver", FRAMED_BY_THE_SITE, None),
        ("/key/", "testserver", FRAMED_BY_THE_SITE, None),
        (f"/{settings.ADMIN_URL}", "testserver", None, "DENY"),
        ("/", "not-ours.example", None, "DENY"),
    ):
        response = client.get(f"{path}?{query}", HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE="de")
        assert response.status_code == 400, path
        assert_baseline_headers(response, csp=csp)
        assert response.get("X-Frame-Options") == framed_by, path
        assert element(response.content.decode(), "html").attrs["lang"] == "de", path
