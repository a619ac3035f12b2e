"""The BeyondTrust representative list (docs/architecture.md#customer-flows) in a real browser,
against the fake appliance on a real local HTTP server: public names only, one click to the vendor's
start URL, the 30-second refresh, nobody online, and the list inside a help desk's iframe."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from portal.vendors.cache import wait_for_refreshes
from tests.browser.steps import host_page, query_of, start_path

pytestmark = pytest.mark.browser

PRIVATE = "PRIVATE"  # every private_display_name in tests/data/beyondtrust starts with it
REFRESH_MS = 30_000  # the page's refresh interval (static/portal/portal.js)


def rep_names(scope) -> list[str]:
    return [name.strip() for name in scope.locator("#id_rep button[name=rep] .tile-name").all_text_contents()]


def status(scope) -> str:
    return scope.locator("#rep-status").text_content().strip()


def appliance_answers(fake, document: str) -> None:
    """The appliance's next get_logged_in_reps answer; the portal's cached list is dropped,
    as if its time-to-live had passed."""
    fake.serve("get_logged_in_reps", document)
    cache.clear()


def test_the_list_shows_public_names_and_a_click_lands_on_the_start_url(
    page, portal_url, make_rep_site, fake
):
    make_rep_site()
    page.goto(f"{portal_url}/reps/?locale=de&external_key=INC0012345")
    assert rep_names(page) == ["Alex K.", "Jo (Partner)"]  # Sam is logged in but not listed
    assert PRIVATE not in page.content()
    assert page.locator("#id_rep").get_attribute("aria-label")  # the list is named for screen readers

    page.get_by_role("button", name="Jo (Partner)").click()  # the site asks for consent first
    page.wait_for_selector("#error-summary")
    expect(page.locator("#error-summary")).to_be_focused()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="Jo (Partner)").click()

    page.wait_for_url(f"{fake.base_url}/api/start_session?*")
    assert start_path(page.url) == f"{fake.base_url}/api/start_session"
    assert query_of(page.url) == [
        ("id", "21"),
        ("name", "Jo (Partner)"),  # the public display name, from the portal's cached list
        ("locale", "de"),
        ("timezone_offset", "540"),
        ("session.custom.external_key", "INC0012345"),
    ]
    [arrived] = fake.calls("/api/start_session")  # the browser itself went there
    assert arrived.query["name"] == ["Jo (Partner)"]


# Whether the chat-only choice comes before the consent's "Before we connect" heading.
CHAT_BEFORE_CONSENT = """() => {
  const chat = document.querySelector("#id_chat");
  const heading = document.querySelector(".consent h2");
  return Boolean(chat.compareDocumentPosition(heading) & Node.DOCUMENT_POSITION_FOLLOWING);
}"""


def test_the_chat_choice_comes_before_the_consent_as_on_the_survey(page, portal_url, make_rep_site):
    """A walk-through: on the representative list the chat-only choice sat under "Before we
    connect", between the consent and the representatives, while the survey asks it before that
    heading. Both pages now ask it first, so the consent's heading covers the consent and the
    buttons that start the session."""
    make_rep_site()
    for path in ("/reps/", "/survey/"):
        page.goto(f"{portal_url}{path}?locale=de")
        expect(page.get_by_role("heading", name="Bevor wir uns verbinden")).to_be_visible()
        expect(page.get_by_role("checkbox", name="Nur Chat", exact=False)).to_be_visible()
        assert page.evaluate(CHAT_BEFORE_CONSENT), path
    expect(page.locator("#id_chat")).to_have_count(1)


def test_the_list_refreshes_itself_without_reloading_the_page(page, portal_url, make_rep_site, fake):
    make_rep_site()
    appliance_answers(fake, "logged_in_reps_empty.xml")
    page.clock.install()  # the page's 30-second timer runs on the test's clock
    page.goto(f"{portal_url}/reps/?locale=en-us")

    # Nobody online: it says so and offers the other two flows.
    assert status(page) == "Nobody is available right now."
    assert rep_names(page) == [] and page.locator("#id_consent").is_hidden()
    other_help = page.get_by_role("region", name="You can still get help")
    assert (
        other_help.get_by_role("link", name="I have a session key").get_attribute("href")
        == "/key/?locale=en-us"
    )
    assert other_help.get_by_role("link", name="Describe your problem").is_visible()
    page.evaluate("window.loaded = true")  # gone if the page reloads

    appliance_answers(fake, "logged_in_reps.xml")
    page.clock.run_for(REFRESH_MS)
    page.get_by_role("button", name="Alex K.").wait_for()
    assert rep_names(page) == ["Alex K.", "Jo (Partner)"]
    assert status(page) == "Pick a representative to start a session with them."
    assert other_help.is_hidden() and page.locator("#id_consent").is_visible()

    page.locator("#id_consent").check()
    page.get_by_role("button", name="Jo (Partner)").focus()
    rendered_jo = page.locator("#id_rep button[value='21']").evaluate("button => button.outerHTML")
    appliance_answers(fake, "logged_in_reps_changed.xml")
    page.clock.run_for(REFRESH_MS)
    page.get_by_role("button", name="Mika & Co").wait_for()
    assert rep_names(page) == ["Jo (Partner)", "Mika & Co"]
    assert PRIVATE not in page.content()
    assert page.evaluate("window.loaded") is True
    assert page.locator("#id_consent").is_checked()  # what the customer did is kept
    # The buttons were rebuilt; a keyboard user on Jo is still on Jo.
    assert page.evaluate("document.activeElement.querySelector('.tile-name').textContent") == "Jo (Partner)"
    # The script's tile is the server's tile, to the byte: initials, name, "Available now".
    assert page.locator("#id_rep button[value='21']").evaluate("button => button.outerHTML") == rendered_jo
    mika = page.get_by_role("button", name="Mika & Co")
    assert mika.locator(".tile-initials").text_content() == "MC"
    assert mika.locator(".tile-state").text_content() == "Available now"

    # A button the script made starts a session like one the server rendered.
    page.get_by_role("button", name="Mika & Co").click()
    page.wait_for_url(f"{fake.base_url}/api/start_session?*")
    assert query_of(page.url) == [
        ("id", "27"),
        ("name", "Mika & Co"),
        ("locale", "en-us"),
        ("timezone_offset", "540"),
    ]


def test_everyone_leaving_shows_the_other_ways_again(page, portal_url, make_rep_site, fake):
    make_rep_site()
    page.clock.install()
    page.goto(f"{portal_url}/reps/?locale=en-us")
    assert rep_names(page) == ["Alex K.", "Jo (Partner)"]
    page.get_by_role("button", name="Alex K.").focus()
    appliance_answers(fake, "logged_in_reps_empty.xml")
    page.clock.run_for(REFRESH_MS)
    page.get_by_text("Nobody is available right now.").wait_for()
    assert page.evaluate("document.activeElement.id") == "rep-status"  # not lost to the page's top
    assert page.locator("#id_rep").is_hidden() and rep_names(page) == []
    assert page.get_by_role("region", name="You can still get help").is_visible()

    fake.fail("http500", action="get_logged_in_reps")  # and then the appliance is down
    cache.clear()
    page.clock.run_for(REFRESH_MS)
    page.get_by_text("We cannot show who is available right now.").wait_for()
    assert page.get_by_role("region", name="You can still get help").is_visible()


def test_while_the_appliance_has_not_answered_the_page_says_so_and_fills_itself_in(
    page, portal_url, make_rep_site, fake, settings
):
    """Nothing cached and the appliance slow to answer: the page comes at once, says it is
    checking, offers to check again, and the script shows the list as soon as it is there."""
    make_rep_site()
    gate = fake.state["token_gate"] = threading.Event()  # the appliance has not answered yet
    settings.PORTAL_VENDOR_WAIT = 0.05
    page.clock.install()
    page.goto(f"{portal_url}/reps/?locale=de")
    assert status(page) == "Wir prüfen, wer erreichbar ist …"
    assert page.locator("#rep-status").get_attribute("aria-live") == "polite"
    assert page.get_by_role("link", name="Erneut prüfen").is_visible()  # without the script: reload
    assert rep_names(page) == [] and page.locator("#id_consent").is_hidden()
    assert page.get_by_role("region", name="Sie können trotzdem Hilfe erhalten").is_hidden()
    page.evaluate("window.loaded = true")  # gone if the page reloads

    page.clock.run_for(500)  # the first quick look: still checking
    gate.set()  # the appliance answers the refresh the page started
    assert wait_for_refreshes(10)
    page.clock.run_for(1000)  # the next look, backing off
    page.get_by_role("button", name="Alex K.").wait_for()
    assert rep_names(page) == ["Alex K.", "Jo (Partner)"]
    assert status(page) == "Wählen Sie einen Ansprechpartner, um eine Sitzung zu starten."
    assert page.get_by_role("link", name="Erneut prüfen").is_hidden()
    assert page.locator("#id_consent").is_visible()
    assert page.evaluate("document.activeElement === document.body")  # nobody's focus was moved
    assert page.evaluate("window.loaded") is True

    # Then the usual 30-second refresh takes over.
    appliance_answers(fake, "logged_in_reps_empty.xml")
    page.clock.run_for(REFRESH_MS)
    page.get_by_text("Gerade ist niemand erreichbar.").wait_for()
    assert page.get_by_role("region", name="Sie können trotzdem Hilfe erhalten").is_visible()


def test_the_list_in_a_frame_ends_in_a_top_level_navigation(
    page, context, portal_url, make_rep_site, fake, help_desk
):
    make_rep_site(frame_ancestors=help_desk.origin, consent_text="")
    page.goto(host_page(help_desk, portal_url, "/reps/?embed=1&locale=ja"))
    frame = page.frame_locator("iframe[data-support-portal]")
    frame.get_by_role("button", name="Alex K.").click()
    start = frame.locator("#start-link")
    assert start.get_attribute("target") == "_top"
    assert page.url.startswith(help_desk.origin)  # nothing navigated inside the frame
    start.click()
    page.wait_for_url(f"{fake.base_url}/api/start_session?*")
    assert query_of(page.url) == [
        ("id", "12"),
        ("name", "Alex K."),
        ("locale", "ja"),
        ("timezone_offset", "540"),
    ]
    assert context.cookies() == []


def test_a_turkish_pages_refreshed_tiles_write_turkish_capitals(page, portal_url, make_rep_site, fake):
    """Turkish writes the capital of i as İ: the tiles the script draws from the refreshed list
    show "İI" for "ilker Işık" on a Turkish page, in a browser that asks for English, as the
    server's own tiles do."""
    make_rep_site(enabled_languages=["en-us", "tr"])
    appliance_answers(fake, "logged_in_reps_empty.xml")
    page.clock.install()
    page.goto(f"{portal_url}/reps/?locale=tr")
    assert rep_names(page) == []
    appliance_answers(fake, "logged_in_reps_turkish.xml")
    page.clock.run_for(REFRESH_MS)
    page.get_by_role("button", name="ilker Işık").wait_for()
    initials = page.locator("#id_rep button[name=rep] .tile-initials").all_text_contents()
    assert dict(zip(rep_names(page), initials, strict=True)) == {"ilker Işık": "İI", "ılgın İnce": "Iİ"}
