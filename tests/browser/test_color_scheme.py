"""A site's colour scheme in the browser (docs/decisions/0110-dark-colour-scheme.md): Light and
Dark whatever the device prefers, "Follow the device" as the device prefers, from one and the
same page; form controls follow the scheme, the focus ring shows on both, the dark pages show
the logo for dark pages, and a light site in a help-desk page stays light on a dark device.
axe's checks of the dark pages are in test_accessibility.py and test_accessibility_vendors.py."""

from __future__ import annotations

import base64
import io
import re

import pytest
from playwright.sync_api import expect

from portal.branding import DARK, MIN_UI_CONTRAST, contrast_ratio, embed_snippet, ink_on, primary_on_dark
from tests.browser.conftest import TIMEZONE
from tests.browser.steps import css_rgb, host_page
from tests.test_branding_and_hours import PNG_1PX

pytestmark = pytest.mark.browser

PRIMARY = "#1a5fb4"  # the sites' default
LIGHT_LOOK = {
    "scheme": "normal",
    "page": css_rgb("#f6f7f9"),
    "text": css_rgb("#1d1d1f"),
    "button": css_rgb(PRIMARY),
    "buttonText": css_rgb("#ffffff"),
    "field": "normal",
}
DARK_LOOK = {
    "scheme": "dark",
    "page": css_rgb(DARK["--bg"]),
    "text": css_rgb(DARK["--text"]),
    "button": css_rgb(primary_on_dark(PRIMARY)),
    "buttonText": css_rgb(ink_on(primary_on_dark(PRIMARY))),
    "field": "dark",
}
# The key page as drawn: the scheme of the page and of its form field, the page's colours, and
# the submit button's.
LOOK = """() => {
  const style = (selector) => getComputedStyle(document.querySelector(selector));
  return {
    scheme: style("html").colorScheme,
    page: style("body").backgroundColor,
    text: style("body").color,
    button: style(".key-form .button").backgroundColor,
    buttonText: style(".key-form .button").color,
    field: style("#id_key").colorScheme,
  };
}"""
# The focused element's ring, two colours (portal.css's :focus-visible): an amber outline 2 px
# outside the element, and the text colour's shadow filling those 2 px; and the first painted
# background around it, where the ring is drawn.
FOCUS_RING = """() => {
  const element = document.activeElement;
  let surface = element.parentElement;
  while (surface.parentElement && getComputedStyle(surface).backgroundColor === "rgba(0, 0, 0, 0)") {
    surface = surface.parentElement;
  }
  const style = getComputedStyle(element);
  return {
    name: element.id || element.name || element.tagName + " " + element.textContent.trim(),
    style: style.outlineStyle,
    outline: style.outlineColor,
    shadow: style.boxShadow,
    surface: getComputedStyle(surface).backgroundColor,
  };
}"""


def hex_of(css_colour: str) -> str:
    r, g, b = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


@pytest.mark.parametrize(
    ("setting", "device", "look"),
    [
        ("light", "light", LIGHT_LOOK),
        ("light", "dark", LIGHT_LOOK),
        ("dark", "light", DARK_LOOK),
        ("dark", "dark", DARK_LOOK),
        ("device", "light", LIGHT_LOOK),
        ("device", "dark", DARK_LOOK),
    ],
)
def test_the_setting_decides_and_follow_the_device_follows_it(
    page, make_site, portal_url, setting, device, look
):
    make_site(color_scheme=setting)
    page.emulate_media(color_scheme=device)
    page.goto(f"{portal_url}/key/")
    assert page.evaluate(LOOK) == look


def test_following_the_device_is_one_page_that_turns_with_the_device(browser, page, make_site, portal_url):
    make_site(color_scheme="device")
    page.emulate_media(color_scheme="light")
    light = page.goto(f"{portal_url}/key/")
    assert page.evaluate(LOOK) == LIGHT_LOOK
    page.emulate_media(color_scheme="dark")  # the device switches: the page follows, unloaded
    assert page.evaluate(LOOK) == DARK_LOOK
    # Another visitor, on a dark device from the start, gets the very same bytes.
    other = browser.new_context(color_scheme="dark", timezone_id=TIMEZONE, locale="en-US")
    try:
        other_page = other.new_page()
        dark = other_page.goto(f"{portal_url}/key/")
        assert other_page.evaluate(LOOK) == DARK_LOOK
        assert dark.body() == light.body()
    finally:
        other.close()


@pytest.mark.parametrize(("setting", "background"), [("light", "#f6f7f9"), ("device", DARK["--bg"])])
def test_in_a_light_help_desk_page_on_a_dark_device(
    page, make_site, portal_url, help_desk, setting, background
):
    """The help desk's page is light (it sets no colours) and the device dark: a Light site stays
    light in the frame, a site that follows the device turns dark."""
    make_site(color_scheme=setting, frame_ancestors=help_desk.origin)
    page.emulate_media(color_scheme="dark")
    page.goto(host_page(help_desk, portal_url, "/?embed=1&locale=en-us"))
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgba(0, 0, 0, 0)"
    frame = page.frame_locator("iframe[data-support-portal]")
    expect(frame.locator("body")).to_have_css("background-color", css_rgb(background))


@pytest.mark.parametrize("setting", ["light", "dark"])
def test_the_focus_ring_stands_out_from_what_is_around_it(page, make_site, portal_url, setting):
    """Every stop of the keyboard on the survey: the ring is drawn, and one of its two colours
    stands out at 3:1 or more from the background it is drawn on (WCAG 2.4.7 and 1.4.11): the
    dark shadow on light pages, the amber (and the light shadow) on dark ones."""
    make_site(color_scheme=setting, show_rep_list=True)
    page.goto(f"{portal_url}/survey/")
    rings, faint = [], []
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            break
        ring = page.evaluate(FOCUS_RING)
        if rings and ring["name"] == rings[0]["name"]:
            break
        rings.append(ring)
        ratio = max(
            contrast_ratio(hex_of(ring[part]), hex_of(ring["surface"])) for part in ("outline", "shadow")
        )
        if ring["style"] == "none" or ratio < MIN_UI_CONTRAST:
            faint.append((ring, round(ratio, 2)))
    assert len(rings) > 15
    assert {hex_of(ring["surface"]) for ring in rings} >= {
        "#ffffff" if setting == "light" else DARK["--card"]
    }  # the cards were among the surfaces checked
    assert faint == []


@pytest.mark.parametrize(
    ("setting", "device", "shown"),
    [
        ("light", "dark", "logo"),
        ("dark", "light", "dark logo"),
        ("device", "light", "logo"),
        ("device", "dark", "dark logo"),
    ],
)
def test_the_header_shows_the_logo_that_reads_on_its_background(
    page, make_site, portal_url, settings, tmp_path, setting, device, shown
):
    """The dark logo on dark pages, chosen by the browser where the site follows the device;
    the image the header shows is loaded from the portal, and keeps its empty alt (the site's
    name follows it)."""
    settings.MEDIA_ROOT = tmp_path
    site = make_site(color_scheme=setting)
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    page.emulate_media(color_scheme=device)
    page.goto(f"{portal_url}/")
    logo = page.locator(".brand img")
    expect(logo).to_have_js_property("complete", True)
    assert logo.evaluate("img => img.naturalWidth") == 1
    assert logo.get_attribute("alt") == ""
    expected = {"logo": site.logo, "dark logo": site.logo_dark}[shown]
    assert logo.evaluate("img => new URL(img.currentSrc).pathname") == f"/media/{expected.name}"


# Set on the host page before its own content: whether embed.js has run (a script's load event
# follows its run), and the Content-Security-Policy violations the page reports.
WATCH_EMBED_JS = """
window.embedJsRan = false;
window.cspViolations = [];
document.addEventListener("load", (event) => {
  if (event.target.src && event.target.src.endsWith("/portal/embed.js")) window.embedJsRan = true;
}, true);
document.addEventListener(
  "securitypolicyviolation", (event) => window.cspViolations.push(event.violatedDirective));
"""
FRAME_LOOK = """() => {
  const style = getComputedStyle(document.querySelector("iframe[data-support-portal]"));
  return {background: style.backgroundColor, scheme: style.colorScheme};
}"""
HOST_CSP = "default-src 'none'; style-src 'none';"  # no inline style, no style sheet
NO_COLOUR = {"background": "rgba(0, 0, 0, 0)", "scheme": "normal"}
DARK_FRAME = {"background": css_rgb(DARK["--bg"]), "scheme": "dark"}


@pytest.mark.parametrize(
    ("setting", "device", "look"),
    [
        ("dark", "light", DARK_FRAME),
        ("device", "dark", DARK_FRAME),
        ("device", "light", NO_COLOUR),
        ("light", "dark", NO_COLOUR),
    ],
)
def test_the_snippets_frame_is_dark_before_a_dark_portal_answers(
    page, make_site, portal_url, help_desk, setting, device, look
):
    """The admin's snippet in a help-desk page whose policy forbids inline style: embed.js
    gives a dark site's frame the dark page colour while the portal's answer is held, so the
    host page's white does not show before the portal's first paint; then the portal fills the
    frame with that very colour."""
    make_site(color_scheme=setting, frame_ancestors=help_desk.origin)
    snippet = embed_snippet(origin=portal_url, site_name="Acme Support", color_scheme=setting)
    help_desk.pages["/dark-snippet.html"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Acme help desk</title></head>"
        f"<body><h1>Acme help desk</h1>{snippet}</body></html>",
        {"Content-Security-Policy": f"{HOST_CSP} script-src {portal_url}; frame-src {portal_url}"},
    )
    page.emulate_media(color_scheme=device)
    page.add_init_script(WATCH_EMBED_JS)
    held = []
    page.route(re.compile(re.escape(portal_url) + r"/\?embed=1"), lambda route: held.append(route))
    page.goto(f"{help_desk.origin}/dark-snippet.html", wait_until="domcontentloaded")
    page.wait_for_function("() => window.embedJsRan")
    assert held, "the portal's answer is held while the frame is looked at"
    assert page.evaluate(FRAME_LOOK) == look
    held[0].continue_()
    portal_body = page.frame_locator("iframe[data-support-portal]").locator("body")
    expect(portal_body).to_have_css(
        "background-color", css_rgb(DARK["--bg"] if look == DARK_FRAME else "#f6f7f9")
    )
    assert page.evaluate("window.cspViolations") == []


# A single-page help desk: its own script adds the portal's frame when the customer asks.
APP_JS = """document.getElementById("show").addEventListener("click", () => {
  document.getElementById("slot").insertAdjacentHTML("beforeend", document.getElementById("frame").innerHTML);
});"""


def test_a_frame_a_help_desk_adds_later_is_dark_before_the_portal_answers(
    page, make_site, portal_url, help_desk
):
    """The review: embed.js painted the frames that were there when it ran, not one a help desk
    built as a single-page app adds later (a "Get help" tab): that one showed white."""
    make_site(color_scheme="dark", frame_ancestors=help_desk.origin)
    snippet = embed_snippet(origin=portal_url, site_name="Acme Support", color_scheme="dark")
    frame, script = snippet.split("<script", 1)
    help_desk.pages["/app.js"] = (APP_JS, {"Content-Type": "text/javascript"})
    help_desk.pages["/app.html"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Acme help desk</title></head>"
        "<body><button id='show'>Get help</button><div id='slot'></div>"
        f"<template id='frame'>{frame}</template>"
        f"<script src='/app.js'></script><script{script}</body></html>",
        {"Content-Security-Policy": f"{HOST_CSP} script-src 'self' {portal_url}; frame-src {portal_url}"},
    )
    page.add_init_script(WATCH_EMBED_JS)
    page.goto(f"{help_desk.origin}/app.html")
    page.wait_for_function("() => window.embedJsRan")
    page.get_by_role("button", name="Get help").click()
    # The frame element's own colour, which embed.js sets as the frame is added: what shows
    # until the portal paints (the snippet test above holds the portal's answer to see it).
    page.locator("iframe[data-support-portal]").wait_for(state="attached")
    assert page.evaluate(FRAME_LOOK) == DARK_FRAME
    expect(page.frame_locator("iframe[data-support-portal]").locator("body")).to_have_css(
        "background-color", css_rgb(DARK["--bg"])
    )
    assert page.evaluate("window.cspViolations") == []


def test_a_frame_that_follows_the_device_turns_with_it(page, make_site, portal_url, help_desk):
    make_site(color_scheme="device", frame_ancestors=help_desk.origin)
    snippet = embed_snippet(origin=portal_url, site_name="Acme Support", color_scheme="device")
    help_desk.pages["/device-snippet.html"] = (
        f"<!doctype html><html lang='en'><title>Acme help desk</title>{snippet}",
        {},
    )
    page.emulate_media(color_scheme="light")
    page.add_init_script(WATCH_EMBED_JS)
    page.goto(f"{help_desk.origin}/device-snippet.html")
    page.wait_for_function("() => window.embedJsRan")
    assert page.evaluate(FRAME_LOOK) == NO_COLOUR
    page.emulate_media(color_scheme="dark")
    page.wait_for_function(f"({FRAME_LOOK})().scheme === 'dark'")
    assert page.evaluate(FRAME_LOOK) == DARK_FRAME
    page.emulate_media(color_scheme="light")
    page.wait_for_function(f"({FRAME_LOOK})().scheme === 'normal'")
    assert page.evaluate(FRAME_LOOK) == NO_COLOUR


# Every radio button and checkbox of the survey: the scheme Chromium draws it in and the colour
# of its tick.
CONTROLS = """() => [...document.querySelectorAll("input[type=radio], input[type=checkbox]")].map((input) => {
  const style = getComputedStyle(input);
  return {scheme: style.colorScheme, accent: style.accentColor};
})"""
# The darkest and lightest pixels of a screenshot (a PNG's data: address), as #rrggbb.
EXTREMES = """async (source) => {
  const image = new Image();
  image.src = source;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext("2d");
  context.drawImage(image, 0, 0);
  const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
  const hex = (i) => "#" + [0, 1, 2].map((c) => data[i + c].toString(16).padStart(2, "0")).join("");
  let darkest = 0, lightest = 0;
  const sum = (i) => data[i] + data[i + 1] + data[i + 2];
  for (let i = 0; i < data.length; i += 4) {
    if (sum(i) < sum(darkest)) darkest = i;
    if (sum(i) > sum(lightest)) lightest = i;
  }
  return [hex(darkest), hex(lightest)];
}"""


@pytest.mark.parametrize(
    ("setting", "device", "scheme", "accent"),
    [
        ("light", "dark", "normal", PRIMARY),
        ("dark", "light", "dark", primary_on_dark(PRIMARY)),
        ("device", "dark", "dark", primary_on_dark(PRIMARY)),
        ("device", "light", "normal", PRIMARY),
    ],
)
def test_radio_buttons_and_checkboxes_are_drawn_in_the_pages_scheme(
    page, make_site, portal_url, setting, device, scheme, accent
):
    """A walk-through found the unselected radio buttons faint on dark cards: the native
    controls are drawn dark on dark pages (not white discs), ticked in the primary colour the
    page uses, and an unselected one's ring stands out at 3:1 from the card around it, as
    Chromium paints it (WCAG 1.4.11)."""
    make_site(color_scheme=setting)
    page.emulate_media(color_scheme=device)
    page.goto(f"{portal_url}/survey/")
    controls = page.evaluate(CONTROLS)
    assert len(controls) >= 5  # the issues, the yes/no and choice fields, the consent
    assert controls == [{"scheme": scheme, "accent": css_rgb(accent)}] * len(controls)
    radio = page.locator("#id_issue_1")
    assert not radio.is_checked()
    card = page.evaluate("getComputedStyle(document.querySelector('.card')).backgroundColor")
    picture = "data:image/png;base64," + base64.b64encode(radio.screenshot()).decode()
    darkest, lightest = page.evaluate(EXTREMES, picture)
    ring = lightest if scheme == "dark" else darkest
    assert contrast_ratio(ring, hex_of(card)) >= MIN_UI_CONTRAST, (ring, card)


def test_a_stored_logo_over_the_pixel_limit_is_never_loaded_and_the_mark_is_shown(
    page, make_site, portal_url, settings, tmp_path
):
    """A logo stored before the 4096-pixel limit (30000×30000 in a few bytes) would cost every
    customer's browser gigabytes: the header and the tab's icon show the portal's mark, and
    the browser never asks for the file (docs/decisions/0038-branding-without-script.md)."""
    from tests.test_logo_pixels import png

    settings.MEDIA_ROOT = tmp_path
    site = make_site()
    site.logo.save("bomb.png", io.BytesIO(png(30000, 30000)))
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    page.goto(f"{portal_url}/")
    page.wait_for_load_state("load")
    expect(page.locator(".brand svg.mark")).to_be_visible()
    assert page.locator(".brand img").count() == 0
    icons = page.locator("link[rel=icon]").evaluate_all("links => links.map((link) => link.href)")
    assert icons and all("/static/portal/" in href for href in icons)
    assert not [url for url in asked if "/media/" in url]
