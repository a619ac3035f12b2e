"""Values an older version stored and today's rules refuse are named by the set-up checklist,
each with a link to the page that fixes it: a Take Control technician without a domain
(`jane@localhost`), a backend address or an embedding origin that is an IPv6 address
(docs/decisions/0126-values-stored-before-todays-rules.md). Each row is made with the ORM, as
that version saved it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.models import Backend, Site, Technician
from tests.admin.test_setup import checklist
from tests.fakes.takecontrol import takecontrol_backend

pytestmark = pytest.mark.django_db


def entry(admin_client, title: str, language: str = "en-us") -> dict | None:
    (entries,) = checklist(admin_client, language).sites.values()
    found = [e for e in entries if e["text"].split(" — ")[0].split(": ", 1)[-1] == title]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.fixture
def tc_site(site):
    backend = takecontrol_backend("https://api.us0.swi-rc.com/rest")
    Technician.objects.create(backend=backend, display_name="Anna", username="anna@example.com")
    site.backend = backend
    site.save()
    return site


def test_technicians_without_a_domain_are_named_with_a_link_to_the_backend(admin_client, tc_site):
    assert entry(admin_client, "Technicians") is None
    Technician.objects.create(backend=tc_site.backend, display_name="Jane", username="jane@localhost")
    Technician.objects.create(
        backend=tc_site.backend, display_name="Off duty", username="off@intranet", listed=False
    )
    found = entry(admin_client, "Technicians")
    assert found["text"].startswith("To do: Technicians")
    assert "Jane (jane@localhost), Off duty (off@intranet)" in found["text"]
    assert "Anna" not in found["text"]
    assert "usernames of" in found["text"] and "department's queue" in found["text"]
    assert found["links"] == [reverse("admin:portal_backend_change", args=[tc_site.backend_id])]


def test_the_technicians_item_is_in_the_readers_language(admin_client, tc_site):
    Technician.objects.create(backend=tc_site.backend, display_name="Jane", username="jane@localhost")
    found = entry(admin_client, "Techniker", "de")
    assert found is not None and "Jane (jane@localhost)" in found["text"]
    assert "department's queue" not in found["text"]


@pytest.mark.parametrize(
    "field, address",
    [("base_url", "https://[2001:db8::1]"), ("tc_pin_url_template", "https://[2001:db8::2]/{pin}")],
)
def test_a_backend_address_stored_as_ipv6_is_named_with_a_link_to_the_backend(
    admin_client, tc_site, field, address
):
    assert entry(admin_client, "Backend address") is None
    Backend.objects.filter(pk=tc_site.backend_id).update(**{field: address})
    found = entry(admin_client, "Backend address")
    label = {"base_url": "Address", "tc_pin_url_template": "PIN URL template"}[field]
    assert found["text"].startswith("To do: Backend address")
    assert (
        f"{label} of {tc_site.backend.name} fails today's checks: Use a host name, not an IPv6 address"
        in (found["text"])
    )
    assert "temporarily unavailable" in found["text"]
    assert found["links"] == [reverse("admin:portal_backend_change", args=[tc_site.backend_id])]


def test_embedding_origins_stored_as_ipv6_are_named(admin_client, site):
    Site.objects.filter(pk=site.pk).update(frame_ancestors="https://help.example.com\nhttps://[2001:db8::5]")
    found = entry(admin_client, "Embedding origins")
    assert found["text"].startswith("To do: Embedding origins")
    assert "https://[2001:db8::5] cannot embed the portal" in found["text"]
    assert "help.example.com" not in found["text"]
    assert found["links"] == [reverse("admin:portal_site_change", args=[site.pk])]


def test_a_reader_who_may_not_view_backends_is_not_told_of_them(client, tc_site, django_user_model):
    from django.contrib.auth.models import Permission

    Technician.objects.create(backend=tc_site.backend, display_name="Jane", username="jane@localhost")
    Backend.objects.filter(pk=tc_site.backend_id).update(base_url="https://[2001:db8::1]")
    user = django_user_model.objects.create_user("editor", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_site"))
    client.force_login(user)
    assert entry(client, "Technicians") is None and entry(client, "Backend address") is None


def test_a_stored_address_today_refuses_but_starts_still_work_with_is_not_flagged(admin_client, tc_site):
    """A PIN URL template with a query is refused by today's form, yet its origin is a fine
    policy source and the start works (tests/test_takecontrol_flows.py): nothing to fix."""
    Backend.objects.filter(pk=tc_site.backend_id).update(
        tc_pin_url_template="https://support.example.com/pin?code={pin}"
    )
    assert entry(admin_client, "Backend address") is None
