"""Django admin works under the strict baseline CSP: every page an administrator uses, with
its JavaScript (collapsible fieldsets, inlines, date/time widgets, related-object popups,
prepopulated fields, actions), raises no CSP violation in Chromium."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import Backend
from tests.browser.steps import axe_violations

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"

# Collects every violation the page reports, from the very first script on.
LISTEN = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (event) {
  window.__cspViolations.push(event.violatedDirective + ' ' + (event.blockedURI || 'inline') +
                              ' ' + (event.sample || ''));
});
"""


@pytest.fixture
def admin_page(context, portal_url, make_site):
    site = make_site(frame_ancestors="https://help.example.com")
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    context.add_init_script(LISTEN)
    page = context.new_page()
    console = []
    # CSP refusals, and Chromium's complaints about a Permissions-Policy feature it does not know.
    page.on(
        "console",
        lambda message: (
            any(
                word in message.text
                for word in ("Content Security Policy", "Permissions-Policy", "Unrecognized feature")
            )
            and console.append(message.text)
        ),
    )
    page.goto(portal_url + reverse("admin:login"))
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(portal_url + reverse("admin:index"))
    return page, console, site


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_admin_pages_raise_no_csp_violation(admin_page, portal_url):
    page, console, site = admin_page
    urls = [
        reverse("admin:index"),
        reverse("admin:portal_site_changelist"),
        reverse("admin:portal_site_change", args=[site.pk]),
        reverse("admin:portal_backend_change", args=[site.backend_id]),
        reverse("admin:portal_issue_add"),
        reverse("admin:portal_customfield_changelist"),
        reverse("admin:portal_startrequest_changelist"),
        reverse("admin:portal_apitoken_add"),
        reverse("admin:axes_accessattempt_changelist"),
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_add"),
        reverse("admin:password_change"),
    ]
    seen = {}
    for url in urls:
        response = page.goto(portal_url + url)
        assert response.status == 200, url
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        seen[url] = violations(page)
    assert seen == {url: [] for url in urls}
    assert console == []
    # The listener does see a refusal: an inline script is one.
    page.evaluate("document.body.appendChild(document.createElement('script')).textContent = '1'")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert violations(page)[0].startswith("script-src")


def test_admin_javascript_runs_under_the_csp(admin_page, portal_url):
    page, console, site = admin_page
    # Site change form: collapsed fieldsets open, the opening-hours inline adds a row.
    page.goto(portal_url + reverse("admin:portal_site_change", args=[site.pk]))
    page.locator("fieldset.collapse summary, fieldset.collapse h2 a").first.click()
    add_row = page.locator(".add-row a").first
    rows_before = page.locator("tr.form-row:not(.empty-form)").count()
    add_row.click()
    assert page.locator("tr.form-row:not(.empty-form)").count() > rows_before
    # Issue form: the related-object "add" popup for the site opens (a window, no inline JS).
    page.goto(portal_url + reverse("admin:portal_issue_add"))
    with page.expect_popup() as popup_info:
        page.locator("#add_id_site").click()
    popup = popup_info.value
    popup.wait_for_load_state("load")
    assert popup.locator("#site_form").count() == 1
    assert popup.evaluate("window.__cspViolations") == []
    popup.close()
    # User change list: the select-all checkbox and the action bar (actions.js).
    page.goto(portal_url + reverse("admin:auth_user_changelist"))
    page.check("#action-toggle")
    assert page.locator(".action-counter").inner_text().startswith("1 of 1")
    assert violations(page) == []
    assert console == []
    assert Backend.objects.count() == 1


def test_the_start_dashboard_has_no_axe_or_csp_violation(admin_page, portal_url):
    """The start dashboard (docs/decisions/0082-analytics-dashboard.md): its SVG chart, table
    and funnel pass axe with zero violations under the strict CSP, with data in every series."""
    from portal.models import StartRequest

    page, console, site = admin_page
    for flow, outcome in [("key", "started"), ("survey", "invalid"), ("rep", "failed"), ("api", "preview")]:
        StartRequest.objects.create(site=site, flow=flow, outcome=outcome, backend_kind=site.backend.kind)
    page.goto(portal_url + "/key/")  # a counted view, for the funnel
    for query in ["", "?period=90&breakdown=flow", "?period=30&site=nope"]:
        response = page.goto(portal_url + reverse("admin:portal_startrequest_dashboard") + query)
        assert response.status == 200
        page.wait_for_load_state("load")
        # Before axe, which applies inline styles of its own (and is refused, rightly).
        assert violations(page) == [] and console == [], query
        assert axe_violations(page) == [], query
        console.clear()
    page.goto(portal_url + reverse("admin:portal_startrequest_dashboard"))
    assert page.locator("svg.analytics-chart rect").count() == 4
    assert page.locator("#funnel-table tbody tr").first.locator("td").first.inner_text() == "1"
