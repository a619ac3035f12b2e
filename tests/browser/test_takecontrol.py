"""N-able Take Control in a real browser, against the fake Take Control account on a real local
HTTP server: the technician list, the PIN, the survey in redirect mode, and the REST start's
queue and failure pages (docs/decisions/README.md#take-control), each ending where the customer's
browser goes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Backend
from tests.browser.steps import TC_SURVEY, fill_tc_survey, host_page, query_of, start_path, submit
from tests.fakes.takecontrol import NEW_SESSION_PATH, PUBLIC_KEY, UID

pytestmark = pytest.mark.browser

APPLET_URL = "https://startcontrol.example/s/yPQH"  # in session_created_with_link.json


def new_session_url(takecontrol_server) -> str:
    return f"{takecontrol_server.base_url}{NEW_SESSION_PATH}"


def test_technician_list_shows_display_names_and_a_click_sends_tech(
    page, portal_url, make_tc_site, takecontrol_server
):
    make_tc_site()
    page.goto(f"{portal_url}/?locale=en-us")
    page.get_by_role("link", name="Show technicians").click()
    buttons = page.locator("#id_technician button[name=technician] .tile-name")
    assert [b.strip() for b in buttons.all_text_contents()] == ["Anna K.", "Ben"]
    html = page.content()
    assert "Off duty" not in html and "@example.com" not in html and "bsmith" not in html

    page.get_by_role("button", name="Ben").click()  # consent first
    expect(page.locator("#error-summary")).to_be_focused()  # portal.js has run: its links focus
    page.locator("#error-summary a").click()
    assert page.evaluate("document.activeElement.id") == "id_consent"
    page.keyboard.press("Space")
    page.get_by_role("button", name="Ben").click()

    page.wait_for_url(f"{new_session_url(takecontrol_server)}?*")
    assert start_path(page.url) == new_session_url(takecontrol_server)
    assert query_of(page.url) == [("uid", UID), ("tech", "bsmith@example.com"), ("ask_customer_info", "1")]
    [arrived] = takecontrol_server.calls(NEW_SESSION_PATH)
    assert arrived.query["tech"] == ["bsmith@example.com"]


def test_pin_is_checked_and_lands_on_the_pin_url(page, portal_url, make_tc_site, appliance):
    make_tc_site()
    page.goto(f"{portal_url}/key/?locale=de")
    assert page.get_by_role("heading", level=1).text_content() == "Geben Sie Ihre PIN ein"
    page.locator("#id_key").fill("123 456 78")
    submit(page)
    page.wait_for_selector("#id_key_error")
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.locator("#id_key").input_value() == "123 456 78"  # kept, to be corrected
    assert page.locator("#id_key").get_attribute("aria-invalid") == "true"
    page.locator("#id_key").fill("123-456-789")
    page.locator("#id_consent").check()  # the site asks for consent before any start
    submit(page)
    page.wait_for_url(f"{appliance.url}/pin/123456789")
    assert "/pin/123456789" in appliance.paths


def test_survey_redirects_to_the_new_session_url_parameter_by_parameter(
    page, portal_url, make_tc_site, takecontrol_server
):
    make_tc_site()
    page.goto(f"{portal_url}/survey/?locale=en-us")
    assert page.locator("#id_company").count() == 0  # Take Control has no company field
    fill_tc_survey(page, email="zoe@example", customer_number="C" * 33)
    submit(page)
    page.wait_for_selector("#error-summary")
    summary = page.locator("#error-summary")
    assert summary.locator("a[href='#id_email']").count() == 1
    assert summary.locator("a[href='#id_customer_number']").count() == 1
    assert page.locator("#id_details").input_value() == TC_SURVEY["details"]
    page.locator("#id_email").fill(TC_SURVEY["email"])
    page.locator("#id_customer_number").fill(TC_SURVEY["customer_number"])
    page.locator("#id_consent").check()
    submit(page)

    page.wait_for_url(f"{new_session_url(takecontrol_server)}?*")
    assert query_of(page.url) == [
        ("uid", UID),
        ("department", "1234"),
        ("tech", "tess.private@example.com"),
        ("customer_name", TC_SURVEY["name"]),
        ("customer_email", TC_SURVEY["email"]),
        ("customer_number", TC_SURVEY["customer_number"]),
        ("problem_description", TC_SURVEY["details"]),
        ("ask_customer_info", "1"),
    ]


def test_rest_start_shows_the_queue_and_offers_the_pin_page(
    page, portal_url, make_tc_site, takecontrol_server, appliance
):
    make_tc_site(mode=Backend.TakeControlMode.REST)
    page.goto(f"{portal_url}/survey/?locale=en-us")
    fill_tc_survey(page)
    submit(page)
    page.get_by_role("heading", name="Your request is in the queue").wait_for()
    assert page.locator(".queue-length").text_content() == "There are 2 requests in the queue."
    assert "VM2" not in page.content()  # other customers' computers stay with the vendor
    [call] = takecontrol_server.rest_calls()
    assert call.json["customer_name"] == TC_SURVEY["name"] and call.json["department_id"] == 1234
    page.get_by_role("link", name="Enter a PIN").click()
    page.locator("#id_key").fill("987654321")
    page.locator("#id_consent").check()
    submit(page)
    page.wait_for_url(f"{appliance.url}/pin/987654321")


def test_rest_start_in_a_frame_offers_the_applet_in_the_whole_window(
    page, context, portal_url, make_tc_site, takecontrol_server, help_desk
):
    make_tc_site(mode=Backend.TakeControlMode.REST, frame_ancestors=help_desk.origin, consent_text="")
    takecontrol_server.use("ok-with-link")
    context.route(
        f"{APPLET_URL}*",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<!doctype html><title>Applet</title><h1>Applet</h1>"
        ),
    )
    page.goto(host_page(help_desk, portal_url, "/technicians/?embed=1&locale=en-us"))
    frame = page.frame_locator("iframe[data-support-portal]")
    frame.get_by_role("button", name="Anna K.").click()
    start = frame.get_by_role("link", name="Download the support program")
    assert frame.locator(".queue-length").text_content() == "There is 1 request in the queue."
    wait = frame.locator(".estimated-wait")  # "PT3M": a wait whose unit the vendor wrote
    assert wait.is_visible() and wait.text_content() == "Estimated waiting time: about 3 minutes."
    assert start.get_attribute("target") == "_top" and start.get_attribute("href") == APPLET_URL
    [call] = takecontrol_server.rest_calls()
    assert call.json == {
        "technician_username": "anna.kowalska@example.com",
        "language": "en",
        "ask_customer_info": 1,
        "show_waiting_queue": 1,
    }
    start.click()
    page.wait_for_url(APPLET_URL)
    assert context.cookies() == []


def test_rest_rejection_offers_the_other_way_and_an_outage_says_try_later(
    page, portal_url, make_tc_site, takecontrol_server
):
    make_tc_site(mode=Backend.TakeControlMode.REST)
    takecontrol_server.use("400", "403")
    page.goto(f"{portal_url}/survey/?locale=en-us")
    fill_tc_survey(page)
    submit(page)
    page.get_by_role("heading", name="Sorry, we could not send your request").wait_for()
    fallback = page.get_by_role("link", name="Connect another way")
    assert fallback.get_attribute("target") == "_top"
    assert page.locator(".warning").text_content().strip() == "Only continue if you contacted us yourself."
    fallback.click()
    page.wait_for_url(f"{new_session_url(takecontrol_server)}?*")
    assert dict(query_of(page.url))["customer_name"] == TC_SURVEY["name"]

    page.goto(f"{portal_url}/survey/?locale=en-us")  # and now the vendor fails outright
    fill_tc_survey(page)
    submit(page)
    page.get_by_role("heading", name="Remote support is temporarily unavailable").wait_for()
    assert page.get_by_role("link", name="Connect another way").count() == 0
    assert page.get_by_role("link", name="Back to the start").get_attribute("href") == "/?locale=en-us"
    assert PUBLIC_KEY not in page.content()
