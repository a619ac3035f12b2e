"""The "get remote help" button on a help desk's page from another origin
(docs/decisions/0075-get-help-button.md): availability and count, the overlay (Esc, Close,
focus back), a new tab, the fallback on an origin the site does not list, no cookies, no CSP
violation on a strict host page, and 0 axe violations."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest
from playwright.sync_api import expect

from portal.branding import DARK
from tests.browser.steps import axe_violations, css_rgb

pytestmark = pytest.mark.browser

BUTTON = "[data-support-portal-button] button.open"
STATUS = "[data-support-portal-button] [role=status]"
DIALOG = "[data-support-portal-button] dialog"


def button_page(help_desk, portal_url, *, attributes: str, lang: str = "en") -> str:
    """A help-desk page with the one-line snippet, under a CSP as strict as the button allows."""
    html = (
        f"<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>Acme help desk</title></head>"
        "<body><main><h1>Acme help desk</h1><p>Problems with your computer?</p>"
        f"<script src='{portal_url}/static/portal/button.js' async {attributes}></script>"
        "<p>Below the button.</p></main></body></html>"
    )
    csp = (
        f"default-src 'none'; script-src {portal_url}; connect-src {portal_url}; frame-src {portal_url}; "
        "style-src 'none'"
    )
    name = f"/button-{len(help_desk.pages)}.html"
    help_desk.pages[name] = (html, {"Content-Security-Policy": csp})
    return help_desk.origin + name


@pytest.fixture
def csp_errors(page):
    errors = []
    page.on(
        "console", lambda message: "Content Security Policy" in message.text and errors.append(message.text)
    )
    return errors


def focused(page) -> str:
    """What has focus inside the button's shadow root: "open", "close", "iframe" or ""."""
    return page.evaluate("""() => {
        const host = document.querySelector('[data-support-portal-button]');
        const active = host && host.shadowRoot.activeElement;
        return !active ? '' : active.tagName === 'IFRAME' ? 'iframe' : active.className;
    }""")


def test_availability_overlay_escape_and_axe(page, context, portal_url, help_desk, make_site, csp_errors):
    make_site(frame_ancestors=help_desk.origin, show_rep_list=True, prefill_secret="")
    page.goto(
        button_page(
            help_desk,
            portal_url,
            attributes="data-external-key='INC-4711' data-name='Jane Doe' data-issue='printing'",
        )
    )
    expect(page.locator(STATUS)).to_have_text("Help is available now. Representatives online: 2")
    button = page.get_by_role("button", name="Get remote help")
    expect(button).to_be_visible()
    assert axe_violations(page) == []

    button.click()
    dialog = page.locator(DIALOG)
    expect(dialog).to_be_visible()
    assert focused(page) == "close"
    frame_element = page.locator(f"{DIALOG} iframe")
    query = dict(parse_qsl(urlsplit(frame_element.get_attribute("src")).query))
    assert urlsplit(frame_element.get_attribute("src")).path == "/survey/"
    assert query == {
        "external_key": "INC-4711",
        "name": "Jane Doe",
        "issue": "printing",
        "locale": "en-us",
        "embed": "1",
    }
    frame = page.frame_locator(f"{DIALOG} iframe")
    expect(frame.locator("input[name=name]")).to_have_value("Jane Doe")
    assert axe_violations(page) == []

    # Shift+Tab from Close stays in the dialog (the frame), Esc on the host page closes it.
    page.keyboard.press("Shift+Tab")
    assert focused(page) == "iframe"
    page.locator(f"{DIALOG} button.close").focus()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page) == "open"

    # Esc pressed inside the portal's frame: portal.js tells the host, the overlay closes.
    button.click()
    expect(dialog).to_be_visible()
    frame.locator("textarea[name=details]").click()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused(page) == "open"

    # Close, too, and focus back on the button.
    button.click()
    page.locator(f"{DIALOG} button.close").click()
    expect(dialog).to_be_hidden()
    assert focused(page) == "open"
    assert context.cookies() == []
    assert csp_errors == []


def test_new_tab_in_the_pages_language(page, context, portal_url, help_desk, make_site, csp_errors):
    make_site(frame_ancestors=help_desk.origin, show_rep_list=True)
    page.goto(
        button_page(help_desk, portal_url, lang="de-DE", attributes="data-open='tab' data-key='123 4567'")
    )
    expect(page.locator(STATUS)).to_have_text("Hilfe ist jetzt erreichbar. Ansprechpartner online: 2")
    button = page.get_by_role("button", name="Remote-Hilfe anfordern (öffnet sich in einem neuen Tab)")
    assert axe_violations(page) == []
    with context.expect_page() as opened:
        button.click()
    portal = opened.value
    portal.wait_for_load_state()
    assert urlsplit(portal.url).path == "/key/"
    assert dict(parse_qsl(urlsplit(portal.url).query)) == {"key": "123 4567", "locale": "de"}
    expect(portal.locator("#id_key")).to_have_value("123 4567")
    assert page.locator(DIALOG).count() == 0
    assert context.cookies() == []
    assert csp_errors == []


def test_an_origin_the_site_does_not_list_gets_a_plain_new_tab_button(
    page, context, portal_url, help_desk, make_site
):
    make_site(frame_ancestors="", show_rep_list=True)
    page.goto(button_page(help_desk, portal_url, lang="ja", attributes="data-name='Jane Doe'"))
    expect(page.locator("[data-support-portal-button] .box")).to_have_attribute("data-state", "unknown")
    button = page.get_by_role("button", name="リモートサポートを受ける （新しいタブで開きます）")
    expect(page.locator(STATUS)).to_have_text("")  # the portal told this origin nothing
    assert axe_violations(page) == []
    with context.expect_page() as opened:
        button.click()
    portal = opened.value
    portal.wait_for_load_state()
    assert urlsplit(portal.url).path == "/survey/"
    assert dict(parse_qsl(urlsplit(portal.url).query)) == {"name": "Jane Doe", "locale": "ja"}


def test_a_language_tag_with_script_and_region_keeps_its_script(
    page, context, portal_url, help_desk, make_site
):
    """zh-Hans-SG is Simplified Chinese: the script decides before the bare "zh" (Traditional,
    the vendor's code) would."""
    make_site(frame_ancestors="", show_rep_list=True, enabled_languages=["en-us", "zh", "zh-hans"])
    page.goto(button_page(help_desk, portal_url, lang="zh-Hans-SG", attributes=""))
    button = page.get_by_role("button", name="获取远程帮助 （在新标签页中打开）")
    expect(button).to_be_visible()
    with context.expect_page() as opened:
        button.click()
    portal = opened.value
    portal.wait_for_load_state()
    assert dict(parse_qsl(urlsplit(portal.url).query))["locale"] == "zh-Hans-SG"  # the page's tag
    assert portal.locator("html").get_attribute("lang") == "zh-Hans"  # and the portal reads it alike


def test_a_signed_link_elsewhere_is_ignored(page, context, portal_url, help_desk, make_site):
    make_site(frame_ancestors=help_desk.origin, show_rep_list=True)
    page.goto(
        button_page(
            help_desk,
            portal_url,
            attributes="data-open='tab' data-signed-link='https://evil.example/survey/?name=x&amp;sig=1'",
        )
    )
    expect(page.locator(STATUS)).not_to_have_text("")
    with context.expect_page() as opened:
        page.get_by_role("button").click()
    portal = opened.value
    portal.wait_for_load_state()
    assert portal.url.startswith(portal_url + "/?")


# The overlay's own colours: its background (what shows while the portal loads), its bar's text
# and rule, and the Close button's border.
OVERLAY_LOOK = """() => {
  const root = document.querySelector('[data-support-portal-button]').shadowRoot;
  const style = (selector) => getComputedStyle(root.querySelector(selector));
  return {
    background: style('dialog').backgroundColor,
    text: style('.title').color,
    rule: style('.bar').borderBottomColor,
    border: style('.close').borderTopColor,
  };
}"""


@pytest.mark.parametrize(
    ("scheme", "device", "dark"),
    [("dark", "light", True), ("device", "dark", True), ("device", "light", False), ("light", "dark", False)],
)
def test_overlay_takes_the_portals_colour_scheme(
    page, portal_url, help_desk, make_site, scheme, device, dark
):
    """A walk-through found a white bar over a dark portal, and the overlay white while the
    dark portal loaded: the overlay is dark whenever the portal in it is (record 0110)."""
    make_site(frame_ancestors=help_desk.origin, show_rep_list=True, color_scheme=scheme)
    page.emulate_media(color_scheme=device)
    page.goto(button_page(help_desk, portal_url, attributes=""))
    expect(page.locator(STATUS)).to_have_text("Help is available now. Representatives online: 2")
    page.get_by_role("button", name="Get remote help").click()
    expect(page.locator(DIALOG)).to_be_visible()
    look = page.evaluate(OVERLAY_LOOK)
    if dark:
        assert look == {
            "background": css_rgb(DARK["--bg"]),
            "text": css_rgb(DARK["--text"]),
            "rule": css_rgb(DARK["--rule"]),
            "border": css_rgb(DARK["--border"]),
        }
    else:
        assert look == {
            "background": css_rgb("#ffffff"),
            "text": css_rgb("#1d1d1f"),
            "rule": css_rgb("#d0d3d8"),
            "border": css_rgb("#5c6370"),
        }
    # The portal fills the overlay with its own page colour: the overlay is the same colour
    # around it on a dark portal.
    # Read once the portal's page has loaded (its load event): its <main> is in the DOM, and
    # has a box, before its stylesheets are, and its page colour is then the browser's default.
    expect(page.frame_locator(f"{DIALOG} iframe").locator("main")).to_be_visible()
    portal = page.locator(f"{DIALOG} iframe").element_handle().content_frame()
    assert portal is not None
    portal.wait_for_load_state("load")
    portal_page = portal.locator("body").evaluate("body => getComputedStyle(body).backgroundColor")
    assert (portal_page == look["background"]) is dark


FRAME_LOOK = """() => {
  const frame = document.querySelector('[data-support-portal-button]').shadowRoot.querySelector('iframe');
  const style = getComputedStyle(frame);
  return {background: style.backgroundColor, scheme: style.colorScheme};
}"""


@pytest.mark.parametrize(
    ("scheme", "device", "dark"),
    [("dark", "light", True), ("device", "dark", True), ("light", "dark", False)],
)
def test_the_overlays_frame_has_the_portals_page_colour_before_the_portal_answers(
    page, portal_url, help_desk, make_site, csp_errors, scheme, device, dark
):
    """The frame itself, not only the dialog around it, is dark while a dark portal loads
    (record 0110): the portal's answer is held until the frame's colour has been read."""
    make_site(frame_ancestors=help_desk.origin, show_rep_list=True, color_scheme=scheme)
    page.emulate_media(color_scheme=device)
    held = []
    portal_page = re.compile(re.escape(portal_url) + r"/\?(.*&)?embed=1")
    page.route(portal_page, lambda route: held.append(route))
    page.goto(button_page(help_desk, portal_url, attributes=""))
    expect(page.locator(STATUS)).to_have_text("Help is available now. Representatives online: 2")
    with page.expect_request(portal_page):
        page.get_by_role("button", name="Get remote help").click()
    look = page.evaluate(FRAME_LOOK)
    assert held, "the portal's answer is held while the frame is looked at"
    if dark:
        assert look == {"background": css_rgb(DARK["--bg"]), "scheme": "dark"}
    else:
        assert look == {"background": css_rgb("#ffffff"), "scheme": "normal"}
    held[0].continue_()
    expect(page.frame_locator(f"{DIALOG} iframe").locator("main")).to_be_visible()
    assert csp_errors == []
