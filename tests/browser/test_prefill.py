"""A help desk's signed prefill link (docs/decisions/0023-signed-prefill-links.md) in a real
browser: the locked values are shown read-only, reachable and read out with their labels, cannot be
typed over, and win over whatever the page sends, even a page someone edited in the developer
tools."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from portal.models import Backend, CustomField
from portal.prefill import sign_prefill
from tests.browser.steps import SURVEY, axe_violations, expected_survey_query, query_of, screenshot, submit

pytestmark = pytest.mark.browser

SECRET = "s3cret-of-the-help-desk"
LOCKED = {
    "name": SURVEY["name"],
    "external_key": SURVEY["external_key"],
    "cf_asset_tag": "LT-4471",
    "issue": "printing",
}
NOTE = "Filled in by your help desk."


def signed_survey_path(values=LOCKED, *, locale="en-us") -> str:
    query = sign_prefill(secret=SECRET, values=values, expires_at=int(time.time()) + 600)
    return f"/survey/?{query}&locale={locale}"


def fill_what_the_link_left(page, *, printer_model: bool = True) -> None:
    """The survey's answers a LOCKED link does not carry, as the customer gives them."""
    for name in ("company", "company_code", "details"):
        page.locator(f"#id_{name}").fill(SURVEY[name])
    if printer_model:
        page.locator("#id_cf_printer_model").fill(SURVEY["printer_model"])
    page.locator("#id_cf_urgency").select_option(SURVEY["urgency"])
    page.locator("#id_cf_restart_ok_0").check()
    page.locator("#id_consent").check()


@pytest.fixture
def signing_site(make_site, appliance):
    site = make_site(kind=Backend.Kind.MODERN, base_url=appliance.url, prefill_secret=SECRET)
    CustomField.objects.filter(site=site, code_name="asset_tag").update(prefill_locks=True)
    return site


def test_locked_fields_are_readonly_labelled_and_reachable(page, portal_url, signing_site):
    page.goto(portal_url + signed_survey_path())
    for label, value in [
        ("Your name", LOCKED["name"]),
        ("Ticket number", LOCKED["external_key"]),
        ("Asset tag", LOCKED["cf_asset_tag"]),
    ]:
        field = page.get_by_label(label)
        expect(field).to_have_value(value)
        expect(field).not_to_be_editable()
        expect(field).to_have_accessible_description(re.compile(re.escape(NOTE)))
    # A radio cannot be readonly: the locked issue is the only one shown, checked and disabled.
    issues = page.get_by_role("radiogroup", name="What do you need help with?").get_by_role("radio")
    expect(issues).to_have_count(1)
    expect(issues).to_be_checked()
    expect(issues).to_be_disabled()
    expect(issues).to_have_accessible_name("Printing problems")
    expect(page.get_by_label("Company (optional)")).to_be_editable()  # not in the link: the customer's
    expect(page.locator("#id_cf_asset_tag_counter")).to_have_count(0)  # nothing to count down

    # Tab reaches the locked name (a disabled field would be skipped); typing changes nothing.
    page.locator("#id_company").focus()
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.id") == "id_name"
    page.keyboard.type("Mallory")
    expect(page.locator("#id_name")).to_have_value(LOCKED["name"])

    assert axe_violations(page) == []
    screenshot(page, "survey-signed-en-us-desktop-1280x800")


def test_locked_values_win_even_over_an_edited_page(page, portal_url, signing_site, appliance):
    page.goto(portal_url + signed_survey_path())
    page.evaluate("""() => {  // what a tamperer does in the developer tools
        for (const el of document.querySelectorAll("[readonly], [disabled]")) {
            el.removeAttribute("readonly"); el.removeAttribute("disabled");
        }
        document.querySelector("#id_name").value = "Mallory";
        document.querySelector("#id_external_key").value = "INC-EVIL";
        document.querySelector("#id_cf_asset_tag").value = "EVIL";
        document.querySelector("#id_issue_0").value = "vpn";
    }""")
    fill_what_the_link_left(page)
    submit(page)
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    assert query_of(page.url) == expected_survey_query(asset_tag="LT-4471")


def test_a_locked_name_the_form_refuses_can_be_corrected_and_the_customer_starts(
    page, portal_url, signing_site, appliance
):
    """A help desk signs a ticket requester's name as it is. Over the name's 100 characters it
    was read-only above "50 characters too long", and the customer could not go on: it is
    prefilled and editable, its counter says how much is over, and the link's other values stay
    locked."""
    long_name = ((SURVEY["name"] + " ") * 12)[:150]  # the name takes 100 characters
    page.goto(portal_url + signed_survey_path({**LOCKED, "name": long_name}))
    name = page.get_by_label("Your name")
    expect(name).to_have_value(long_name)
    expect(name).to_be_editable()
    expect(name).not_to_have_accessible_description(re.compile(re.escape(NOTE)))
    expect(page.locator("#id_name_counter")).to_have_text("Characters over the limit: 50. Please shorten it.")
    expect(page.get_by_label("Ticket number")).not_to_be_editable()
    name.fill(SURVEY["name"])
    fill_what_the_link_left(page)
    submit(page)
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    assert query_of(page.url) == expected_survey_query(asset_tag="LT-4471")


def test_locked_values_over_the_vendors_total_are_left_to_the_customer_who_shortens_one_and_starts(
    page, portal_url, signing_site, appliance
):
    """Three locked values of 4000 bytes each pass their fields but are over the vendor's 10,000
    bytes together: locked, the total's error landed on a field the customer could not change.
    None of the fields that count towards the total locks; the total's error names one the
    customer can shorten, and they start."""
    CustomField.objects.filter(site=signing_site, code_name__in=["asset_tag", "printer_model"]).update(
        max_length=1024, prefill_locks=True
    )
    wide = "\U0001f5a8" * 1000  # 1000 characters, 4000 UTF-8 bytes
    values = {**LOCKED, "external_key": wide, "cf_asset_tag": wide, "cf_printer_model": wide}
    page.goto(portal_url + signed_survey_path(values))
    for label in ("Ticket number", "Asset tag", "Printer model"):
        field = page.get_by_label(label)
        expect(field).to_have_value(wide)
        expect(field).to_be_editable()
        expect(field).not_to_have_accessible_description(re.compile(re.escape(NOTE)))
    expect(page.get_by_label("Your name")).not_to_be_editable()  # the link's other values stay locked
    fill_what_the_link_left(page, printer_model=False)  # the link's, unlocked: shortened below
    submit(page)
    expect(page.get_by_text(re.compile("Together with your other answers")).first).to_be_visible()
    page.get_by_label("Asset tag").fill("LT-4471")
    page.get_by_label("Printer model").fill(SURVEY["printer_model"])
    page.locator("#id_consent").check()
    submit(page)
    # 1000 emoji in the ticket number: an address too long for a redirect's header, so the
    # Almost there page's button goes there (views/base.py, LOCATION_MAX_CHARS).
    expect(page.get_by_role("heading", name="Almost there")).to_be_visible()
    page.get_by_role("link", name="Start the support session").click()
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    expected = [
        (name, wide if name == "session.custom.external_key" else value)
        for name, value in expected_survey_query(asset_tag="LT-4471")
    ]
    assert query_of(page.url) == expected


def test_a_plain_external_key_over_its_limit_is_dropped_and_the_customer_starts(
    page, portal_url, signing_site, appliance
):
    """`?external_key=` over its 1024 characters was carried unseen to the key page's POST, and
    the start failed on a field the customer could neither see nor correct: it starts empty."""
    page.goto(f"{portal_url}/key/?locale=en-us&external_key=" + "X" * 1100)
    expect(page.locator("input[name=external_key]")).to_have_value("")
    page.locator("#id_key").fill("123-4567")
    page.locator("#id_consent").check()
    submit(page)
    page.wait_for_url(f"{appliance.url}/api/start_session?*")
    assert dict(query_of(page.url))["short_key"] == "1234567"
    assert "session.custom.external_key" not in dict(query_of(page.url))
