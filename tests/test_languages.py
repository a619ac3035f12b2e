"""Language choice (docs/decisions/0030-customer-language.md): explicit, then Accept-Language, then
the site default, always among the site's enabled languages; the chosen code is what the vendor
receives."""

from urllib.parse import urljoin, urlsplit

import pytest
from django.urls import reverse

from portal.languages import negotiate_language
from tests.conftest import form_data, query_of
from tests.parsed_html import element, elements

ALL = [
    "en-us",
    "de",
    "es",
    "es-sp",
    "fi",
    "fr",
    "it",
    "nl",
    "pt-br",
    "pt-pt",
    "sv-se",
    "tr",
    "ja",
    "zh-hans",
    "zh",
    "ru",
]


@pytest.mark.parametrize(
    ("explicit", "accept", "expected"),
    [
        ("de", "fr", "de"),
        ("DE", "", "de"),
        ("", "fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("", "de-AT", "de"),
        ("", "en-GB,en;q=0.9", "en-us"),
        ("", "es-ES", "es-sp"),
        ("", "es-MX", "es"),
        ("", "pt-PT", "pt-pt"),
        ("", "pt", "pt-br"),
        ("", "zh-CN", "zh-hans"),
        ("", "zh-TW", "zh"),
        ("", "zh-Hant-HK", "zh"),
        ("", "zh-Hans-SG", "zh-hans"),  # the script decides before the bare language
        ("", "zh-Hans-HK", "zh-hans"),
        ("zh-Hans-SG", "", "zh-hans"),
        ("", "sr-Latn-RS", "en-us"),
        ("", "sv", "sv-se"),
        ("", "ja-JP", "ja"),
        ("", "xx, *", "en-us"),
        ("klingon", "", "en-us"),
        ("", "", "en-us"),
    ],
)
def test_negotiation_with_all_languages(explicit, accept, expected):
    assert (
        negotiate_language(enabled=ALL, default="en-us", explicit=explicit, accept_language=accept)
        == expected
    )


def test_negotiation_stays_among_enabled_languages():
    enabled = ["de", "fr"]
    assert negotiate_language(enabled=enabled, default="de", explicit="ja", accept_language="ja") == "de"
    assert negotiate_language(enabled=enabled, default="de", accept_language="ja, fr;q=0.5") == "fr"


@pytest.mark.django_db
def test_page_language_and_vendor_locale_follow_the_choice(client, site):
    site.enabled_languages = ["en-us", "de", "ja"]
    site.save()
    html = client.get("/key/", HTTP_ACCEPT_LANGUAGE="ja-JP").content.decode()
    assert element(html, "html").attrs["lang"] == "ja"
    assert element(html, "input", name="locale").attrs["value"] == "ja"
    html = client.get("/key/?locale=de", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert element(html, "html").attrs["lang"] == "de"
    offered = {link.attrs["hreflang"] for link in elements(html, "a", hreflang=True)}
    assert "ja" in offered and "fr" not in offered  # only enabled ones offered
    response = client.post("/key/", form_data(key="1234567", locale="ja"), HTTP_ACCEPT_LANGUAGE="de")
    assert dict(query_of(response["Location"]))["locale"] == "ja"
    response = client.post("/key/", form_data(key="1234567", locale="fr"), HTTP_ACCEPT_LANGUAGE="de")
    assert dict(query_of(response["Location"]))["locale"] == "de"  # fr not enabled: Accept-Language


@pytest.mark.django_db
def test_the_language_links_name_their_language_in_bcp_47(client, site):
    """Our codes are the vendor's (`es-sp`, `zh`); a link's `lang` and `hreflang` are what the
    page itself declares in `<html lang>` for that language."""
    site.enabled_languages = ["en-us", "es-sp", "es", "zh", "zh-hans", "pt-br", "de"]
    site.save()
    html = client.get("/key/?locale=de").content.decode()
    links = {
        link.attrs["href"].rsplit("locale=", 1)[1]: (link.attrs["lang"], link.attrs["hreflang"])
        for link in elements(html, "a", hreflang=True)
    }
    for code, (lang, hreflang) in links.items():
        page = client.get(f"/key/?locale={code}").content.decode()
        assert lang == hreflang == element(page, "html").attrs["lang"], code
    assert links["es-sp"][0] == "es-ES" and links["zh"][0] == "zh-Hant" and links["de"][0] == "de"


@pytest.mark.django_db
def test_the_language_menu_lists_the_current_language_first_and_the_footer_keeps_the_order(client, site):
    """On a phone the header menu scrolls: the language the page is in comes first, so the open
    menu always shows it; the footer's list, never cut off, keeps the fixed order."""
    site.enabled_languages = ["en-us", "de", "ja", "ru"]
    site.save()
    html = client.get("/key/?locale=ja").content.decode()
    picker = element(html, "details", class_="language-picker")
    footer = element(html, "nav", class_="footer-languages")
    assert [link.text for link in elements(picker, "a")] == ["日本語", "English", "Deutsch", "Русский"]
    assert element(picker, "a", aria_current="true").text == "日本語"
    assert [link.text for link in elements(footer, "a")] == ["English", "Deutsch", "日本語", "Русский"]


@pytest.mark.django_db
def test_a_page_not_found_offers_the_sites_languages_and_keeps_the_address(client, site):
    """A customer who lands on a dead link in the wrong language can read the 404 in theirs
    (a walk-through: it had no language menu) and go back to the start in it."""
    site.enabled_languages = ["en-us", "de", "ja"]
    site.save()
    response = client.get("/no-such-page/?locale=de")
    assert response.status_code == 404
    html = response.content.decode()
    picker = element(html, "details", class_="language-picker")
    links = {link.text: link.attrs["href"] for link in elements(picker, "a")}
    # Query-only references (docs/decisions/0115-error-pages-in-a-frame.md): the browser keeps
    # the page's own address and changes its language.
    assert links == {"Deutsch": "?locale=de", "English": "?locale=en-us", "日本語": "?locale=ja"}
    resolved = {
        name: urljoin("http://testserver/no-such-page/?locale=de", href) for name, href in links.items()
    }
    assert resolved["日本語"] == "http://testserver/no-such-page/?locale=ja"
    japanese = client.get(resolved["日本語"])
    assert japanese.status_code == 404
    page = japanese.content.decode()
    assert element(page, "h1").text == "ページが見つかりません"
    assert element(element(page, "div", class_="card"), "a").attrs["href"] == "/?locale=ja"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "address",
    [
        # The test client reads a leading // as a host, so the slashes come encoded, as a
        # server decodes them into the path: a protocol-relative link off the portal.
        "/%2F%2Fevil.example/x",
        "/%2Fevil.example",
        "/%5Cevil.example",  # a browser reads /\ as //
        "/caf%C3%A9%20%22x%22",  # spaces and quotes stay encoded
    ],
)
def test_a_page_not_found_links_only_to_the_portal_whatever_its_address(client, site, address):
    """The 404's language links lead to the address the visitor chose: one that starts with two
    slashes (or a backslash a browser reads as one) must not become a link to another host
    that the portal's own page offers under its name. They are query-only references now (the
    address is not written out again), which a browser resolves on the page's own host."""
    site.enabled_languages = ["en-us", "de"]
    site.save()
    response = client.get(address)
    assert response.status_code == 404
    picker = element(response.content.decode(), "details", class_="language-picker")
    hrefs = [link.attrs["href"] for link in elements(picker, "a")]
    assert sorted(hrefs) == ["?locale=de", "?locale=en-us"]
    for href in hrefs:
        resolved = urlsplit(urljoin(f"http://testserver{address}", href))
        assert resolved.netloc == "testserver" and resolved.path == address


@pytest.mark.django_db
def test_one_language_means_no_picker(client, site):
    site.enabled_languages = ["de"]
    site.default_language = "de"
    site.save()
    html = client.get("/key/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert element(html, "html").attrs["lang"] == "de" and "language-picker" not in html


@pytest.mark.django_db
def test_vary_and_content_language_headers(client, site):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")
    assert "Accept-Language" in response["Vary"]
    assert response["Content-Language"] == "fr"


@pytest.mark.parametrize(
    ("accept", "login", "required"),
    [
        ("zh-TW", "登入", "這個欄位是必須的。"),  # the portal's `zh`, Django's `zh_Hant`
        ("zh-CN", "登录", "这个字段是必填项。"),  # the portal's `zh-hans`: not the Traditional words
        ("de", "Anmelden", "Dieses Feld ist zwingend erforderlich."),
    ],
)
@pytest.mark.django_db
def test_django_speaks_every_portal_language_in_the_admin(client, accept, login, required):
    """Django's own catalogs know Traditional Chinese as zh_Hant, the portal (the vendors) as
    zh: built by `make messages` (portal/i18n_fallbacks.py), its admin is Chinese too."""
    login_url = reverse("admin:login")
    page = client.get(login_url, HTTP_ACCEPT_LANGUAGE=accept).content.decode()
    assert f'value="{login}"' in page
    response = client.post(login_url, {"username": "", "password": ""}, HTTP_ACCEPT_LANGUAGE=accept)
    assert required in response.content.decode()
