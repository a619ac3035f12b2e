"""The site's prefill link secret in admin (portal/admin/secrets.py): write-only, explained, and
generated for an operator who should not have to invent one
(docs/decisions/0022-write-only-secrets.md, docs/decisions/0105-generated-prefill-secret.md)."""

from __future__ import annotations

import logging
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse

from portal import prefill
from portal.models import Site
from tests.conftest import save_site_in_admin

pytestmark = pytest.mark.django_db

OLD_SECRET = "the help desk's old secret"


@pytest.fixture
def keyed_site(site):
    # Its rep list needs the backend's API credentials, or the admin form is refused.
    site.backend.client_id, site.backend.client_secret = "id", "secret"
    site.backend.save()
    site.prefill_secret = OLD_SECRET
    site.save()
    return site


def stored_secret(site: Site) -> str:
    return Site.objects.get(pk=site.pk).prefill_secret


def test_the_secret_field_says_what_it_is_for_and_what_changing_it_breaks(admin_client, keyed_site):
    page = admin_client.get(reverse("admin:portal_site_change", args=[keyed_site.pk])).content.decode()
    assert "Signs prefill links so customers cannot change their values" in page
    assert "invalidates every signed link already sent" in page
    assert 'name="generate_prefill_secret"' in page
    assert OLD_SECRET not in page


def test_generating_a_secret_stores_a_strong_one_and_shows_it_once(admin_client, keyed_site, caplog):
    old_link = prefill.sign_prefill(
        secret=OLD_SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) + 600
    )
    with caplog.at_level(logging.DEBUG):
        response = save_site_in_admin(admin_client, keyed_site, generate_prefill_secret="on", follow=True)
    assert response.status_code == 200
    secret = stored_secret(keyed_site)
    assert secret != OLD_SECRET and len(secret) >= 43  # 256 random bits, URL-safe
    [shown] = [str(m) for m in get_messages(response.wsgi_request) if secret in str(m)]
    assert "it will not be shown again" in shown and "no longer lock" in shown
    assert response.content.decode().count(secret) == 1  # in the message, not in the form
    # Never again: not on the next page, not in admin's history, not in a log line.
    page = admin_client.get(reverse("admin:portal_site_change", args=[keyed_site.pk])).content.decode()
    assert secret not in page
    assert not [entry for entry in LogEntry.objects.all() if secret in entry.change_message]
    assert secret not in caplog.text
    assert prefill.verified_values(secret=secret, query=old_link) == {}  # old links lock nothing


def test_each_generation_is_a_new_secret(admin_client, keyed_site):
    save_site_in_admin(admin_client, keyed_site, generate_prefill_secret="on")
    first = stored_secret(keyed_site)
    save_site_in_admin(admin_client, keyed_site, generate_prefill_secret="on")
    assert stored_secret(keyed_site) not in (first, OLD_SECRET)


@pytest.mark.parametrize(
    "other", [{"prefill_secret": "typed by hand, sixteen or more"}, {"clear_prefill_secret": "on"}]
)
def test_generate_with_a_typed_or_removed_secret_is_refused(admin_client, keyed_site, other):
    response = save_site_in_admin(admin_client, keyed_site, generate_prefill_secret="on", **other)
    assert response.status_code == 200  # the form again, with the error
    assert "Type a new secret, generate one or remove it: only one of these." in response.content.decode()
    assert stored_secret(keyed_site) == OLD_SECRET


def test_saving_without_generating_keeps_the_secret_and_shows_nothing(admin_client, keyed_site):
    response = save_site_in_admin(admin_client, keyed_site, follow=True)
    assert stored_secret(keyed_site) == OLD_SECRET
    assert not [m for m in get_messages(response.wsgi_request) if "prefill link secret" in str(m)]
    assert OLD_SECRET not in response.content.decode()


def test_a_typed_secret_needs_sixteen_characters_and_an_old_short_one_keeps_working(admin_client, keyed_site):
    response = save_site_in_admin(admin_client, keyed_site, prefill_secret="too-short")
    assert response.status_code == 200  # the form again
    assert response.context["adminform"].form.errors["prefill_secret"] == [
        "Use at least 16 characters, or tick “Generate a new secret”."
    ]
    assert stored_secret(keyed_site) == OLD_SECRET
    response = save_site_in_admin(admin_client, keyed_site, prefill_secret="x" * 16)
    assert response.status_code == 302 and stored_secret(keyed_site) == "x" * 16
    Site.objects.filter(pk=keyed_site.pk).update(prefill_secret="short")  # set before the rule
    assert save_site_in_admin(admin_client, keyed_site, name="Acme Help").status_code == 302
    assert stored_secret(keyed_site) == "short"


@pytest.mark.parametrize(
    "fields",
    [
        {"prefill_secret": "too-short"},
        {"prefill_secret": "typed by hand, sixteen or more", "generate_prefill_secret": "on"},
    ],
)
def test_a_refused_secret_opens_the_collapsed_fieldset_that_says_why(admin_client, keyed_site, fields):
    # The secret and its boxes share a line in the collapsed "Advanced" fieldset: Django opens a
    # collapsed fieldset for an error only in a field on a line of its own, so the page said
    # "Please correct the error below" with the error folded away.
    response = save_site_in_admin(admin_client, keyed_site, **fields)
    assert response.status_code == 200
    [advanced] = [fieldset for fieldset in response.context["adminform"] if fieldset.name == "Advanced"]
    assert not advanced.is_collapsible
    page = response.content.decode()
    assert "<details>" not in page[page.index("errorlist") - 2000 : page.index("errorlist")]
    # Without an error it stays folded.
    page_response = admin_client.get(reverse("admin:portal_site_change", args=[keyed_site.pk]))
    [advanced] = [fs for fs in page_response.context["adminform"] if fs.name == "Advanced"]
    assert advanced.is_collapsible
