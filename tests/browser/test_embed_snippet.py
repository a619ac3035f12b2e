"""The embedding snippet as an admin copies it from the site's page, pasted into a help-desk
page, on a try-out: the portal on http://127.0.0.1:<port> and a second site under its own name,
which the machine maps to 127.0.0.1 as /etc/hosts would, or `localhost`
(docs/decisions/0024-iframe-embedding-and-top-level-start.md)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import Backend, Site
from tests.browser.test_admin_lists import PASSWORD, log_in
from tests.browser.test_embedding import FITS

pytestmark = pytest.mark.browser

SECOND_SITE_NAME = "beta.portal.test"
# Chromium's own resolver stands in for a line in /etc/hosts; the portal never looks it up.
CHROMIUM_EXTRA_ARGS = [f"--host-resolver-rules=MAP {SECOND_SITE_NAME} 127.0.0.1"]


@pytest.fixture(params=[SECOND_SITE_NAME, "localhost"])
def second_site(request, make_site, help_desk, settings):
    """The default site, and a second one answering only under its own name (a name mapped to
    127.0.0.1, or `localhost`), framable by the help desk."""
    default = make_site()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SECOND_SITE_NAME]
    site = Site.objects.create(
        name="Beta Support",
        backend=Backend.objects.create(
            name="Beta", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com"
        ),
        frame_ancestors=help_desk.origin,
        enabled_languages=["en-us"],
        warning_text="Beta's own warning: only continue if you called us.",
    )
    site.hostnames.create(hostname=request.param)
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    assert default.pk != site.pk
    return site


def copied_snippet(page, portal_url: str, site: Site) -> str:
    """What the admin selects and copies from the site's page: the textarea's text."""
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_site_change", args=[site.pk]))
    return page.locator(".field-embed_code textarea").input_value()


def test_a_snippet_copied_on_a_try_out_embeds_the_site(page, portal_url, help_desk, second_site):
    port = portal_url.rsplit(":", 1)[1]
    name = second_site.hostnames.get().hostname
    snippet = copied_snippet(page, portal_url, second_site)
    assert f'src="http://{name}:{port}/?embed=1"' in snippet  # the admin's port, kept

    help_desk.pages["/pasted.html"] = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Acme help desk</title></head>"
        f"<body><h1>Acme help desk</h1>{snippet}</body></html>",
        {},
    )
    page.goto(help_desk.origin + "/pasted.html")
    frame_element = page.locator("iframe[data-support-portal]").element_handle()
    frame = frame_element.content_frame()
    frame.locator("body").wait_for()
    frame.get_by_text("Beta's own warning", exact=False).first.wait_for()
    assert re.fullmatch(rf"http://{re.escape(name)}:{port}/\?embed=1", frame.url)
    # embed.js, loaded from the same address, fits the frame to the portal's page.
    frame.wait_for_function(FITS)
    assert page.evaluate("document.querySelector('iframe[data-support-portal]').clientHeight") != 640
