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
    ("locale", "heading"),
    [
        ("en-us", "This support portal is not set up yet"),
        ("de", "Dieses Support-Portal ist noch nicht eingerichtet"),
        ("ja", "このサポートポータルはまだ設定されていません"),
    ],
)
def test_every_customer_path_says_the_portal_is_not_set_up(client, path, locale, heading):
    response = client.get(f"{path}?locale={locale}")
    assert response.status_code == 503
    html = response.content.decode()
    assert element(html, "h1").text == heading
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
