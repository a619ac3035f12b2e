"""Where the customer pages' lines break on a phone: between the parts of a value, never inside
a number and its Japanese or Chinese counter word; and the language menu shows that it scrolls.
Each test measures the boxes Chromium laid out (text rects per line, element edges)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.steps import fill_survey, submit
from tests.browser.test_accessibility import LINES, LINES_OF_MATCH, overflow

pytestmark = pytest.mark.browser

# Phones, and the narrower frames a help desk's side panel gives the embedded portal.
NARROW_WIDTHS = range(240, 431, 2)


def widths_that_break(page, locator, pattern: str) -> list[int]:
    """The narrow widths at which the first text in `locator` matching `pattern` takes more
    than one line."""
    broken = []
    for width in NARROW_WIDTHS:
        page.set_viewport_size({"width": width, "height": 740})
        if locator.evaluate(LINES_OF_MATCH, pattern) != 1:
            broken.append(width)
    return broken


@pytest.mark.parametrize(
    ("language", "count"), [("ja", r"9\s桁"), ("zh-hans", r"9\s位"), ("zh", r"9\s位\u2060?數")]
)
def test_a_number_and_its_counter_word_stay_on_one_line(page, make_tc_site, portal_url, language, count):
    """A walk-through: the Japanese PIN help broke "9 桁" between the digit and its counter, so
    one line ended in "9" and the next began with "桁". Neither the help nor the error message
    that repeats it breaks there at any phone or narrow frame width (without the fix the help
    broke at 240 to 260 px)."""
    make_tc_site(enabled_languages=["en-us", "ja", "zh-hans", "zh"])
    page.goto(f"{portal_url}/key/?locale={language}")
    assert widths_that_break(page, page.locator("#id_key_help"), count) == []
    page.set_viewport_size({"width": 360, "height": 740})
    page.locator("#id_key").fill("12345")
    submit(page)
    error = page.locator("#id_key_error")
    expect(error).to_be_visible()
    assert widths_that_break(page, error, count) == []


def test_on_a_phone_the_preview_breaks_values_only_after_a_separator(page, make_site, portal_url):
    """A walk-through at 360 x 740: the Preview's table broke values without spaces anywhere
    ("LaserJet_Pro/M4" / "04dn", "https://example" / ".com/a/very/lon"). A value breaks only
    after a separator (/ . - _ = & ? ,), and the page does not scroll sideways."""
    make_site()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{portal_url}/survey/?locale=en-us")
    fill_survey(page, asset_tag="LT-4471")
    page.locator("#id_company").fill("HP-LaserJet_Pro/M404dn")
    page.locator("#id_details").fill("https://intranet.example.com/printers/floor-2?queue=north&id=7")
    page.locator("#id_cf_printer_model").fill("LaserJet_Enterprise/M607dn")
    submit(page)
    page.wait_for_selector("#start-url")
    values = page.locator(".params tbody td")
    split_badly, wrapped = {}, 0
    for index in range(values.count()):
        lines = values.nth(index).evaluate(LINES)
        wrapped += len(lines) > 1
        if any(line[-1] not in "/.-_=&?, " for line in lines[:-1]):
            split_badly["".join(lines)] = lines
    assert wrapped >= 3  # the long values did need more than one line
    assert split_badly == {}
    assert overflow(page) == 0


@pytest.mark.parametrize("height", [568, 640, 740, 844])
def test_on_a_phone_the_language_menu_shows_that_more_languages_follow(page, make_site, portal_url, height):
    """A walk-through at 360 px: the open menu of 16 languages scrolls, but its edge fell
    between two links, so nothing said that more followed. The edge now cuts a link about in
    half, at any screen height; the links stay reachable with the keyboard."""
    make_site(enabled_languages=[])  # none ticked: all 16
    page.set_viewport_size({"width": 360, "height": height})
    page.goto(f"{portal_url}/?locale=de")
    page.locator(".language-picker summary").click()
    menu = page.locator(".language-picker ul")
    expect(menu).to_be_visible()
    shown = menu.evaluate(
        """(ul) => {
      const bottom = ul.getBoundingClientRect().top + ul.clientTop + ul.clientHeight;
      const cut = [...ul.querySelectorAll("a")].map((a) => a.getBoundingClientRect())
        .find((box) => box.top < bottom && box.bottom > bottom);
      return cut ? (bottom - cut.top) / cut.height : null;
    }"""
    )
    assert shown is not None and 0.25 <= shown <= 0.75, shown
    last = menu.locator("a").last
    for _ in range(menu.locator("a").count()):
        page.keyboard.press("Tab")
    expect(last).to_be_focused()
    expect(last).to_be_in_viewport(ratio=1)  # the menu scrolled to the link that has focus
