"""A portal with no site yet (a fresh database: the image's first start, `make serve` before any
admin work) answers every customer path with the translated "not set up" page, 503, drawn
with the portal's own mark, never a server error."""

from __future__ import annotations

import pytest

from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

CUSTOMER_PATHS = ["/", "/key/", "/survey/", "/reps/"]


@pytest.mark.parametrize("path", CUSTOMER_PATHS)
@pytest.mark.parametrize(
    ("locale", "heading", "says"),
    [
        ("en-us", "This support portal is not set up yet", "An administrator needs to finish setting it up."),
        (
            "de",
            "Dieses Support-Portal ist noch nicht eingerichtet",
            "Ein Administrator muss die Einrichtung noch abschließen.",
        ),
        ("ja", "このサポートポータルはまだ設定されていません", "管理者が設定を完了する必要があります。"),
    ],
)
def test_every_customer_path_says_the_portal_is_not_set_up(client, path, locale, heading, says):
    response = client.get(f"{path}?locale={locale}")
    assert response.status_code == 503
    html = response.content.decode()
    assert element(html, "h1").text == heading
    assert element(html, "div", class_="card").text == says
    header = element(html, "header")
    assert elements(header, "svg", class_="mark") and not elements(header, "img")  # the portal's mark
    assert "support portal of" not in html and 'class="footer-about"' not in html  # no site to name


@pytest.mark.parametrize("path", CUSTOMER_PATHS)
def test_a_head_request_gets_the_same_answer(client, path):
    assert client.head(path).status_code == 503


@pytest.mark.parametrize("path", ["/key/", "/survey/", "/reps/"])
def test_a_start_gets_the_same_answer(client, path):
    response = client.post(path, {"key": "1234567", "name": "Jane", "locale": "de"})
    assert response.status_code == 503
    assert (
        element(response.content.decode(), "h1").text == "Dieses Support-Portal ist noch nicht eingerichtet"
    )


def test_an_unknown_path_gets_the_portals_own_404(client):
    response = client.get("/no-such-page/?locale=de")
    assert response.status_code == 404
    assert elements(element(response.content.decode(), "header"), "svg", class_="mark")


def test_a_site_no_request_reaches_yet_gets_the_same_page(client, backend):
    """A site that is not the default and claims no hostname: the portal is still not set up
    for this address, and the page no longer says a site must be created (one exists)."""
    from portal.models import Site

    Site.objects.create(name="Acme", is_default=False, backend=backend)
    response = client.get("/?locale=en-us")
    assert response.status_code == 503
    assert element(response.content.decode(), "div", class_="card").text == (
        "An administrator needs to finish setting it up."
    )
