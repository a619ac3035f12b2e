"""Admin change lists fit a 1280 × 800 window with the navigation and filters open: every
column, Priority and Outcome included, is on screen without scrolling the table sideways."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import Backend, Issue, Site, StartRequest
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
