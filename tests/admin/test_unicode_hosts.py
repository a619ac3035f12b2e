"""A host typed in its own letters (https://support.exämple.com) is stored as browsers send it,
in IDNA's xn-- form, where a vendor address or a frame origin goes into a Content-Security-Policy
or a Location header; a host IDNA cannot write is refused with a message naming it. The admin's
forms and the models' own clean agree (docs/decisions/0120-unicode-host-names.md)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.urls import reverse

from portal.models import Backend
from tests.admin.test_translations import change_form_data
from tests.conftest import run_portal_bootstrap
from tests.test_backend_validation import backend_form, errors, save_backend, saved

pytestmark = pytest.mark.django_db

UNICODE = "https://support.exämple.com"
ASCII = "https://support.xn--exmple-cua.com"
NOT_IDNA = "https://support.ex☃mple.com"
NOT_IDNA_MESSAGE = "“support.ex☃mple.com” cannot be written as a host name: check its spelling."


def test_the_admin_stores_and_shows_a_unicode_vendor_address_in_idna(admin_client):
    saved(save_backend(admin_client, base_url=UNICODE + ":8443/"))
    backend = Backend.objects.get()
    assert backend.base_url == ASCII + ":8443"
    page = admin_client.get(reverse("admin:portal_backend_change", args=[backend.pk])).content.decode()
    assert f'value="{ASCII}:8443"' in page


def test_the_same_host_typed_in_its_own_letters_keeps_the_stored_secret(admin_client):
    backend = Backend.objects.create(
        name="Appliance", base_url=ASCII, client_id="portal", client_secret="stored-secret-123"
    )
    form = backend_form(backend, base_url=UNICODE, client_id="portal")
    saved(admin_client.post(reverse("admin:portal_backend_change", args=[backend.pk]), form))
    backend.refresh_from_db()
    assert (backend.base_url, backend.client_secret) == (ASCII, "stored-secret-123")


def test_a_host_idna_cannot_write_is_refused_by_name(admin_client):
    assert errors(save_backend(admin_client, base_url=NOT_IDNA))["base_url"] == [NOT_IDNA_MESSAGE]
    assert not Backend.objects.exists()


def test_the_model_converts_and_refuses_as_the_admin_does():
    backend = Backend(name="Appliance", base_url=UNICODE, tc_pin_url_template="https://stärt.example/{pin}")
    backend.full_clean()
    assert backend.base_url == ASCII
    assert backend.tc_pin_url_template == "https://xn--strt-moa.example/{pin}"
    backend.base_url = NOT_IDNA
    with pytest.raises(ValidationError) as refused:
        backend.full_clean()
    assert refused.value.message_dict == {"base_url": [NOT_IDNA_MESSAGE]}


def test_unicode_frame_origins_are_saved_in_idna_and_reach_the_pages_policy(admin_client, client, site):
    url = reverse("admin:portal_site_change", args=[site.pk])
    typed = "https://help.exämple.com\nhttps://*.DESK.exämple.com:8443"
    data = change_form_data(admin_client, url, frame_ancestors=typed)
    data.pop("show_rep_list")  # the fixture's backend has no API client: not this test's point
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    site.refresh_from_db()
    assert site.frame_ancestors == "https://help.xn--exmple-cua.com\nhttps://*.desk.xn--exmple-cua.com:8443"
    assert "https://help.xn--exmple-cua.com" in admin_client.get(url).content.decode()
    policy = client.get(reverse("home")).headers["Content-Security-Policy"]
    assert "frame-ancestors https://help.xn--exmple-cua.com https://*.desk.xn--exmple-cua.com:8443" in policy


def test_a_frame_origin_idna_cannot_write_is_refused_by_name(admin_client, site):
    url = reverse("admin:portal_site_change", args=[site.pk])
    data = change_form_data(admin_client, url, frame_ancestors="https://help.example.com\n" + NOT_IDNA)
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["frame_ancestors"] == [NOT_IDNA_MESSAGE]
    site.frame_ancestors = NOT_IDNA
    with pytest.raises(ValidationError) as refused:
        site.clean()
    assert refused.value.message_dict["frame_ancestors"] == [NOT_IDNA_MESSAGE]


def test_portal_bootstrap_stores_the_address_as_the_admin_does(monkeypatch):
    run_portal_bootstrap(monkeypatch, {"BEYONDTRUST_URL": UNICODE})
    assert Backend.objects.get().base_url == ASCII
    with pytest.raises(CommandError, match="BEYONDTRUST_URL: .*cannot be written as a host name"):
        run_portal_bootstrap(monkeypatch, {"BEYONDTRUST_URL": NOT_IDNA})
    assert Backend.objects.get().base_url == ASCII
