"""What an older version stored and today's rules refuse, as the admin meets it: the set-up
checklist names each such row with a link to the page that fixes it, and the site's save names
the logo that customers are not shown, with why
(docs/decisions/0126-values-stored-before-todays-rules.md). Rows are made with the ORM, as that
version saved them."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import Backend, Site, Technician
from tests.browser.test_admin_lists import PASSWORD, log_in
from tests.fakes.takecontrol import takecontrol_backend
from tests.test_branding_and_hours import PNG_1PX

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_user(portal_url):
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)


def checklist_item(page, title: str):
    return page.locator("section.setup-checklist li.setup-item").filter(
        has=page.locator("strong", has_text=title)
    )


def test_the_checklist_names_stored_values_and_its_links_lead_to_their_fix(page, portal_url, admin_user):
    backend = takecontrol_backend("https://api.us0.swi-rc.com/rest")
    Backend.objects.filter(pk=backend.pk).update(tc_pin_url_template="https://[2001:db8::2]/{pin}")
    Technician.objects.create(backend=backend, display_name="Jane", username="jane@localhost")
    Technician.objects.create(backend=backend, display_name="Anna", username="anna@example.com")
    Site.objects.create(
        name="Acme Support",
        is_default=True,
        backend=backend,
        frame_ancestors="https://help.example.com\nhttps://[2001:db8::5]",
    )
    log_in(page, portal_url)
    technicians = checklist_item(page, "Technicians")
    assert technicians.inner_text().startswith("To do:")
    assert "Jane (jane@localhost)" in technicians.inner_text() and "Anna" not in technicians.inner_text()
    address = checklist_item(page, "Backend address")
    assert "PIN URL template of" in address.inner_text()
    assert "Use a host name, not an IPv6 address" in address.inner_text()
    embedding = checklist_item(page, "Embedding origins")
    assert "https://[2001:db8::5] cannot embed the portal" in embedding.inner_text()
    assert embedding.get_by_role("link").get_attribute("href") == reverse(
        "admin:portal_site_change", args=[Site.objects.get().pk]
    )

    technicians.get_by_role("link", name="Edit the technicians").click()
    page.wait_for_url(portal_url + reverse("admin:portal_backend_change", args=[backend.pk]))
    stored = page.locator('input[value="jane@localhost"]')
    assert stored.is_visible()
    stored.fill("jane@example.com")
    page.fill("#id_tc_pin_url_template", "https://startcontrol.com/{pin}")
    page.locator("input[name=_save]").click()
    page.locator("ul.messagelist li.success").wait_for()
    page.goto(portal_url + reverse("admin:index"))
    page.locator("section.setup-checklist").wait_for()
    assert checklist_item(page, "Technicians").count() == 0
    assert checklist_item(page, "Backend address").count() == 0
    assert checklist_item(page, "Embedding origins").count() == 1  # the site's, fixed on its own page


def test_saving_a_site_names_the_logo_customers_are_not_shown(
    page, portal_url, admin_user, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    backend = Backend.objects.create(
        name="Appliance", kind=Backend.Kind.PREVIEW, base_url="https://support.example.com"
    )
    site = Site.objects.create(
        name="Acme Support", is_default=True, backend=backend, color_scheme=Site.ColorScheme.DEVICE
    )
    site.logo.save("acme.png", io.BytesIO(PNG_1PX))
    site.logo_dark.save("acme-dark.png", io.BytesIO(PNG_1PX))
    (tmp_path / site.logo.name).unlink()  # the light pages' logo is gone from the disk
    log_in(page, portal_url)
    assert "Logo fails today's upload checks" in checklist_item(page, "Logo").inner_text()
    page.goto(portal_url + reverse("admin:portal_site_change", args=[site.pk]))
    page.locator("input[name=_continue]").click()
    page.locator("ul.messagelist li.warning").first.wait_for()
    warnings = page.locator("ul.messagelist li.warning").all_inner_texts()
    assert warnings == [
        "Logo fails today's upload checks: Its file cannot be read from MEDIA_ROOT. "
        "Customers are not shown it; upload another.",
        "The logo for dark pages is not shown either: on a site that follows the device it is shown "
        "only beside the logo for light pages, which fails today's upload checks.",
    ]
