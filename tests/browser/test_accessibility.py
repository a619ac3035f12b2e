"""Every customer page, in three scripts, passes axe-core's WCAG 2.2 A and AA checks with zero
violations, light and dark (docs/decisions/0110-dark-colour-scheme.md), fits a 320 px wide
screen and 200 % zoom, and is photographed for review."""

from __future__ import annotations

import datetime
import itertools
import zoneinfo

import pytest
from playwright.sync_api import expect

from portal.branding import DARK
from portal.models import Backend, Holiday
from tests.browser.steps import (
    axe_violations,
    css_rgb,
    expected_survey_query,
    fill_survey,
    screenshot,
    submit,
)

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
# A site's colour scheme, and the preference the device reports: each the one that would show
# the page in the other scheme if the setting were not respected.
SCHEMES = {"light": ("light", "dark"), "dark": ("dark", "light"), "device-dark": ("device", "dark")}


def customer_pages(page, make_site, portal_url, language, **site_fields):
    """Walks through every customer page, yielding (name, page) with each one shown."""
    site = make_site(
        **site_fields,
        warning_text="Only continue if you contacted us yourself.",
        notice_text="Planned maintenance on Sunday from 8:00 to 9:00.",
        welcome_text="Our technicians can see your screen and help you right away.",
        show_rep_list=True,
        contact_email="help@acme.example",
        contact_phone="+49 30 1234567",
        contact_url="https://acme.example/contact",
        privacy_url="https://acme.example/privacy",
    )
    query = f"?locale={language}"
    page.goto(f"{portal_url}/{query}")
    yield "home"
    page.goto(f"{portal_url}/reps/{query}")  # the Preview backend's sample people, as tiles
    page.locator("#id_rep .tile").first.wait_for()
    yield "reps"
    page.goto(f"{portal_url}/key/{query}")
    yield "key"
    page.get_by_role("button").last.click()
    page.wait_for_selector("#error-summary")
    yield "key-errors"
    page.goto(f"{portal_url}/survey/{query}")
    yield "survey"
    page.locator("#id_issue_0").check()
    page.locator("#id_cf_asset_tag").fill("X" * 40)
    page.locator(".survey-form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    yield "survey-errors"
    page.goto(f"{portal_url}/key/{query}")
    page.locator("#id_key").fill("123 4567")
    page.locator("#id_consent").check()  # the site asks for consent before any start
    page.locator(".key-form button[type=submit]").click()
    page.wait_for_selector("#start-url")
    yield "preview"
    Backend.objects.filter(pk=site.backend_id).update(kind=Backend.Kind.MODERN)
    site.show_interstitial = True
    site.save()
    page.goto(f"{portal_url}/key/{query}")
    page.locator("#id_key").fill("1234567")
    page.locator("#id_consent").check()
    page.locator(".key-form button[type=submit]").click()
    page.wait_for_selector("#start-link")
    yield "ready"
    site.issues.update(active=False)
    site.save()  # a new site version: the pages are rendered afresh
    page.goto(f"{portal_url}/survey/{query}")  # a help desk's link, with no issue left to pick
    page.get_by_role("status").wait_for()
    yield "survey-no-topics"
    Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())
    page.goto(f"{portal_url}/{query}")
    yield "closed"
    page.goto(f"{portal_url}/no-such-page/{query}")
    yield "not-found"


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize(
    ("language", "scheme"),
    [(language, scheme) for scheme in ("light", "dark") for language in ("en-us", "de", "ja")]
    + [("en-us", "device-dark")],
)
def test_customer_pages_have_no_axe_violations(page, make_site, portal_url, language, scheme):
    color_scheme, device = SCHEMES[scheme]
    page.emulate_media(color_scheme=device)
    seen = {}
    for name in customer_pages(page, make_site, portal_url, language, color_scheme=color_scheme):
        background = DARK["--bg"] if scheme != "light" else "#f6f7f9"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == css_rgb(background), name
        assert page.locator("html").get_attribute("lang").lower().startswith(language[:2]), name
        seen[name] = axe_violations(page)
    assert len(seen) == 11
    assert {name: v for name, v in seen.items() if v} == {}


@pytest.mark.parametrize("language", ["en-us", "ja"])
def test_customer_pages_fit_small_screens_and_zoom(page, make_site, portal_url, language):
    """320 px wide (WCAG 1.4.10 reflow) and 1280 px at 200 % zoom: no sideways scrolling."""
    too_wide = {}
    for name in customer_pages(page, make_site, portal_url, language):
        for label, (width, height) in {"320px": (320, 640), "zoom200": (640, 400)}.items():
            page.set_viewport_size({"width": width, "height": height})
            if overflow(page) > 0:
                too_wide[f"{name}@{label}"] = overflow(page)
        if language == "en-us" or name in {"survey-errors", "ready"}:
            for label, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                screenshot(page, f"{name}-{language}-{label}-{width}x{height}")
        page.set_viewport_size({"width": 1280, "height": 800})
    assert too_wide == {}


def test_axe_is_really_checking(page):
    """Guards the zero above: the same check finds the faults of a deliberately broken page."""
    page.set_content("<html><body><img src='x.png'><input type='text'><a href='#'></a></body></html>")
    found = {line.split(" ")[0] for line in axe_violations(page)}
    assert {"image-alt", "label", "link-name", "html-has-lang"} <= found


def flow_boxes(page) -> list[dict]:
    return [card.bounding_box() for card in page.locator(".flows > .flow").all()]


def test_the_landing_page_puts_the_three_ways_side_by_side_on_a_desktop_and_stacks_them_on_a_phone(
    page, make_site, portal_url
):
    make_site(show_rep_list=True)
    page.goto(f"{portal_url}/?locale=de")
    titles = page.locator(".flows > .flow h2").all_text_contents()
    assert titles == [
        "Ansprechpartner auswählen",
        "Ich habe einen Sitzungsschlüssel",
        "Beschreiben Sie Ihr Problem",
    ]
    desktop = flow_boxes(page)
    assert len({box["y"] for box in desktop}) == 1  # one row
    assert desktop[0]["x"] < desktop[1]["x"] < desktop[2]["x"]
    assert sum(box["width"] for box in desktop) > 1000  # the width of 1280 px is used
    for width, height in ((390, 844), (320, 640), (640, 400)):  # phone, reflow, 1280 px at 200 %
        page.set_viewport_size({"width": width, "height": height})
        stacked = flow_boxes(page)
        assert len({box["x"] for box in stacked}) == 1, width  # one column
        assert stacked[0]["y"] < stacked[1]["y"] < stacked[2]["y"]
        assert overflow(page) == 0, width


# Each option of the first choice group: its whole-row target (the label) and its text's box.
CHOICE_ROWS = """() => [...document.querySelector('fieldset .choices').querySelectorAll('label.choice')]
  .map((label) => {
    const row = label.getBoundingClientRect();
    const text = label.querySelector('span').getBoundingClientRect();
    return {top: row.top, bottom: row.bottom, width: row.width, height: row.height,
            textTop: text.top, textBottom: text.bottom};
  })"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_issue_choices_read_as_one_group_of_large_targets(page, make_site, portal_url, scheme):
    """A walk-through: on phones the survey's issues stood 32 px apart, a list of loose items.
    The rows now touch, each still a target far above 24 x 24 px (WCAG 2.5.8), and the space
    between one option's text and the next is less than a line of text."""
    make_site(color_scheme=scheme)
    for width in (320, 390, 430):
        page.set_viewport_size({"width": width, "height": 844})
        page.goto(f"{portal_url}/survey/")
        rows = page.evaluate(CHOICE_ROWS)
        assert len(rows) == 3
        for row in rows:
            assert row["width"] >= 24 and row["height"] >= 24, (width, row)
        for above, below in itertools.pairwise(rows):
            assert below["top"] - above["bottom"] == pytest.approx(0, abs=0.5), width  # no gap
            line = above["textBottom"] - above["textTop"]
            assert below["textTop"] - above["textBottom"] < line, (width, above, below)
        # The whole row is the target: a tap at its far corner, away from text and circle.
        page.locator("label.choice").nth(1).click(position={"x": rows[1]["width"] - 3, "y": 3})
        assert page.locator("#id_issue_1").is_checked()
        screenshot(page, f"survey-choices-{scheme}-{width}")


@pytest.mark.parametrize("language", ["de", "pt-pt"])
def test_on_a_phone_the_language_menu_and_a_long_word_stay_on_the_screen(
    page, make_site, portal_url, language
):
    """A walk-through at 320 to 414 px: the language menu opened 116 px off the screen's left
    edge whenever the header wrapped, and a long German word in the welcome text made the page
    scroll sideways, in a frame as well."""
    make_site(
        name="Datenverarbeitungssicherheitsbeauftragten-Hilfe GmbH",
        welcome_text="Willkommen beim Datenverarbeitungssicherheitsbeauftragten.",
    )
    for width in (320, 360, 414):
        page.set_viewport_size({"width": width, "height": 700})
        for query in (f"?locale={language}", f"?locale={language}&embed=1"):
            page.goto(f"{portal_url}/{query}")
            assert overflow(page) == 0, (width, query)
        page.goto(f"{portal_url}/?locale={language}")
        page.locator(".language-picker summary").click()
        menu = page.locator(".language-picker ul").bounding_box()
        assert menu is not None and menu["x"] >= 0 and menu["x"] + menu["width"] <= width, (width, menu)


@pytest.mark.parametrize("language", ["en-us", "ja", "ru"])
def test_on_a_phone_the_open_language_menu_shows_the_current_language(page, make_site, portal_url, language):
    """A walk-through at 360 x 740: with all 16 languages the open menu scrolls, and a language
    far down the list (Japanese, Russian) sat below its edge, so the customer who opened it
    could not see which language was chosen."""
    make_site(enabled_languages=[])  # none ticked: all 16
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{portal_url}/?locale={language}")
    page.locator(".language-picker summary").click()
    menu = page.locator(".language-picker ul")
    expect(menu).to_be_visible()
    assert menu.locator("a").count() == 16
    assert menu.evaluate("(ul) => ul.scrollHeight > ul.clientHeight")  # the menu does scroll
    expect(menu.locator("a[aria-current]")).to_be_in_viewport(ratio=1)


# On how many lines the element shows the first text that matches `pattern` (in one text node).
LINES_OF_MATCH = """(element, pattern) => {
  const node = [...element.childNodes].find((child) => new RegExp(pattern).test(child.textContent));
  const match = node.textContent.match(new RegExp(pattern));
  const range = document.createRange();
  range.setStart(node, match.index);
  range.setEnd(node, match.index + match[0].length);
  return new Set([...range.getClientRects()].map((rect) => Math.round(rect.top))).size;
}"""


def test_on_a_phone_the_example_session_key_stays_on_one_line(page, make_site, portal_url):
    """A walk-through: at some phone widths the Japanese help broke "123 4567" between its two
    groups. Every width from 300 to 430 px keeps the example whole."""
    make_site()
    page.goto(f"{portal_url}/key/?locale=ja")
    help_text = page.locator("#id_key_help")
    broken = []
    for width in range(300, 431, 2):
        page.set_viewport_size({"width": width, "height": 740})
        lines = help_text.evaluate(LINES_OF_MATCH, r"123\s4567")  # \s: a space or a no-break one
        if lines != 1:
            broken.append(width)
    assert broken == []


# The lines the browser broke an element's text into, one string each (a break inside the text).
LINES = """(element) => {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  const lines = [];
  let top = null;
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    for (let i = 0; i < text.length; i++) {
      const range = document.createRange();
      range.setStart(text, i);
      range.setEnd(text, i + 1);
      const rect = range.getBoundingClientRect();
      if (top === null || rect.top > top + 2) {
        lines.push("");
        top = rect.top;
      }
      lines[lines.length - 1] += text.data[i];
    }
  }
  return lines;
}"""


def test_on_a_phone_the_preview_breaks_parameter_names_only_between_their_parts(page, make_site, portal_url):
    """A walk-through at 360 x 740: the Preview's table broke parameter names anywhere
    ("session.custo" / "m.asset_tag"). A name breaks only before a dot or an underscore, and
    the page does not scroll sideways."""
    make_site()
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{portal_url}/survey/?locale=en-us")
    fill_survey(page, asset_tag="LT-4471")
    submit(page)
    page.wait_for_selector("#start-url")
    names = page.locator(".params tbody th code")
    assert names.count() == len(expected_survey_query(asset_tag="LT-4471"))
    split_badly = {}
    for index in range(names.count()):
        lines = names.nth(index).evaluate(LINES)
        if any(line[0] not in "._" for line in lines[1:]):
            split_badly["".join(lines)] = lines
    assert split_badly == {}
    assert overflow(page) == 0
