"""Where the customer pages' lines break on a phone: between the parts of a value, never inside
a number and its Japanese or Chinese counter word; the language menu shows that it scrolls; and
a wide logo leaves the language picker on its line. Each test measures the boxes Chromium laid
out (text rects per line, element edges)."""

from __future__ import annotations

import datetime
import io
import re
import struct
import zlib
import zoneinfo

import pytest
from django.conf import settings
from playwright.sync_api import expect

from portal.models import Backend, Holiday, OpeningHours, Site
from tests.browser.steps import fill_survey, fill_tc_survey, submit
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


def test_a_code_with_a_hyphen_before_its_number_stays_on_one_line(page, make_site, portal_url):
    """A walk-through at 360 px: the asset tag's help ("…, esim. LT-4471.") ended a line in
    "LT-" and began the next with "4471.", a code the customer reads off their sticker split
    in two. A hyphen before a number keeps the code whole at any phone or narrow frame width
    (without the fix this help broke there at 240 to 300 px and more)."""
    make_site()
    page.goto(f"{portal_url}/survey/?locale=en-us")
    help_text = page.locator("#id_cf_asset_tag_help")
    expect(help_text).to_be_visible()
    assert widths_that_break(page, help_text, r"LT-\u2060?4471") == []


@pytest.mark.parametrize(
    ("language", "count"),
    [("ru", r"9-\u2060?значный"), ("de", r"9-\u2060?stellige"), ("fi", r"9-\u2060?numeroisen")],
)
def test_a_number_joined_to_its_word_by_a_hyphen_stays_on_one_line(
    page, portal_url, make_tc_site, takecontrol_server, language, count
):
    """A walk-through at phone widths: the queue page's PIN hint ("…сообщит вам 9-значный
    PIN-код…") ended a line in "9-" and began the next with "значный", the count cut from what
    it counts. German "9-stellige" and Finnish "9-numeroisen" broke the same way. The hint
    keeps them whole at every phone or narrow frame width, 320 to 360 px included (without the
    fix the Russian hint broke from 240 px, the Finnish from 304 px, the German from 340 px)."""
    make_tc_site(mode=Backend.TakeControlMode.REST, enabled_languages=["en-us", "de", "fi", "ru"])
    page.goto(f"{portal_url}/survey/?locale={language}")
    fill_tc_survey(page)
    submit(page)
    hint = page.locator("main p", has_text=re.compile(count))
    expect(hint).to_be_visible()
    assert widths_that_break(page, hint, count) == []


# The languages written with spaces between words, as the portal's language codes.
SPACED_LANGUAGES = ["de", "es", "es-sp", "fi", "fr", "it", "nl", "pt-br", "pt-pt", "ru", "sv-se", "tr"]


@pytest.mark.parametrize("language", SPACED_LANGUAGES)
def test_a_count_keeps_its_unit_on_its_line(page, portal_url, make_tc_site, takecontrol_server, language):
    """A walk-through at 320 px: the queue page's wait ended a line on "3" and began the next
    with "Minuten", and the survey's "Das sind 372 Zeichen zu viel" could end one on "372".
    The catalogs bind a number to the word it counts with a no-break space, so neither breaks
    between the two at any phone or narrow frame width (without it the message broke there in
    all 12 languages, at 240 to 300 px and wider)."""
    make_tc_site(mode=Backend.TakeControlMode.REST, enabled_languages=["en-us", *SPACED_LANGUAGES])
    takecontrol_server.use("ok-with-link")  # a wait of "PT3M"
    page.goto(f"{portal_url}/survey/?locale={language}")
    fill_tc_survey(page, name="x" * 500)
    submit(page)
    error = page.locator("#id_name_error")
    expect(error).to_be_visible()
    count = r"372\s\S+"  # 500 characters where 128 fit, and the word after the number
    assert re.search(count, error.text_content()), error.text_content()
    assert widths_that_break(page, error, count) == []
    fill_tc_survey(page)
    submit(page)
    wait = page.locator(".estimated-wait")
    expect(wait).to_be_visible()
    minutes = r"3\s\S+"
    assert re.search(minutes, wait.text_content()), wait.text_content()
    assert widths_that_break(page, wait, minutes) == []


# LINES, but a character's line is that of its last box: Chromium gives the first letter after a
# soft hyphen's break a box on the line above too (where the hyphen is drawn).
LINES_AT_SOFT_HYPHENS = LINES.replace(
    "const rect = range.getBoundingClientRect();",
    "const rects = range.getClientRects();"
    " const rect = rects[rects.length - 1] || range.getBoundingClientRect();",
)
assert LINES_AT_SOFT_HYPHENS != LINES


def split_inside_a_word(locator) -> list[list[str]]:
    """The lines of each element `locator` matches, for each element whose text the browser
    broke inside a word other than at a soft hyphen (no space and no U+00AD where one line meets
    the next), or whose right edge passes its parent's."""
    found = []
    for index in range(locator.count()):
        element = locator.nth(index)
        lines = element.evaluate(LINES_AT_SOFT_HYPHENS)
        outside = element.evaluate(
            "e => e.getBoundingClientRect().right > e.parentElement.getBoundingClientRect().right + 1"
        )
        joints = zip(lines, lines[1:], strict=False)
        if outside or any(
            not (line.endswith((" ", "\u00ad")) or after.startswith(" ")) for line, after in joints
        ):
            found.append(lines)
    return found


def test_a_long_dutch_compound_breaks_at_its_joint_and_stays_in_its_card(
    page, portal_url, make_site, make_tc_site, takecontrol_server
):
    """A walk-through at 320 px: the queue page's "Ondersteuningsprogramma downloaden" button
    stood 13 px out of its card and made the page scroll sideways, the survey's chat-only
    tick box's label ran past the card's edge, and its next steps broke the word as
    "ondersteuningsprogram" / "ma". The Dutch catalog marks the joint with a soft hyphen and
    buttons and labels may break, so at no phone or narrow frame width does one leave its
    card or split the word elsewhere."""
    survey_site = make_site(enabled_languages=["en-us", "nl"])
    page.goto(f"{portal_url}/survey/?locale=nl")
    survey_texts = page.locator(
        ".checkbox label, .next-steps li, main li", has_text=re.compile("ondersteunings")
    )
    expect(survey_texts.first).to_be_visible()
    broken = {}
    for width in range(280, 431, 6):
        page.set_viewport_size({"width": width, "height": 740})
        if split_inside_a_word(survey_texts) or overflow(page):
            broken[width] = split_inside_a_word(survey_texts)
    assert broken == {}
    Site.objects.filter(pk=survey_site.pk).update(is_default=False)  # the queue page's site serves
    make_tc_site(mode=Backend.TakeControlMode.REST, enabled_languages=["en-us", "nl"])
    takecontrol_server.use("ok-with-link")
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{portal_url}/survey/?locale=nl")
    fill_tc_survey(page)
    submit(page)
    button = page.locator("main .button", has_text=re.compile("programma downloaden"))
    expect(button).to_be_visible()
    for width in range(280, 431, 6):
        page.set_viewport_size({"width": width, "height": 740})
        if split_inside_a_word(button) or overflow(page):
            broken[width] = split_inside_a_word(button)
    assert broken == {}


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


@pytest.mark.parametrize("language", ["ja", "tr"])
def test_on_a_phone_the_preview_breaks_the_start_address_only_after_a_separator(
    page, make_site, portal_url, language
):
    """A Japanese walk-through at 375 x 740: the Preview's start address broke anywhere
    ("support.example.co" / "m/api/start_session?short_k" / "ey=…"), where its table's values
    already broke only after a separator. The address now breaks as they do."""
    make_site(enabled_languages=["en-us", language])
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{portal_url}/key/?locale={language}")
    page.locator("#id_key").fill("123 4567")
    page.locator("#id_consent").check()
    submit(page)
    address = page.locator("#start-url")
    expect(address).to_be_visible()
    lines = address.evaluate(LINES)
    assert len(lines) > 1  # the address did need more than one line
    assert [line for line in lines[:-1] if line[-1] not in "/.-_=&?,"] == []
    assert "".join(lines) == address.text_content()  # nothing added that a copy would carry
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


def wide_png(width: int, height: int) -> bytes:
    """A plain navy PNG of the given size: a logo four times wider than it is high."""
    row = b"\x00" + b"\x0b\x2a\x4a" * width

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


HEADER_BOXES = """() => {
  const box = (selector) => document.querySelector(selector).getBoundingClientRect();
  const brand = box(".brand"), picker = box(".language-picker summary"), logo = box(".brand img");
  const image = document.querySelector(".brand img");
  return {brandTop: brand.top, brandBottom: brand.bottom, pickerTop: picker.top,
          pickerBottom: picker.bottom, brandRight: brand.right, pickerLeft: picker.left,
          shownRatio: logo.width / logo.height, naturalRatio: image.naturalWidth / image.naturalHeight,
          objectFit: getComputedStyle(image).objectFit};
}"""


@pytest.mark.parametrize("scheme", ["light", "device"])
def test_on_a_phone_a_wide_logo_leaves_the_language_picker_on_its_line(
    page, make_site, portal_url, settings, tmp_path, scheme
):
    """A walk-through at 390 px with a 4:1 logo: the logo and the site's name filled the header's
    row, so the language picker fell onto a line of its own under them, alone on the right, and
    the name broke beside the logo. At phone widths the picker now stays beside the brand (the
    name goes under the logo), the logo keeps its proportions, nothing overlaps and the page does
    not scroll sideways; the picture of a device-following site's dark logo behaves alike."""
    settings.MEDIA_ROOT = tmp_path
    site = make_site(color_scheme=scheme, enabled_languages=["en-us", "de", "fi", "ja"])
    site.logo.save("acme.png", io.BytesIO(wide_png(200, 50)))
    site.logo_dark.save("acme-dark.png", io.BytesIO(wide_png(200, 50)))
    misplaced = {}
    for width in (320, 360, 390, 430):
        for language in ("en-us", "fi", "ja"):
            page.set_viewport_size({"width": width, "height": 800})
            page.goto(f"{portal_url}/?locale={language}")
            expect(page.locator(".brand img")).to_have_js_property("complete", True)
            boxes = page.evaluate(HEADER_BOXES)
            on_its_line = (
                boxes["pickerTop"] < boxes["brandBottom"] and boxes["pickerBottom"] > boxes["brandTop"]
            )
            if not on_its_line or boxes["brandRight"] > boxes["pickerLeft"] or overflow(page):
                misplaced[(width, language)] = boxes
            # The image fills its box, or is drawn in it without stretching.
            if boxes["objectFit"] != "contain":
                assert boxes["shownRatio"] == pytest.approx(boxes["naturalRatio"], rel=0.05)
    assert misplaced == {}


# The top of the character at `i` of a text node, as the browser laid it out: a line break
# lies between two characters whose tops differ. Shared by the walks below.
CHARACTER_TOP = """const top = (text, i) => {
    const range = document.createRange();
    range.setStart(text, i);
    range.setEnd(text, i + 1);
    return range.getBoundingClientRect().top;
  };"""


def with_character_top(script: str) -> str:
    return script.replace("${CHARACTER_TOP}", CHARACTER_TOP)


# Each katakana word (with its prolonged-sound mark ー and middle dot ・) the browser split
# between two lines, with the characters about the break: "サポー|トページ".
KATAKANA_SPLIT = with_character_top("""(root) => {
  const katakana = /[\\u30a0-\\u30ff\\u2060]/;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const splits = [];
  ${CHARACTER_TOP}
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    for (let i = 0; i + 1 < text.length; i++) {
      const inWord = katakana.test(text.data[i]) && katakana.test(text.data[i + 1]);
      if (inWord && top(text, i + 1) > top(text, i) + 2) {
        splits.push(text.data.slice(Math.max(0, i - 3), i + 1) + "|" + text.data.slice(i + 1, i + 5));
      }
    }
  }
  return splits;
}""")


def test_japanese_pages_break_between_phrases_not_inside_a_katakana_word(page, make_site, portal_url):
    """A walk-through at 375 px: Japanese lines broke inside katakana words ("サポートペー" /
    "ジ"), as a browser may between any two Japanese characters. The pages ask Chromium for
    phrase-aware breaking (`word-break: auto-phrase` for :lang(ja)), so no katakana word of the
    landing, key, survey or not-found page is split on a phone."""
    make_site(welcome_text="")
    page.set_viewport_size({"width": 375, "height": 740})
    splits = {}
    for path in ("/", "/key/", "/survey/", "/no-such-page/"):
        page.goto(f"{portal_url}{path}?locale=ja")
        expect(page.locator("html")).to_have_attribute("lang", "ja")
        splits[path] = page.locator("body").evaluate(KATAKANA_SPLIT)
    assert splits == {"/": [], "/key/": [], "/survey/": [], "/no-such-page/": []}


# Each Russian one-letter word (в, к, с, у, о, и, а, я) the browser left at the end of a line,
# with the words about it: "запрос в|очереди".
ONE_LETTER_WORD_AT_LINE_END = with_character_top("""(root) => {
  const word = /^[вксуоиаяВКСУОИАЯ]$/u;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found = [];
  ${CHARACTER_TOP}
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const data = text.data;
    for (let i = 0; i + 2 < data.length; i++) {
      const starts = !/[\\p{L}\\p{N}-]/u.test(data[i - 1] || "");
      const alone = word.test(data[i]) && starts && /\\s/.test(data[i + 1]);
      if (alone && top(text, i + 2) > top(text, i) + 2) {
        found.push(data.slice(Math.max(0, i - 8), i + 1) + "|" + data.slice(i + 2, i + 10));
      }
    }
  }
  return found;
}""")


def test_russian_pages_never_end_a_line_in_a_one_letter_word(
    page, portal_url, make_tc_site, takecontrol_server
):
    """A walk-through: the queue page's heading broke "Ваш запрос в" / "очереди", a one-letter
    preposition left at a line's end, which Russian typography binds to the next word. The
    catalog binds them with a no-break space, so at no phone or narrow frame width does the
    landing, key, survey or queue page end a line in one."""
    make_tc_site(mode=Backend.TakeControlMode.REST, enabled_languages=["en-us", "ru"], welcome_text="")
    found: dict[str, set[str]] = {}

    def walk(name: str) -> None:
        for width in range(240, 431, 6):
            page.set_viewport_size({"width": width, "height": 740})
            found.setdefault(name, set()).update(page.locator("main").evaluate(ONE_LETTER_WORD_AT_LINE_END))

    for path in ("/", "/key/"):
        page.goto(f"{portal_url}{path}?locale=ru")
        walk(path)
    page.goto(f"{portal_url}/survey/?locale=ru")
    walk("/survey/")
    fill_tc_survey(page)
    submit(page)
    expect(page.locator("h1")).to_have_text("Ваш запрос в\u00a0очереди")
    walk("queue")
    assert found == {"/": set(), "/key/": set(), "/survey/": set(), "queue": set()}


# Each French high mark (: ; ? ! ») the browser put at the start of a line, cut from the word
# before it by the space French sets there, and each « left at a line's end: "champ|:".
FRENCH_MARK_CUT_OFF = with_character_top("""(root) => {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const found = [];
  ${CHARACTER_TOP}
  for (let text = walker.nextNode(); text; text = walker.nextNode()) {
    const data = text.data;
    for (let i = 1; i + 1 < data.length; i++) {
      if (!/\\s/.test(data[i])) continue;
      const before = /[:;?!»]/.test(data[i + 1]) && i > 0 && top(text, i + 1) > top(text, i - 1) + 2;
      const after = data[i - 1] === "«" && top(text, i + 1) > top(text, i - 1) + 2;
      if (before || after) found.push(data.slice(Math.max(0, i - 8), i) + "|" + data.slice(i + 1, i + 8));
    }
  }
  return found;
}""")


def test_french_pages_never_cut_a_mark_from_its_word(page, make_site, portal_url):
    """French sets a space before : ; ? ! » and after «, one that never breaks: the catalog
    mixed plain ones in, and the survey's counter over its limit broke "Caractères au-delà de
    la limite" / ": 3976. …". At no phone or narrow frame width does the landing, key or
    survey page, the counter over its limit or the error summary cut one off."""
    make_site(enabled_languages=["en-us", "fr"], welcome_text="")
    found: dict[str, set[str]] = {}

    def walk(name: str) -> None:
        for width in range(240, 431, 2):
            page.set_viewport_size({"width": width, "height": 740})
            found.setdefault(name, set()).update(page.locator("main").evaluate(FRENCH_MARK_CUT_OFF))

    for path in ("/", "/key/", "/survey/"):
        page.goto(f"{portal_url}{path}?locale=fr")
        walk(path)
    page.locator("#id_details").fill("a" * 5000)
    expect(page.locator("#id_details_counter")).to_contain_text("limite")
    walk("counter")
    submit(page)
    expect(page.locator(".error-summary")).to_be_visible()
    walk("errors")
    assert found == {"/": set(), "/key/": set(), "/survey/": set(), "counter": set(), "errors": set()}


# The width of the text an element's first text node matches `pattern` (on one line), and the
# width of the element's content box.
MATCH_AND_BOX_WIDTHS = """(element, pattern) => {
  const node = [...element.childNodes].find((child) => new RegExp(pattern).test(child.textContent));
  const match = node.textContent.match(new RegExp(pattern));
  const range = document.createRange();
  range.setStart(node, match.index);
  range.setEnd(node, match.index + match[0].length);
  const style = getComputedStyle(element);
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  return [range.getBoundingClientRect().width, element.clientWidth - padding];
}"""


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_a_range_of_opening_hours_stays_on_one_line(page, make_site, portal_url, language):
    """A range of the closed page's hours is never split across two lines at a phone or narrow
    frame width its line can hold it at; the line breaks after the weekday instead. CLDR spaces
    the English, French, Portuguese and Latin American Spanish ranges with thin spaces
    (" – "), and Chromium breaks after a dash even before a no-break space ("9:00 AM –" /
    "5:30 PM", "09:00–" / "17:30"), beside "～" and "至", and between two ideographs
    ("上" / "午9:00")."""
    site = make_site(enabled_languages=[code for code, _name in settings.LANGUAGES])
    OpeningHours.objects.create(site=site, weekday=0, opens=datetime.time(9), closes=datetime.time(17, 30))
    # Closed all day today, whatever the hour: the page lists the hours.
    Holiday.objects.create(site=site, date=datetime.datetime.now(zoneinfo.ZoneInfo(site.time_zone)).date())
    page.goto(f"{portal_url}/?locale={language}")
    row = page.locator(".opening-hours li")
    expect(row).to_have_count(1)
    the_range = r"(?<=^\S+ ).+"
    page.set_viewport_size({"width": 430, "height": 740})
    whole, _box = row.evaluate(MATCH_AND_BOX_WIDTHS, the_range)
    broken, after_the_weekday = [], []
    for width in NARROW_WIDTHS:
        page.set_viewport_size({"width": width, "height": 740})
        if row.evaluate(MATCH_AND_BOX_WIDTHS, the_range)[1] < whole + 1:
            continue  # too narrow for the range: it breaks where it must
        if row.evaluate(LINES_OF_MATCH, the_range) != 1:
            broken.append(width)
        elif row.evaluate(LINES_OF_MATCH, r".+") > 1:
            after_the_weekday.append(width)
    assert broken == []
    assert after_the_weekday  # some width broke the row: after the weekday


@pytest.mark.parametrize("language", ["ru", "fi", "it"])
def test_a_range_of_numbers_in_an_admin_message_stays_on_one_line(page, language):
    """The language code's message ("части из 2–8 букв", "1–64 kirjainta") broke after its dash
    at 13 widths between 232 and 244 px in Russian: the catalogs hold the dash between word
    joiners, and at no width does Chromium break the range."""
    from django.utils import translation

    from portal.models import CHAT_LOCALE_ERROR

    with translation.override(language):
        message = str(CHAT_LOCALE_ERROR)
    page.set_content(
        f'<html lang="{language}"><body style="margin:0"><p style="margin:0">{message}</p></body></html>'
    )
    broken = []
    for width in range(200, 501):
        page.set_viewport_size({"width": width, "height": 600})
        if page.locator("p").evaluate(LINES_OF_MATCH, r"\d\u2060?[–-]\u2060?\d") != 1:
            broken.append(width)
    assert broken == []
