"""Admin change lists fit a 1280 × 800 window with the navigation and filters open: every
column, Priority and Outcome included, is on screen without scrolling the table sideways, in
English, German and Japanese; code names and headings wrap between words only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.models import Backend, CustomField, Issue, Site, StartRequest
from portal.webhooks import services
from portal.webhooks.models import Endpoint
from tests.browser.conftest import AXE_JS
from tests.browser.steps import WCAG_TAGS

pytestmark = pytest.mark.browser
PASSWORD = "browser-test-password"


@pytest.fixture
def two_sites(portal_url):
    backend = Backend.objects.create(
        name="Appliance", kind=Backend.Kind.MODERN, base_url="https://support.example.com"
    )
    sites = [
        Site.objects.create(name="Example Support", is_default=True, backend=backend),
        Site.objects.create(
            name="Second Support Site", backend=backend, enabled_languages=["en-us", "de", "ja", "fr"]
        ),
    ]
    for site in sites:
        issue = Issue.objects.create(
            site=site,
            code_name="network_printer",
            priority=1,
            display_name="Network printer problems",
            vendor_id=12345,
        )
        for outcome in StartRequest.Outcome.values:
            StartRequest.objects.create(
                site=site,
                flow=StartRequest.Flow.REP,
                issue=issue,
                backend_kind=backend.kind,
                outcome=outcome,
                locale="zh-hans",
                embedded=True,
            )
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    return sites


# The characters, in one element, after which a line ends: "e" for "printe|r" split mid-word,
# " " for a break between words.
LINE_ENDS = """element => {
    const ends = [];
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let top = null, previous = "";
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (let i = 0; i < node.length; i++) {
            const range = document.createRange();
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const box = range.getClientRects()[0];
            if (box && node.data[i].trim()) {  // a space at a line's end hangs after it
                if (top !== null && box.top > top + 1) ends.push(previous);
                top = box.top;
            }
            previous = node.data[i];
        }
    }
    return ends;
}"""


def log_in(page, portal_url):
    page.goto(portal_url + reverse("admin:login"))
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(portal_url + reverse("admin:index"))


@pytest.mark.parametrize(("model", "column"), [("issue", "priority"), ("startrequest", "outcome")])
def test_list_fits_1280_pixels(page, portal_url, two_sites, model, column):
    log_in(page, portal_url)
    page.goto(portal_url + reverse(f"admin:portal_{model}_changelist"))
    results = page.locator(".results")
    overflow = results.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 1, f"the table is {overflow} px wider than its box"
    header = page.locator(f"#result_list thead th.column-{column}")
    box, frame = header.bounding_box(), results.bounding_box()
    assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1
    assert page.locator(f"#result_list td.field-{column}").first.is_visible()


@pytest.mark.parametrize("language", ["en-US", "de", "ja"])
def test_issue_list_fits_1280_pixels_with_whole_words(browser, portal_url, two_sites, language):
    """A walk-through found code names split mid-word ("vpn_and_remote_a|ccess") and the German
    "Fehlende Übersetzungen" heading cut off at the list's edge: the first site has all 16
    languages, so its rows name 15 missing translations."""
    for site in two_sites:
        Issue.objects.create(
            site=site, code_name="vpn_and_remote_access_problems", display_name="VPN", priority=2
        )
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_issue_changelist"))
    results = page.locator(".results")
    assert results.evaluate("element => element.scrollWidth - element.clientWidth") <= 1
    frame = results.bounding_box()
    headings = page.locator("#result_list thead th")
    for index in range(headings.count()):
        box = headings.nth(index).bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1, headings.nth(index).inner_text()
        text = headings.nth(index).locator(".text")
        assert all(end.isspace() for end in text.evaluate(LINE_ENDS)), text.inner_text()
    code_names = page.locator("#result_list td.field-code_name_column")
    assert code_names.count() == 4
    split = {code_names.nth(i).inner_text(): code_names.nth(i).evaluate(LINE_ENDS) for i in range(4)}
    assert any(split.values()), "the long code name is on one line: the test shows nothing"
    assert all(end in "_-" for ends in split.values() for end in ends), split
    context.close()


@pytest.mark.parametrize("language", ["en-US", "de", "ja"])
def test_delivery_log_fits_1280_pixels_with_long_endpoint_addresses(browser, portal_url, two_sites, language):
    """Unnamed endpoints are named by host and path (up to 60 characters, no spaces), next to
    36-character event ids: the walk-through's log was wider than the window."""
    for path in ("hooks/tickets/zendesk/incoming/portal", "api/v2/webhooks/support/portal/events/all"):
        endpoint = Endpoint.objects.create(
            site=two_sites[0], url="https://help.example.com/" + path, secret="s" * 20
        )
        services.send_test_event(endpoint=endpoint)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:webhooks_delivery_changelist"))
    assert page.locator("#result_list td.field-endpoint").count() == 2
    width = "element => element.scrollWidth - element.clientWidth"
    assert page.locator(".results").evaluate(width) <= 1
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 0
    frame = page.locator(".results").bounding_box()
    last = page.locator("#result_list thead th").last.bounding_box()
    assert last["x"] + last["width"] <= frame["x"] + frame["width"] + 1
    context.close()


def test_setup_checklist_has_no_axe_violations(page, portal_url, two_sites):
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:index"))
    checklist = page.locator("section.setup-checklist")
    assert checklist.get_by_role("heading", name="Set-up checklist").is_visible()
    assert checklist.get_by_role("heading", level=3).count() == 2  # one per site
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "tags => axe.run('section.setup-checklist', {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    assert [v["id"] for v in result["violations"]] == []


@pytest.mark.parametrize("language", ["de", "ja"])
def test_start_request_filters_are_in_the_admins_language(browser, portal_url, two_sites, language):
    """A walk-through found the start requests' filters headed "Nach site" and "issue で絞り込む":
    the two relations had no translated name."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_startrequest_changelist"))
    headings = page.locator("#changelist-filter details > summary").all_inner_texts()
    with translation.override(language):
        for name in ("site", "issue"):
            expected = (_(" By %(filter_title)s ") % {"filter_title": _(name)}).strip()
            assert expected in [heading.strip() for heading in headings], headings
    context.close()


@pytest.mark.parametrize("language", ["de", "ru", "fi", "sv-SE", "ja"])
@pytest.mark.parametrize("model", ["customfield", "site"])
def test_custom_field_and_site_lists_fit_1280_pixels(browser, portal_url, two_sites, model, language):
    """A walk-through: the custom field list was 44 px wider than its box in German and 56 px in
    Russian (its last column, the missing translations, cut off), the site list 78 px in
    Swedish: single long heading words ("ERFORDERLICH", "STANDARDWEBBPLATS") and the longest
    language name in the missing translations set the table's least width. The catalogs mark
    those headings' hyphenation points with soft hyphens; the names may wrap anywhere."""
    for site in two_sites:
        CustomField.objects.create(site=site, code_name="asset_tag_of_the_device", label="Asset tag", order=1)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse(f"admin:portal_{model}_changelist"))
    results = page.locator(".results")
    overflow = results.evaluate("element => element.scrollWidth - element.clientWidth")
    assert overflow <= 1, f"the table is {overflow} px wider than its box"
    frame = results.bounding_box()
    headings = page.locator("#result_list thead th")
    for index in range(headings.count()):
        box = headings.nth(index).bounding_box()
        assert box["x"] + box["width"] <= frame["x"] + frame["width"] + 1, headings.nth(index).inner_text()
    context.close()


@pytest.mark.parametrize(
    ("language", "column", "day", "field"),
    [
        ("it", "07/12/2026 09:08", "7 dic", "7 dic 2026, 09:08"),
        ("pt-BR", "07/12/2026 09:08", "7 de dez.", "7 de dez. de 2026 09:08"),
        ("tr", "7.12.2026 09:08", "7 Aralık", "7 Aralık 2026 09:08"),
    ],
)
def test_start_record_times_read_as_the_language_writes_dates(
    browser, portal_url, two_sites, settings, language, column, day, field
):
    """A walk-through in 16 languages found Django's "Lunedì 07 Dicembre 2026", "7 de Dezembro
    de 2026", "07 Ara 2026" (docs/decisions/0114-admin-dates-per-language.md)."""
    settings.TIME_ZONE = "UTC"
    StartRequest.objects.update(created_at=datetime(2026, 12, 7, 9, 8, tzinfo=UTC))
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    page = context.new_page()
    log_in(page, portal_url)
    changelist = portal_url + reverse("admin:portal_startrequest_changelist")
    page.goto(changelist)
    assert set(page.locator("#result_list th.field-when").all_inner_texts()) == {column}
    page.goto(changelist + "?created_at__year=2026&created_at__month=12")
    assert page.locator(".toplinks a[href*='created_at__day=7']").inner_text() == day
    page.locator("#result_list th.field-when a").first.click()
    page.locator(".field-created_at .readonly").wait_for()
    assert page.locator(".field-created_at .readonly").inner_text() == field
    context.close()


def test_a_viewer_reads_webhook_addresses_without_the_receivers_key(page, portal_url, two_sites):
    """Staff who may only view endpoints and deliveries see no ?sig= in any list or page."""
    from django.contrib.auth.models import Permission

    key = "receiver-key-0123456789abcdef"
    site = Site.objects.get(is_default=True)
    endpoint = Endpoint.objects.create(
        site=site, url=f"https://hooks.example.com/in?sig={key}", secret="s" * 20
    )
    services.send_test_event(endpoint=endpoint)
    viewer = get_user_model().objects.get(username="admin")  # log_in's user, no superuser here
    viewer.is_superuser = False
    viewer.save()
    viewer.user_permissions.set(Permission.objects.filter(codename__in=["view_endpoint", "view_delivery"]))
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:webhooks_endpoint_changelist"))
    assert page.locator("td.field-url_without_secrets").all_inner_texts() == ["https://hooks.example.com/in"]
    for url in (
        reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
        reverse("admin:webhooks_delivery_changelist"),
        reverse("admin:webhooks_delivery_change", args=[endpoint.deliveries.get().pk]),
    ):
        page.goto(portal_url + url)
        page.locator("#content").wait_for()
        assert key not in page.content(), url
