"""Limits in the customer's unit: every message counts characters, and what fits is decided on
the text as the server cleans it (line ends unified, surrounding whitespace stripped), whether
the vendor counts characters or UTF-8 bytes (docs/decisions/0025-limits-in-the-vendors-units.md)."""

import re
import sys

import pytest

from portal.forms import STRIP_CHARS, chars_over, clean_text
from portal.models import Backend, Issue, Site
from tests.conftest import form_data, query_of, start_address
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

VALID = {"issue": "printing", "name": "Jane Doe", "details": "Printer offline"}


def post_survey(client, **fields):
    return client.post("/survey/", form_data(**{**VALID, **fields}))


def error_of(response, field: str) -> str:
    found = elements(response.content.decode(), "p", class_="error", id=f"id_{field}_error")
    return found[0].raw_text().removesuffix(" ") if found else ""


def sent(response, parameter: str) -> str:
    assert response.status_code in (200, 303), response.content.decode()[:2000]
    return dict(query_of(start_address(response)))[parameter]


def too_long(count: int) -> str:
    return f"This is {count} character{'s' if count != 1 else ''} too long. Please shorten it."


def test_strip_chars_are_exactly_what_python_strips():
    assert set(STRIP_CHARS) == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}


@pytest.mark.parametrize(
    ("text", "fits"),
    [
        ("a" * 1024, True),
        ("a" * 1025, False),
        ("é" * 512, True),
        ("é" * 513, False),
        ("日" * 341 + "a", True),
        ("日" * 342, False),
        ("😀" * 256, True),
        ("😀" * 256 + "a", False),
        # Only what is left after stripping counts: the counter used to count these spaces.
        ("  " + "a" * 1024 + "   \r\n \t", True),
        # A line break is one byte however the browser sent it (CRLF from a textarea).
        ("é" * 511 + "\r\n" + "a", True),
        ("é" * 511 + "\r\n" + "ab", False),
        ("é" * 511 + "\r" + "a", True),
    ],
)
def test_details_fit_1024_utf8_bytes_of_the_cleaned_text(client, site, issues, text, fits):
    response = post_survey(client, details=text)
    if fits:
        assert sent(response, "customer.details") == text.replace("\r\n", "\n").replace("\r", "\n").strip()
    else:
        assert error_of(response, "details") == too_long(1)


@pytest.mark.parametrize(
    ("text", "over"),
    [
        ("é" * 600, 88),  # 512 of them fit
        ("日" * 400, 59),  # 341 fit
        ("😀" * 300, 44),  # 256 fit
        ("a" * 1000 + "日" * 10, 2),  # 1030 bytes: two CJK characters off the end
        # Spaces left at the end once "b" is gone are stripped: only "b" has to go.
        ("a" * 1024 + "  b", 1),
    ],
)
def test_details_message_says_how_many_characters_to_remove(client, site, issues, text, over):
    response = post_survey(client, details=text)
    assert error_of(response, "details") == too_long(over)
    assert "byte" not in response.content.decode().split('id="id_details_error">')[1].split("</p>")[0]
    shortened = "".join(list(text)[:-over])
    assert chars_over(clean_text(shortened, multiline=True), max_bytes=1024) == 0
    assert post_survey(client, details=shortened).status_code == 303


@pytest.mark.parametrize(
    ("text", "over"),
    # "\U00020000": a letter beyond the BMP, four UTF-8 bytes and one character, as an emoji is
    # (a name of emoji alone is refused for having no letter: docs/decisions/0051-shared-text-rules.md).
    [("ü" * 100 + "  ", 0), ("日" * 100, 0), ("\U00020000" * 100, 0), ("日" * 101, 1), (" " + "x" * 105, 5)],
)
def test_name_counts_characters_after_stripping(client, site, issues, text, over):
    response = post_survey(client, name=text)
    if over:
        assert error_of(response, "name") == too_long(over)
    else:
        assert sent(response, "customer.name") == text.strip()


@pytest.fixture
def legacy_site(site):
    site.backend.kind = Backend.Kind.LEGACY
    site.backend.save()
    Issue.objects.create(site=site, code_name="printing", display_name="Printing", vendor_id=7)
    return site


@pytest.mark.parametrize("text", ["é" * 1000, "é" * 1024, "日" * 1024, "😀" * 1024, "é" * 1024 + " \r\n"])
def test_legacy_customer_desc_is_1024_characters(client, legacy_site, text):
    response = post_survey(client, details=text)
    assert sent(response, "customer_desc") == text.strip()


@pytest.mark.parametrize(("text", "over"), [("é" * 1025, 1), ("😀" * 1030, 6)])
def test_legacy_customer_desc_over_1024_characters(client, legacy_site, text, over):
    assert error_of(post_survey(client, details=text), "details") == too_long(over)


def test_legacy_page_counts_characters_only(client, legacy_site):
    html = client.get("/survey/").content.decode()
    counter = element(html, "p", class_="counter", id="id_details_counter").attrs
    assert counter["data-max-chars"] == "1024" and "data-max-bytes" not in counter
    assert "data-shared-bytes" not in html  # no session.custom.* on a legacy start


def test_modern_page_publishes_the_rule_the_server_applies(client, site, issues, custom_fields):
    html = client.get("/survey/").content.decode()
    counter = element(html, "p", class_="counter", id="id_details_counter").attrs
    assert counter["data-max-bytes"] == "1024"
    strip = counter["data-strip"]
    assert strip.encode().decode("unicode_escape") == STRIP_CHARS
    # The external key and every custom field share the vendor's 10,000-byte budget.
    shared = {field.attrs["name"] for field in elements(html, data_shared_bytes="10000")}
    assert shared == {"external_key", "cf_asset_tag", "cf_printer_model", "cf_urgency"}


def test_site_language_pages_never_say_bytes(client, site, issues):
    for language in [code for code, _name in Site._meta.get_field("default_language").choices]:
        html = client.get(f"/survey/?locale={language}").content.decode()
        visible = element(html, "html").text
        assert not re.search(r"byte|バイト|字节|位元組|байт|octet", visible, re.I), language
