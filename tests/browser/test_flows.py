"""The session-key and survey flows in a real browser, from the first page to where the spec says
they end: the Preview page showing the exact start URL, or the appliance itself
(docs/architecture.md#customer-flows)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from portal.models import Backend
from tests.browser.steps import (
    DETAILS,
    SURVEY,
    expected_survey_query,
    fill_survey,
    printer_model_shown,
    query_of,
    start_path,
    submit,
    survey_values,
)

pytestmark = pytest.mark.browser


@pytest.fixture(params=["preview", "appliance"])
def ends_at(request, make_site, appliance):
    """Where a start lands: ("preview", url shown) or ("appliance", url the browser opened)."""
    if request.param == "preview":
        make_site()

        def arrival(page):
            page.wait_for_selector("#start-url")
            return page.locator("#start-url").text_content()

        return "https://support.example.com", arrival
    make_site(kind=Backend.Kind.MODERN, base_url=appliance.url)

    def arrival(page):
        page.wait_for_url(f"{appliance.url}/api/start_session?*")
        assert page.url.removeprefix(appliance.url) in appliance.paths  # really went there
        return page.url

    return appliance.url, arrival


def test_session_key_flow(page, portal_url, ends_at):
    base_url, arrival = ends_at
    page.goto(f"{portal_url}/key/?locale=de")
    page.locator("#id_key").fill("12 34")
    submit(page)
    page.wait_for_selector("#id_key_error")
    # portal.js has run on the answer (it fills in the time zone the start URL carries).
    expect(page.locator("#error-summary")).to_be_focused()
    assert page.locator("#id_key").input_value() == "12 34"
    page.locator("#id_key").fill("123-4567")
    page.locator("#id_consent").check()  # the site asks for consent before any start
    submit(page)
    url = arrival(page)
    assert start_path(url) == f"{base_url}/api/start_session"
    assert query_of(url) == [("short_key", "1234567"), ("locale", "de"), ("timezone_offset", "540")]


def test_survey_flow(page, portal_url, ends_at):
    base_url, arrival = ends_at
    page.goto(f"{portal_url}/survey/?locale=en-us")
    # The printer model belongs to the printing issue only: JavaScript shows it for that issue.
    assert not printer_model_shown(page)
    page.locator("#id_issue_1").check()
    assert not printer_model_shown(page)
    page.locator("#id_issue_0").check()
    assert printer_model_shown(page)

    fill_survey(page, asset_tag="A" * 33)
    # 4 bytes left: one more character like the widest typed (the 4-byte emoji) surely fits.
    expect(page.locator("#id_details_counter")).to_have_text("Characters left: 1")
    page.locator("#id_details").press("End")
    page.keyboard.type("ü ü")  # 5 bytes: the last ü is one character too many
    expect(page.locator("#id_details_counter")).to_have_text(
        "Characters over the limit: 1. Please shorten it."
    )
    page.locator("#id_details").fill(DETAILS)
    submit(page)

    # Refused: the summary has focus, links to the field, and everything typed is still there.
    page.wait_for_selector("#error-summary")
    expect(page.locator("#error-summary")).to_be_focused()  # portal.js runs after the page shows
    link = page.locator("#error-summary a[href='#id_cf_asset_tag']")
    assert "This is 1 character too long" in link.text_content()
    assert page.locator("#id_cf_asset_tag").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_cf_asset_tag").input_value() == "A" * 33
    assert survey_values(page) == SURVEY
    assert page.locator("#id_issue_0").is_checked() and printer_model_shown(page)
    expect(page.locator("#id_details_counter")).to_have_text("Characters left: 1")
    link.click()
    assert page.evaluate("document.activeElement.id") == "id_cf_asset_tag"

    page.locator("#id_cf_asset_tag").fill("LT-4471")
    page.locator("#id_consent").check()
    submit(page)
    url = arrival(page)
    assert start_path(url) == f"{base_url}/api/start_session"
    assert query_of(url) == expected_survey_query(asset_tag="LT-4471")


def test_short_character_counters_appear_only_near_the_limit(page, portal_url, make_site):
    make_site()
    page.goto(f"{portal_url}/survey/?locale=en-us")
    counter = page.locator("#id_name_counter")
    assert counter.is_hidden()
    page.locator("#id_name").fill("x" * 79)
    assert counter.is_hidden()
    page.locator("#id_name").fill("x" * 80)
    assert counter.is_visible() and counter.text_content() == "Characters left: 20"
    page.locator("#id_name").fill("😀" * 101)  # code points, as the server counts them
    assert counter.text_content().startswith("Characters over the limit: 1.")
    assert page.locator("#id_details_counter").is_visible()  # a byte limit: always shown


@pytest.mark.parametrize(
    ("user_agent", "shown", "expected"),
    [
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/156.0",
            "windows",
            "Open the downloaded file and allow it to run.",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 Chrome/156.0",
            "mac",
            "Open it from your Downloads folder",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15",
            "mobile",
            "support app in your app store",
        ),
    ],
)
def test_what_happens_next_is_told_for_the_customers_system(
    browser, portal_url, make_site, user_agent, shown, expected
):
    make_site()
    context = browser.new_context(user_agent=user_agent)
    try:
        page = context.new_page()
        page.goto(f"{portal_url}/key/?locale=en-us")
        visible = page.locator("[data-next-steps] ol:visible")
        assert visible.count() == 1
        assert visible.get_attribute("data-platform") == shown
        assert expected in visible.text_content()
    finally:
        context.close()


def test_a_site_without_issues_offers_only_the_ways_that_can_start(page, portal_url, make_site):
    """A walk-through: a new site's home page offered "Describe your problem" before it had an
    issue, and that survey could never start. Once an issue is added, the card is there."""
    site = make_site()
    site.issues.update(active=False)
    site.save()  # a queryset update sends no signal: this retires the cached pages
    page.goto(f"{portal_url}/")
    # The session key is the one way left (the site shows no representative list): the home
    # page is its form.
    expect(page.locator("#id_key")).to_be_visible()
    expect(page.locator("#survey-title")).to_have_count(0)
    expect(page.get_by_role("link", name="Start with a short form")).to_have_count(0)

    site.issues.filter(code_name="printing").update(active=True)
    site.save()
    page.goto(f"{portal_url}/")
    page.get_by_role("link", name="Start with a short form").click()
    expect(page.locator("#id_name")).to_be_visible()


def test_a_name_with_a_hidden_character_is_refused_and_a_persian_one_reaches_the_appliance(
    page, portal_url, make_site, appliance
):
    """Record 0116: a zero-width space inside a name ("Zoë\\u200bÅngström" reads as another
    name) gets the retype message beside the field, with everything typed kept; a Persian name
    whose zero-width non-joiner keeps its letters apart reaches the appliance as typed."""
    make_site(kind=Backend.Kind.MODERN, base_url=appliance.url)
    page.goto(f"{portal_url}/survey/?locale=en-us")
    fill_survey(page, asset_tag="LT-4471")
    page.locator("#id_name").fill("Zoë\u200bÅngström")
    submit(page)
    page.wait_for_selector("#id_name_error")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#id_name_error")).to_contain_text(
        "This contains invisible control characters. Please retype it."
    )
    assert page.locator("#id_name").input_value() == "Zoë\u200bÅngström"
    assert {**survey_values(page), "name": SURVEY["name"]} == SURVEY
    persian = "مهدی\u200cزاده"
    page.locator("#id_name").fill(persian)
    page.locator("#id_consent").check()
    submit(page)
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    assert dict(query_of(page.url))["customer.name"] == persian
