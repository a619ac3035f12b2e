"""The live counters speak characters and agree with the server to the character: text typed
right at a limit, then one character over, gets the count the counter showed from the server
too (accepted at "left: 0", refused with the same number over). The vendor counts UTF-8 bytes
for customer.details and the session.custom.* budget; the customer never reads "bytes"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from portal.models import CustomField, Site
from tests.browser.steps import query_of, submit

pytestmark = pytest.mark.browser

LEFT = "Characters left: {}"
OVER = "Characters over the limit: {}. Please shorten it."


def open_survey(page, portal_url):
    page.goto(f"{portal_url}/survey/?locale=en-us")
    page.locator("#id_issue_2").check()  # "Something else": no required custom field
    page.locator("#id_name").fill("Zoë")
    page.locator("#id_cf_urgency").select_option("low")
    page.locator("#id_consent").check()


def sent(page) -> dict[str, str]:
    page.wait_for_selector("#start-url")  # the Preview backend shows where the customer goes
    return dict(query_of(page.locator("#start-url").text_content()))


def server_error(page, field: str) -> str:
    page.wait_for_selector(f"#id_{field}_error")
    return page.locator(f"#id_{field}_error").text_content().strip()


def counter_number(page, field: str, template: str) -> int:
    """The number the counter shows, once it shows `template`'s kind of text."""
    pattern = re.escape(template).replace(re.escape("{}"), r"(\d+)")
    counter = page.locator(f"#id_{field}_counter")
    expect(counter).to_have_text(re.compile(f"^{pattern}$"))
    shown = re.fullmatch(pattern, counter.text_content() or "")
    assert shown is not None
    return int(shown.group(1))


# (what the customer types, what the counter shows, what the start carries if it fits)
AT_THE_LIMIT = [
    ("日" * 341 + "  ", LEFT.format(0), "日" * 341),  # 1023 bytes; the trailing spaces never count
    ("a" * 1020 + "\n" + "abc", LEFT.format(0), "a" * 1020 + "\nabc"),  # sent as CRLF, counted as LF
    ("é" * 511 + "\n" + "a", LEFT.format(0), "é" * 511 + "\na"),
    (" " + "😀" * 255 + "abcd \n", LEFT.format(0), "😀" * 255 + "abcd"),
]


@pytest.mark.parametrize(("text", "shown", "value"), AT_THE_LIMIT)
def test_details_at_the_byte_limit_show_zero_left_and_are_accepted(
    page, portal_url, make_site, text, shown, value
):
    make_site()
    open_survey(page, portal_url)
    page.locator("#id_details").fill(text)
    expect(page.locator("#id_details_counter")).to_have_text(shown)
    submit(page)
    assert sent(page)["customer.details"] == value


@pytest.mark.parametrize(
    ("text", "over"),
    [
        ("日" * 342, 1),
        ("é" * 600, 88),
        ("😀" * 256 + "x", 1),
        ("a" * 1024 + "  b", 1),
        ("a" * 1000 + "日" * 10, 2),
    ],
)
def test_details_over_the_limit_the_counter_and_the_server_say_the_same(
    page, portal_url, make_site, text, over
):
    make_site()
    open_survey(page, portal_url)
    page.locator("#id_details").fill(text)
    shown = counter_number(page, "details", OVER)
    submit(page)
    assert (
        server_error(page, "details")
        == f"This is {shown} character{'s' if shown != 1 else ''} too long. Please shorten it."
    )
    assert shown == over
    # Taking off exactly that many characters is enough: the counter says 0 or more left, and
    # the server accepts it.
    page.locator("#id_details").fill("".join(list(page.locator("#id_details").input_value())[:-shown]))
    assert counter_number(page, "details", LEFT) >= 0
    page.locator("#id_consent").check()
    submit(page)
    assert "customer.details" in sent(page)


def test_typing_one_character_at_a_time_matches_the_server(page, portal_url, make_site):
    make_site()
    open_survey(page, portal_url)
    page.locator("#id_details").fill("日" * 340)  # 1020 bytes: 4 left, one more 日 fits
    assert counter_number(page, "details", LEFT) == 1
    page.locator("#id_details").press("End")
    page.keyboard.type("日")
    assert counter_number(page, "details", LEFT) == 0
    page.keyboard.type("a")  # the last byte: an ASCII letter still fits
    assert counter_number(page, "details", LEFT) == 0
    page.keyboard.type("a")
    assert counter_number(page, "details", OVER) == 1
    submit(page)
    assert server_error(page, "details") == "This is 1 character too long. Please shorten it."


def test_after_a_refusal_the_server_speaks_until_the_customer_edits(page, portal_url, make_site):
    """The server's "This is 400 characters too long" by the field, and the counter's "400 over"
    under it, said the same thing twice; the counter waits for the customer's first edit."""
    make_site()
    open_survey(page, portal_url)
    page.locator("#id_name").fill("x" * 500)
    assert counter_number(page, "name", OVER) == 400
    page.locator("#id_details").fill("Printer offline")
    submit(page)
    assert server_error(page, "name") == "This is 400 characters too long. Please shorten it."
    expect(page.locator("#id_name_counter")).to_be_hidden()
    page.locator("#id_name").press("End")
    page.keyboard.press("Backspace")
    assert counter_number(page, "name", OVER) == 399
    expect(page.locator("#id_name_counter")).to_be_visible()


@pytest.mark.parametrize(
    ("language", "fits"), [("en-us", 1024), ("nl", 1024), ("de", 512), ("fi", 512), ("ja", 341)]
)
def test_an_empty_byte_limited_field_promises_what_the_pages_script_fits(
    page, portal_url, make_site, language, fits
):
    """1,024 bytes are 1,024 Latin letters but 341 Japanese characters: an empty description on
    a Japanese page says 341 left, and 341 Japanese characters are accepted."""
    make_site(enabled_languages=[])
    page.goto(f"{portal_url}/survey/?locale={language}")
    counter = page.locator("#id_details_counter")
    expect(counter).to_have_text(re.compile(rf"\b{fits}\b"))
    numbers = [int(n) for n in re.findall(r"\d+", counter.text_content())]
    assert numbers == [fits]


@pytest.mark.parametrize(
    ("language", "letter"),
    [("en-us", "a"), ("ru", "д"), ("zh-hans", "日"), ("fi", "ä"), ("de", "ß"), ("tr", "ğ"), ("fr", "é")],
)
def test_an_empty_byte_limited_fields_number_is_all_the_pages_script_fits(
    page, portal_url, make_site, language, letter
):
    """A walk-through asked why an empty description says 1,024 in English, 512 in Russian and
    341 in Chinese. The vendor counts 1,024 UTF-8 bytes, so no one number of characters is true
    for every script: each page promises what its own letters fit, no more (one more is over)
    and no less (that many leave 0)."""
    make_site(enabled_languages=[])
    page.goto(f"{portal_url}/survey/?locale={language}")
    counter = page.locator("#id_details_counter")
    expect(counter).to_have_text(re.compile(r"\d"))
    [promised] = [int(n) for n in re.findall(r"\d+", counter.text_content())]
    details = page.locator("#id_details")
    details.fill(letter * promised)
    expect(counter).to_have_text(re.compile(r"\D0(\D|$)"))  # "Noch frei: 0 Zeichen"
    expect(counter).not_to_have_class(re.compile(r"\bover\b"))
    details.fill(letter * (promised + 1))
    expect(counter).to_have_class(re.compile(r"\bover\b"))


@pytest.mark.parametrize(
    ("language", "text", "width"),
    [
        # A Finnish count halved at the first "ä" (1,016 left, then 506): the page's letters
        # are counted as wide as its alphabet's widest from the start, so none of them jumps.
        ("fi", "Tulostin ei tulosta värejä", 2),
        ("de", "Der Drucker druckt für uns nicht", 2),
        ("ru", "Принтер не печатает", 2),
        ("ja", "プリンターが印刷しません", 3),
    ],
)
def test_the_count_goes_down_evenly_as_the_customer_types_the_pages_language(
    page, portal_url, make_site, language, text, width
):
    make_site(enabled_languages=[])
    page.goto(f"{portal_url}/survey/?locale={language}")
    counter = page.locator("#id_details_counter")
    expect(counter).to_have_text(re.compile(rf"\b{1024 // width}\b"))
    page.locator("#id_details").click()
    shown = []
    for typed in range(1, len(text) + 1):
        page.keyboard.type(text[typed - 1])
        # What still fits of the page's letters in the bytes left (a trailing space counts
        # with the next letter, as the server strips it).
        left = (1024 - len(text[:typed].rstrip().encode())) // width
        expect(counter).to_have_text(re.compile(rf"(^|\D){left}(\D|$)"))
        shown.append(left)
    steps = [before - after for before, after in zip([1024 // width, *shown[:-1]], shown, strict=True)]
    assert max(steps) <= 2  # a space and the letter after it


def test_trailing_spaces_do_not_count_for_a_character_limit(page, portal_url, make_site):
    make_site()
    open_survey(page, portal_url)
    page.locator("#id_name").fill("x" * 100 + "   ")
    expect(page.locator("#id_name_counter")).to_have_text(LEFT.format(0))
    page.locator("#id_details").fill("Printer offline")
    submit(page)
    assert sent(page)["customer.name"] == "x" * 100


def test_custom_answers_share_the_vendors_budget(page, portal_url, make_site):
    """All session.custom.* values together (external key included) fit 10,000 bytes: each
    field's counter counts what the others already use, as the server does."""
    site: Site = make_site()
    for i in range(9):
        CustomField.objects.create(
            site=site, code_name=f"note{i}", label=f"Note {i}", max_length=1024, order=10 + i
        )
    open_survey(page, portal_url)
    page.locator("#id_details").fill("Printer offline")
    for i in range(8):
        page.locator(f"#id_cf_note{i}").fill("x" * 1000)  # 8000 bytes, + "low" (3)
    page.locator("#id_external_key").fill("é" * 400)  # 800 bytes: 1197 left for note 8
    page.locator("#id_cf_note8").fill("ü" * 598)  # 1196 bytes: no more ü fits
    assert counter_number(page, "cf_note8", LEFT) == 0
    page.locator("#id_cf_note8").fill("ü" * 606)
    shown = counter_number(page, "cf_note8", OVER)
    assert shown == 8
    submit(page)
    assert server_error(page, "cf_note8") == (
        f"Together with your other answers, this is {shown} characters too long. Please shorten it."
    )


def test_no_counter_or_message_says_bytes(page, portal_url, make_site):
    make_site()
    for language in ("en-us", "de", "ja"):
        page.goto(f"{portal_url}/survey/?locale={language}")
        page.locator("#id_details").fill("日" * 400)
        text = page.locator("main").inner_text()
        assert not re.search(r"byte|バイト", text, re.I), language


def test_counter_agrees_with_the_servers_rule_on_mixed_text(page, portal_url, make_site):
    """Many texts mixing scripts, line breaks and the whitespace the server strips (a fixed
    seed): the counter's number is the server's chars_over, or, when it fits, how many more
    characters as wide as the widest typed still fit in the bytes left."""
    import random

    from portal.forms import STRIP_CHARS, chars_over, clean_text

    make_site()
    page.goto(f"{portal_url}/survey/?locale=en-us")
    counter = page.locator("#id_details_counter")
    pieces = [
        "a",
        "Z",
        "7",
        " ",
        "é",
        "ß",
        "ü",
        "日",
        "本",
        "😀",
        "🖨",
        "\n",
        "\u3000",
        "\xa0",
        "\u2003",
        ",",
        "€",
    ]
    rng = random.Random(20261202)
    for _ in range(30):
        size = rng.choice([300, 500, 700, 1000, 1100])
        text = "".join(rng.choice(pieces) for _ in range(size))
        text = rng.choice(["", " ", "\u3000\n"]) + text + rng.choice(["", "  ", "\n\xa0"])
        page.locator("#id_details").fill(text)
        clean = clean_text(text.replace("\n", "\r\n"), multiline=True)  # as the browser sends it
        assert not clean or (clean[0] not in STRIP_CHARS and clean[-1] not in STRIP_CHARS)
        over = chars_over(clean, max_bytes=1024)
        if over:
            expected = OVER.format(over)
        else:
            widest = max((len(ch.encode()) for ch in clean), default=1)
            expected = LEFT.format((1024 - len(clean.encode())) // widest)
        expect(counter).to_have_text(expected)
