"""The portal inside a help desk's iframe on another origin
(docs/decisions/0024-iframe-embedding-and-top-level-start.md): the flows work with third-party
cookies blocked and no cookie at all, end in a top-level navigation, the frame follows its content's
height, and only the site's allowed origins may frame it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from portal.models import Backend
from tests.browser.conftest import SANDBOX
from tests.browser.steps import (
    expected_survey_query,
    fill_survey,
    host_page,
    query_of,
    screenshot,
    start_path,
    submit,
)

pytestmark = pytest.mark.browser

RESIZE = "support-portal:resize"
PORTAL_JS = Path(__file__).resolve().parents[2] / "static" / "portal" / "portal.js"


@pytest.fixture
def cookie_watch(context, portal_url):
    """Every response from the portal's origin, to check that none of them sets a cookie."""
    responses = []
    context.on(
        "response", lambda response: response.url.startswith(portal_url) and responses.append(response)
    )

    def set_cookie_headers() -> list[str]:
        return [r.url for r in responses if "set-cookie" in r.all_headers()]

    set_cookie_headers.responses = responses
    return set_cookie_headers


@pytest.fixture
def embedded_site(make_site, help_desk, appliance):
    return make_site(kind=Backend.Kind.MODERN, base_url=appliance.url, frame_ancestors=help_desk.origin)


def portal_frame(page):
    page.wait_for_selector("iframe[data-support-portal]")
    return page.frame_locator("iframe[data-support-portal]")


def frame_height(page) -> int:
    """The height the portal's page gets inside the frame (the frame's border aside)."""
    return page.evaluate("document.querySelector('iframe[data-support-portal]').clientHeight")


def test_session_key_in_a_frame_ends_in_a_top_level_navigation(
    page, context, portal_url, help_desk, appliance, embedded_site, cookie_watch
):
    page.goto(host_page(help_desk, portal_url, "/key/?embed=1&locale=en-us"))
    frame = portal_frame(page)
    frame.locator("#id_key").fill("123 4567")
    frame.locator("#id_consent").check()  # the site asks for consent before any start
    submit(frame)
    start = frame.locator("#start-link")
    assert start.get_attribute("target") == "_top"
    screenshot(page, "embedded-ready-en-us-desktop-1280x800")
    assert page.url.startswith(help_desk.origin)  # no redirect inside the frame
    start.click()
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    assert start_path(page.url) == f"{appliance.url}/api/start_session"
    assert query_of(page.url) == [("short_key", "1234567"), ("locale", "en-us"), ("timezone_offset", "540")]
    assert len(cookie_watch.responses) >= 4  # pages, styles, scripts: all without a cookie
    assert cookie_watch() == []
    assert context.cookies() == []


def test_survey_in_a_frame_ends_in_a_top_level_navigation(
    page, context, portal_url, help_desk, appliance, embedded_site, cookie_watch
):
    page.goto(host_page(help_desk, portal_url, "/survey/?locale=en-us"))
    frame = portal_frame(page)
    fill_survey(frame, asset_tag="A" * 40)
    submit(frame)
    expect(frame.locator("#error-summary")).to_be_focused()  # portal.js has run: its links focus
    frame.locator("#error-summary a[href='#id_cf_asset_tag']").click()
    frame.locator("#id_cf_asset_tag:focus").fill("LT-4471")
    frame.locator("#id_consent").check()
    submit(frame)
    frame.locator("#start-link").click()
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    assert query_of(page.url) == expected_survey_query(asset_tag="LT-4471")
    assert cookie_watch() == []
    assert context.cookies() == []


def test_after_a_send_in_a_frame_the_language_links_stay_in_the_frames_layout(
    page, portal_url, help_desk, embedded_site
):
    """A walk-through: after an empty send in the frame, every language link had lost `embed=1`
    (the answer to a POST knows the frame from the form's field, not its address), so choosing
    another language drew the survey for a whole window, footer included, inside the frame."""
    page.goto(host_page(help_desk, portal_url, "/survey/?embed=1&locale=en-us"))
    frame = portal_frame(page)
    submit(frame)
    frame.locator("#error-summary").wait_for()
    german = frame.locator(".language-picker a[hreflang=de]")
    assert "embed=1" in german.get_attribute("href")
    frame.locator(".language-picker summary").click()
    german.click()
    frame.get_by_role("heading", name="Beschreiben Sie Ihr Problem").wait_for()
    content = page.locator("iframe[data-support-portal]").element_handle().content_frame()
    assert dict(query_of(content.url)) == {"embed": "1", "locale": "de"}
    assert content.evaluate("document.body.classList.contains('embedded')")


def test_a_mistyped_path_in_a_frame_shows_the_portals_404_and_leads_on_in_the_frame(
    page, portal_url, help_desk, embedded_site
):
    """A walk-through: a help desk's link to a path that does not exist showed the browser's
    "refused to connect" in the frame, and the way back left the embedded layout
    (docs/decisions/0115-error-pages-in-a-frame.md)."""
    page.goto(host_page(help_desk, portal_url, "/no-such-page/?embed=1&locale=en-us"))
    frame = portal_frame(page)
    expect(frame.get_by_role("heading", level=1)).to_have_text("Page not found")
    content = page.locator("iframe[data-support-portal]").element_handle().content_frame()
    assert content.evaluate("document.body.classList.contains('embedded')")
    frame.get_by_role("link", name="Back to the start").click()
    content.wait_for_url(f"{portal_url}/?*")
    expect(frame.get_by_role("heading", level=1)).not_to_have_text("Page not found")
    assert dict(query_of(content.url)) == {"locale": "en-us", "embed": "1"}
    assert content.evaluate("document.body.classList.contains('embedded')")
    assert page.url.startswith(help_desk.origin)  # still the help desk's page around the frame


# True, inside the portal's frame, once its viewport is exactly as tall as its page. Both heights
# are measured afresh on every poll: a height read once can be out of date a moment later (the
# page still settling, e.g. portal.js hiding the footer) and then would never be matched.
FITS = "() => Math.abs(window.innerHeight - document.documentElement.getBoundingClientRect().height) < 1"


@pytest.mark.parametrize("script", ["on-time", "late"])
def test_the_frame_follows_its_content_height(page, portal_url, help_desk, embedded_site, script):
    if script == "late":  # a busy phone: portal.js runs well after the page is shown
        late = "setTimeout(function () {\n" + PORTAL_JS.read_text(encoding="utf-8") + "\n}, 500);"
        page.route(
            "**/static/portal/portal.js*",
            lambda route: route.fulfill(status=200, content_type="text/javascript", body=late),
        )
    page.goto(host_page(help_desk, portal_url, "/key/?embed=1"))
    portal_frame(page).locator("#id_key").wait_for()
    frame = page.locator("iframe[data-support-portal]").element_handle().content_frame()

    frame.wait_for_function(FITS)
    short = frame_height(page)
    assert short > 300  # grew from the snippet's 150 px
    assert short == frame.evaluate("window.innerHeight")  # the host's iframe is the portal's viewport

    submit(frame)  # empty: an error summary and a message appear
    frame.locator("#error-summary").wait_for()
    # The answer to a POST from a frame is rendered for the frame (no footer), script or not.
    assert frame.evaluate("document.body.classList.contains('embedded')")
    frame.wait_for_function(FITS)
    assert frame_height(page) > short + 100


def test_the_host_believes_only_the_portal_frame(page, portal_url, help_desk, embedded_site):
    page.goto(host_page(help_desk, portal_url, "/key/?embed=1"))
    portal_frame(page).locator("#id_key").wait_for()
    page.wait_for_function("document.querySelector('iframe[data-support-portal]').style.height !== ''")
    height = frame_height(page)
    # The host page itself, and a same-origin frame that is not the portal, try to set it. The
    # promise settles when a last message, posted after theirs, arrives: messages to a window
    # are delivered in the order they were posted, so embed.js has handled both by then.
    page.evaluate(
        """type => new Promise(resolve => {
        window.addEventListener("message", event => event.data === "settled" && resolve());
        window.postMessage({type, height: 9}, "*");
        const other = document.createElement("iframe");
        other.srcdoc = "<p>other</p>";
        document.body.append(other);
        other.contentWindow.parent.postMessage({type, height: 11}, "*");
        window.postMessage("settled", "*");
    })""",
        RESIZE,
    )
    assert frame_height(page) == height


def test_the_portal_posts_its_height_only_to_allowed_origins(page, portal_url, help_desk, embedded_site):
    page.goto(host_page(help_desk, portal_url, "/key/?embed=1"))
    frame = portal_frame(page)
    origin = frame.locator("html").get_attribute("data-frame-origins")
    assert origin == help_desk.origin


@pytest.mark.parametrize("frame_ancestors", ["", "https://help.example.com"])
def test_framing_refused_from_an_origin_not_allowed(page, portal_url, help_desk, make_site, frame_ancestors):
    make_site(frame_ancestors=frame_ancestors)
    # Chromium reports the refusal on the console: that event is awaited (it fails the test if
    # it never comes).
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.goto(host_page(help_desk, portal_url, "/key/?embed=1"))
    assert portal_frame(page).locator("#id_key").count() == 0


def test_admin_refuses_framing_even_from_an_allowed_origin(page, portal_url, help_desk, embedded_site):
    with page.expect_console_message(lambda message: "frame-ancestors" in message.text):
        page.goto(host_page(help_desk, portal_url, reverse("admin:login")))
    assert portal_frame(page).locator("#id_username").count() == 0


def test_embed_js_documents_each_sandbox_token_the_tests_use():
    header = (Path(__file__).resolve().parents[2] / "static" / "portal" / "embed.js").read_text()
    explained = re.findall(r"^\s+(allow-[a-z-]+)\s{2,}[a-z]", header, re.M)
    assert sorted(explained) == sorted(SANDBOX.split())
