"""The pages behind the vendors' fakes pass the same bar as the other customer pages: axe-core's
WCAG 2.0/2.1/2.2 A and AA checks with zero violations in en-us, de and ja (errors shown
included), no sideways scrolling at 320 px or at 200 % zoom, and screenshots for review:
the BeyondTrust representative list, a signed prefill link, and the Take Control pages; on dark
sites too (docs/decisions/0110-dark-colour-scheme.md)."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from portal.models import Backend, CustomField, Site
from portal.prefill import sign_prefill
from tests.browser.steps import axe_violations, fill_tc_survey, screenshot, submit

pytestmark = pytest.mark.browser

SIZES = {"phone": (390, 844), "desktop": (1280, 800)}
REFLOW = {"320px": (320, 640), "zoom200": (640, 400)}  # WCAG 1.4.10; 1280x800 at 200 %
SCREENSHOTS_IN_EVERY_LANGUAGE = {
    "reps",
    "reps-nobody",
    "reps-checking",
    "technicians-errors",
    "tc-survey-errors",
    "queued",
}
SECRET = "s3cret-of-the-help-desk"
SITE_TEXTS = {
    "warning_text": "Only continue if you contacted us yourself.",
    "notice_text": "Planned maintenance on Sunday from 8:00 to 9:00.",
    "consent_text": "A technician will see your screen while you watch.",
}


def vendor_pages(
    page, portal_url, language, make_rep_site, make_tc_site, fake, takecontrol_server, color_scheme
):
    """Walks through the pages, yielding each one's name with the page shown."""
    query = f"?locale={language}"
    rep_site = make_rep_site(prefill_secret=SECRET, color_scheme=color_scheme, **SITE_TEXTS)
    CustomField.objects.filter(site=rep_site, code_name="asset_tag").update(prefill_locks=True)
    page.goto(f"{portal_url}/reps/{query}")
    yield "reps"
    page.locator("#id_rep button").first.click()  # no consent yet
    page.wait_for_selector("#error-summary")
    yield "reps-errors"
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    cache.clear()
    page.goto(f"{portal_url}/reps/{query}")
    yield "reps-nobody"
    fake.hang()  # nothing cached and the appliance never answers: "checking who is available"
    cache.clear()
    with override_settings(PORTAL_VENDOR_WAIT=0.05):
        page.goto(f"{portal_url}/reps/{query}")
        yield "reps-checking"
    fake.release()
    signed = sign_prefill(
        secret=SECRET,
        values={
            "name": "Zoë Ångström",
            "external_key": "INC0012345",
            "cf_asset_tag": "LT-4471",
            "issue": "printing",
        },
        expires_at=int(time.time()) + 600,
    )
    page.goto(f"{portal_url}/survey/?{signed}&locale={language}")
    yield "survey-signed"
    page.locator(".survey-form button[type=submit]").click()  # required fields still empty
    page.wait_for_selector("#error-summary")
    yield "survey-signed-errors"

    Site.objects.filter(pk=rep_site.pk).update(is_default=False)
    make_tc_site(mode=Backend.TakeControlMode.REST, color_scheme=color_scheme, **SITE_TEXTS)
    cache.clear()
    page.goto(f"{portal_url}/{query}")
    yield "tc-home"
    page.goto(f"{portal_url}/technicians/{query}")
    yield "technicians"
    page.locator("#id_technician button").first.click()
    page.wait_for_selector("#error-summary")
    yield "technicians-errors"
    page.goto(f"{portal_url}/key/{query}")
    yield "pin"
    page.locator("#id_key").fill("12345678")
    page.locator(".key-form button[type=submit]").click()
    page.wait_for_selector("#error-summary")
    yield "pin-errors"
    page.goto(f"{portal_url}/survey/{query}")
    yield "tc-survey"
    fill_tc_survey(page, email="zoe@", customer_number="C" * 40)
    submit(page)
    page.wait_for_selector("#error-summary")
    yield "tc-survey-errors"
    takecontrol_server.use("ok", "ok-with-link", "400", "403")
    for name in ("queued", "queued-applet", "tc-failed", "tc-unavailable"):
        page.goto(f"{portal_url}/survey/{query}")
        fill_tc_survey(page)
        submit(page)
        page.wait_for_selector("main h1")
        page.wait_for_load_state()
        yield name


def overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.parametrize(
    ("language", "color_scheme"), [("en-us", "light"), ("de", "light"), ("ja", "light"), ("en-us", "dark")]
)
def test_vendor_pages_are_accessible_fit_small_screens_and_are_photographed(
    page, portal_url, language, color_scheme, make_rep_site, make_tc_site, fake, takecontrol_server
):
    violations, too_wide, seen = {}, {}, []
    for name in vendor_pages(
        page, portal_url, language, make_rep_site, make_tc_site, fake, takecontrol_server, color_scheme
    ):
        seen.append(name)
        assert page.evaluate("getComputedStyle(document.documentElement).colorScheme") == (
            "dark" if color_scheme == "dark" else "normal"
        ), name
        assert page.locator("html").get_attribute("lang").lower().startswith(language[:2]), name
        found = axe_violations(page)
        if found:
            violations[name] = found
        for label, (width, height) in REFLOW.items():
            page.set_viewport_size({"width": width, "height": height})
            if overflow(page) > 0:
                too_wide[f"{name}@{label}"] = overflow(page)
        if language == "en-us" or name in SCREENSHOTS_IN_EVERY_LANGUAGE:
            for label, (width, height) in SIZES.items():
                page.set_viewport_size({"width": width, "height": height})
                scheme = "" if color_scheme == "light" else f"-{color_scheme}"
                screenshot(page, f"{name}-{language}{scheme}-{label}-{width}x{height}")
        page.set_viewport_size({"width": 1280, "height": 800})
    assert len(seen) == 17, seen
    assert violations == {}
    assert too_wide == {}
