"""A logo stored before today's upload rules (the 4096-pixel limit, the frames limit), or whose
file is gone, is not checked again on its own: the set-up checklist flags it with a link to the
site, and customers are shown the portal's mark in its place meanwhile
(docs/decisions/0038-branding-without-script.md)."""

from __future__ import annotations

import os
import re

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse

from portal.models import Site
from tests.admin.test_setup import checklist
from tests.parsed_html import elements
from tests.test_branding_and_hours import PNG_1PX
from tests.test_logo_pixels import animated_gif, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(site: Site, field: str, data: bytes, name: str = "old.png") -> str:
    """A logo saved as an upload before today's rules: straight to the storage, unchecked."""
    getattr(site, field).save(name, ContentFile(data))
    return getattr(site, field).name


def logo_items(admin_client, language: str = "en-us") -> list[dict]:
    (entries,) = checklist(admin_client, language).sites.values()
    # "To do: Logo — …", "Zu erledigen: Logo — …": the item whose title is the logo field's.
    return [entry for entry in entries if re.match(r"[^:]+: Logo —", entry["text"])]


def test_a_logo_over_the_pixel_limit_is_a_to_do_linking_to_the_site(admin_client, site, media):
    stored(site, "logo", png(30000, 30000))
    (found,) = logo_items(admin_client)
    assert found["text"].startswith("To do: Logo")
    assert (
        "Logo fails today's upload checks: The logo must be at most 4096×4096 pixels; this one is "
        "30000×30000. Customers are not shown it; upload another."
    ) in found["text"]
    assert found["links"] == [reverse("admin:portal_site_change", args=[site.pk])]


def test_a_dark_logo_of_too_many_frames_and_a_logo_gone_from_the_disk_are_both_said(
    admin_client, site, media
):
    name = stored(site, "logo", PNG_1PX)
    stored(site, "logo_dark", animated_gif(1024, 1024, 40), "dark.gif")
    os.remove(media / name)
    (found,) = logo_items(admin_client)
    assert "Logo fails today's upload checks: Its file cannot be read from MEDIA_ROOT." in found["text"]
    assert (
        "Logo for dark pages fails today's upload checks: An animated logo of 1024×1024 pixels may "
        "have at most 16 frames; this one has 40."
    ) in found["text"]


def test_logos_that_pass_say_nothing(admin_client, site, media):
    assert logo_items(admin_client) == []
    stored(site, "logo", png(4096, 48))
    stored(site, "logo_dark", animated_gif(300, 48, 60), "dark.gif")
    assert logo_items(admin_client) == []


def test_the_item_is_in_the_readers_language(admin_client, site, media):
    stored(site, "logo", png(30000, 30000))
    (found,) = logo_items(admin_client, "de")
    assert "30000×30000" in found["text"] and "fails today's upload checks" not in found["text"]
    assert "Das Logo darf höchstens 4096×4096 Pixel groß sein" in found["text"]


# ------------------------------------------------------------------------------
# Customers meanwhile: the portal's mark, not a page that decodes gigabytes or a broken image
# ------------------------------------------------------------------------------
def test_customers_are_not_shown_a_stored_logo_over_the_limit(client, site, media):
    name = stored(site, "logo", png(30000, 30000))
    html = client.get("/").content.decode()
    assert not elements(html, "img", src=f"/media/{name}")
    assert not elements(html, "link", rel="icon", href=f"/media/{name}")
    assert elements(html, "svg", class_="mark")
    assert elements(html, "link", rel="icon", href="/static/portal/mark.svg") or "mark.svg" in html


def test_a_dark_site_shows_its_logo_when_the_dark_one_fails(client, site, media):
    site.color_scheme = Site.ColorScheme.DARK
    site.save()
    logo = stored(site, "logo", PNG_1PX, "light.png")
    dark = stored(site, "logo_dark", png(5000, 48), "dark.png")
    html = client.get("/").content.decode()
    assert elements(html, "img", src=f"/media/{logo}")
    assert not elements(html, "img", src=f"/media/{dark}")


def test_a_logo_whose_file_comes_back_is_shown_again(client, site, media):
    """Once the page cache's 30 seconds are over (cleared here): a missing file is not
    remembered as a failing logo."""
    name = stored(site, "logo", PNG_1PX)
    moved = media / "elsewhere.png"
    os.rename(media / name, moved)
    assert not elements(client.get("/").content.decode(), "img", src=f"/media/{name}")
    os.rename(moved, media / name)
    cache.clear()
    html = client.get("/").content.decode()
    assert elements(html, "img", src=f"/media/{name}")
    assert elements(html, "link", rel="icon", href=f"/media/{name}")
