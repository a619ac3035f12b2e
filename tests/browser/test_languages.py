"""Every word a customer reads is in their language: the demo's landing, session-key and survey
pages (with their error answers, the preview and the closed page) walked in all 16 languages.

What the browser shows (visible text, the title, placeholders and accessible names) is
searched for English left in a non-English page: the demo's own texts (site texts, issue
names, labels, help, choices), the portal's built-in defaults, and every UI string of the
catalogs that the page's language translates. Names and codes (the site's name, "LT-4471",
"VPN") are not English strings of either kind, so they are allowed by construction. English
itself is walked too, as the control: there every demo text must be found.
"""

from __future__ import annotations

import datetime
import io
import re
import zoneinfo
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from playwright.sync_api import expect

from portal.languages import html_lang
from portal.management.demo_texts import SITE_TEXT_FIELDS, SOURCE
from portal.models import DEFAULT_TEXTS, Backend, Holiday, OpeningHours, Site
from tests.browser.steps import fill_survey, fill_tc_survey, submit

pytestmark = pytest.mark.browser

LANGUAGES = [code for code, _name in settings.LANGUAGES]
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
PLACEHOLDER = re.compile(r"%\(\w+\)|%[sd]|\{\w+\}|__N__")

VISIBLE_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  const labelled = "[placeholder], [aria-label], [title], [alt], input[type=submit]";
  for (const el of document.querySelectorAll(labelled)) {
    if (!el.checkVisibility()) continue;
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      if (el.getAttribute(name)) parts.push(el.getAttribute(name));
    }
    if (el.type === "submit") parts.push(el.value);
  }
  // Word joiners hold a code or a count on one line (record 0108); no reader sees them.
  return parts.join("\\n").replaceAll("\\u2060", "");
}"""


def demo_english() -> list[str]:
    """The demo's English source texts and the built-in defaults, as the English page shows them."""
    texts = [SOURCE[field] for field in SITE_TEXT_FIELDS]
    for pair in (*SOURCE["issues"].values(), *SOURCE["fields"].values()):
        texts += pair
    with translation.override(None):
        texts += [str(default) for default in DEFAULT_TEXTS.values()]
    return [text for text in [*texts, *SOURCE["urgency"]] if text]


@cache
def catalog_english(language: str) -> tuple[str, ...]:
    """UI strings of several words that this language's catalog translates differently.

    A message with placeholders is checked by its longest literal part ("Only for:" and the
    like are whole messages, so they are checked whole).
    """
    with open(LOCALE_DIR / translation.to_locale(language) / "LC_MESSAGES" / "django.po", "rb") as handle:
        catalog = read_po(handle)
    found = set()
    for message in catalog:
        if not message.id or isinstance(message.id, tuple) or not message.string:
            continue
        if message.string == message.id:
            continue
        literal = max(PLACEHOLDER.split(str(message.id)), key=len).strip(" :.,")
        if " " in literal and len(literal) >= 8:
            found.add(literal)
    return tuple(sorted(found))


def walk(page, portal_url: str, language: str):
    """Shows each customer page of the demo in `language`, yielding (what, visible text)."""
    query = f"?locale={language}"
    page.goto(f"{portal_url}/{query}")
    yield "landing", page
    page.goto(f"{portal_url}/key/{query}")
    yield "key", page
    page.locator(".key-form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    yield "key errors", page
    page.goto(f"{portal_url}/survey/{query}")
    for index in range(page.locator("input[name=issue]").count()):
        page.locator(f"#id_issue_{index}").check()  # each issue shows its own fields
        yield f"survey, issue {index}", page
    page.locator("#id_issue_0").check()
    page.locator(".survey-form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    yield "survey errors", page
    page.goto(f"{portal_url}/key/{query}")
    page.locator("#id_key").fill("123 4567")
    page.locator("#id_consent").check()  # the demo site asks for consent before any start
    page.locator(".key-form button[type=submit]").click()
    page.wait_for_selector("#start-url")
    yield "preview", page
    site = Site.objects.get(is_default=True)
    Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())
    page.goto(f"{portal_url}/{query}")
    assert page.locator("[name=key], [name=issue]").count() == 0  # closed: no flows
    yield "closed", page


@pytest.fixture
def demo(portal_url):
    call_command("portal_demo", "--no-user", stdout=io.StringIO())
    return portal_url


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en-us"])
def test_no_text_is_left_in_another_language(page, demo, language):
    suspects = list(dict.fromkeys([*demo_english(), *catalog_english(language)]))
    seen = set()
    leftovers = {}
    for where, shown in walk(page, demo, language):
        assert shown.locator("html").get_attribute("lang") == html_lang(language)
        text = " ".join(shown.evaluate(VISIBLE_TEXT).split())
        seen.add(text)
        found = [suspect for suspect in suspects if suspect in text]
        if found:
            leftovers[where] = found
    assert leftovers == {}
    assert len(seen) >= 7  # the walk really showed different pages


def test_the_english_walk_finds_every_demo_text(page, demo):
    """The control: the same walk and search do see the demo's English where it belongs."""
    shown_text = " ".join(
        " ".join(shown.evaluate(VISIBLE_TEXT).split()) for _where, shown in walk(page, demo, "en-us")
    )
    with translation.override(None):
        standard_closed = str(DEFAULT_TEXTS["closed_text"])
    # Issue descriptions are for admins and the vendor; the demo writes its own closed message.
    descriptions = {description for _name, description in SOURCE["issues"].values()}
    expected = [text for text in demo_english() if text not in descriptions and text != standard_closed]
    missing = [text for text in expected if text not in shown_text]
    assert missing == []
    assert standard_closed not in shown_text


# The language a screen reader speaks each text of the error summary's links in: the `lang` of
# the nearest element around the text.
SUMMARY_LANGUAGES = """() => [...document.querySelectorAll('#error-summary li a')].map(link => {
  const parts = [];
  const walker = document.createTreeWalker(link, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.data.trim()) parts.push([node.data.trim(), node.parentElement.closest('[lang]').lang]);
  }
  return parts;
})"""


def test_the_error_summary_reads_an_untranslated_label_in_its_own_language(page, make_site, portal_url):
    """A walk-through found a German survey's error summary leading with the English-default
    site's "Asset tag" under the page's `lang="de"`, while the field's own label said en-US
    (docs/decisions/0109-language-of-untranslated-site-texts.md)."""
    make_site()
    page.goto(f"{portal_url}/survey/?locale=de")
    fill_survey(page, asset_tag="LT-" + "4" * 40)  # over the field's 32 characters
    submit(page)
    page.wait_for_selector("#error-summary")
    assert page.evaluate(SUMMARY_LANGUAGES) == [
        [["Asset tag", "en-US"], [": Das sind 11\u00a0Zeichen zu viel. Bitte kürzen Sie es.", "de"]]
    ]
    label_language = "document.querySelector('label[for=id_cf_asset_tag] [lang]').lang"
    assert page.evaluate(label_language) == "en-US"  # as the field's own label says


@pytest.mark.parametrize(
    ("language", "closed_all_day"),
    [
        ("en-us", "We are closed all day today."),
        ("de", "Heute sind wir den ganzen Tag nicht erreichbar."),
        ("ja", "本日は終日休業しております。"),
        # Not "Сегодня мы не работаем весь день" ("we do not work the whole day", as if part of it).
        ("ru", "Сегодня у нас выходной."),
    ],
)
def test_on_a_holiday_the_closed_page_says_it_is_closed_all_day(
    page, make_site, portal_url, language, closed_all_day
):
    """A walk-through on a holiday: the closed page said "we are closed right now" above opening
    hours that include the present moment ("Monday 9:00 – 17:00" on a Monday morning), and
    nothing said why. It now says, in the page's language, that it is closed all day today."""
    site = make_site(enabled_languages=["en-us", "de", "ja", "ru"])
    for weekday in range(7):  # open around the clock: only the holiday closes it
        OpeningHours.objects.create(
            site=site, weekday=weekday, opens=datetime.time(0), closes=datetime.time(0)
        )
    Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())
    page.goto(f"{portal_url}/?locale={language}")
    card = page.locator("main .card")
    expect(card.get_by_text(closed_all_day)).to_be_visible()
    expect(card.locator(".opening-hours")).to_be_visible()  # the hours that made it look open
    Holiday.objects.all().delete()
    site.save()  # a new site version: the schedule is read afresh
    page.goto(f"{portal_url}/?locale={language}")
    expect(page.locator("main form").first).to_be_visible()  # open: the flows, no closed page
    expect(page.get_by_text(closed_all_day)).to_have_count(0)


# From the closed page's card's top edge to its first line of text, and the card's own padding.
CLOSED_CARD_TOP = """() => {
  const card = document.querySelector('main .card');
  const first = card.querySelector('p');
  return [
    first.getBoundingClientRect().top - card.getBoundingClientRect().top,
    parseFloat(getComputedStyle(card).paddingTop),
  ];
}"""


@pytest.mark.parametrize("language", ["en-us", "de"])
def test_the_closed_message_starts_at_its_cards_padding(page, make_site, portal_url, language):
    """A walk-through found the closed message 1em lower in its card than any other card's first
    line: the block that carries its `lang` kept its paragraph's top margin."""
    site = make_site(closed_text="We are closed today.\n\nCall +49 30 1234567 in an emergency.")
    Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())
    page.goto(f"{portal_url}/?locale={language}")
    expect(page.locator("main .card p").first).to_have_text("We are closed today.")
    gap, padding = page.evaluate(CLOSED_CARD_TOP)
    assert padding > 0 and abs(gap - padding) <= 0.5, (gap, padding)


@pytest.mark.parametrize(
    ("language", "allowed_to_control"),
    [
        # 可以: "is allowed to" — the permission the customer gives by ticking the consent.
        ("zh", "並可以在您觀看時操控它"),
        ("zh-hans", "并可以在您观看时操控它"),
        # することもできます: "can also operate it", not することがあります, "sometimes does".
        ("ja", "操作することもできます"),
    ],
    ids=["zh", "zh-hans", "ja"],
)
def test_the_consent_grants_control_rather_than_guessing_at_it(
    page, make_site, portal_url, language, allowed_to_control
):
    """A walk-through: the portal's standard consent said in Chinese that the technician
    "并可能" control the screen, which reads "may possibly", a guess rather than the permission
    the customer grants by ticking the box under it; the Japanese said "sometimes operates"."""
    make_site(consent_text=DEFAULT_TEXTS["consent_text"], enabled_languages=["en-us", "zh-hans", "zh", "ja"])
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{portal_url}/survey/?locale={language}")
    consent = page.locator(".consent-text")
    expect(consent).to_be_visible()
    shown = consent.inner_text()
    assert allowed_to_control in shown
    assert "可能" not in shown and "ことがあります" not in shown


def test_the_turkish_pin_flow_calls_the_pin_one_thing_throughout(page, make_tc_site, portal_url):
    """A walk-through: the Turkish home page offered "PIN kodum var", then the key field and
    its messages said bare "PIN". Every page of the PIN flow (home, the PIN page, its errors
    and the queue page's hint and link) now says "PIN kodu", in whichever case it takes."""
    make_tc_site(mode=Backend.TakeControlMode.REST, enabled_languages=["en-us", "tr"])
    shown = {}
    page.goto(f"{portal_url}/?locale=tr")
    shown["home"] = page.evaluate(VISIBLE_TEXT)
    page.goto(f"{portal_url}/key/?locale=tr")
    shown["PIN page"] = page.evaluate(VISIBLE_TEXT)
    for typed in ("12345", "abc"):
        page.locator("#id_key").fill(typed)
        submit(page)
        expect(page.locator("#id_key_error")).to_be_visible()
        shown[f"PIN page, {typed!r} refused"] = page.evaluate(VISIBLE_TEXT)
    page.goto(f"{portal_url}/survey/?locale=tr")
    fill_tc_survey(page)
    submit(page)
    expect(page.locator(".queue-length")).to_be_visible()
    shown["queue page"] = page.evaluate(VISIBLE_TEXT)
    for where, text in shown.items():
        assert "PIN kod" in text, where
        assert re.findall(r"\bPIN\b(?! kod).{0,20}", text) == [], where
