"""Write-only secrets stay unseen by staff who may only view (docs/decisions/0022-write-only-secrets.md).

Django's read-only change page shows each model field's stored value as it is; the write-only
password widget is only built for those who may change the object. A staff member with the
"view" permission alone must see whether a secret is set, never the secret."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from portal.models import ApiToken, Backend
from portal.tokens import create_api_token
from portal.webhooks.models import Endpoint
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

CLIENT_SECRET = "client-secret-only-the-appliance-knows"
PUBLIC_KEY = "tc-public-key-never-shown-back"
PRIVATE_KEY = "tc-private-key-never-shown-back"
PREFILL_SECRET = "prefill-secret-that-signs-the-links"
WEBHOOK_SECRET = "webhook-secret-that-signs-the-events"


def viewer(client, *codenames: str, username: str = "viewer"):
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    client.force_login(user)
    return client


def shown(page: str, name: str) -> str:
    """The text a read-only change page shows for the field `name` (its innermost box)."""
    box = elements(page, "div", class_=f"field-{name}")[-1]
    return element(box, "div", class_="readonly").text


def test_a_viewer_sees_whether_the_backends_secrets_are_set_never_the_secrets(client, site):
    site.backend.client_id, site.backend.client_secret = "portal-client", CLIENT_SECRET
    site.backend.save()
    takecontrol = Backend.objects.create(
        name="Take Control",
        kind=Backend.Kind.TAKECONTROL,
        base_url="https://api.example.com/rest",
        tc_public_key=PUBLIC_KEY,
        tc_private_key=PRIVATE_KEY,
    )
    viewer(client, "view_backend")
    page = client.get(reverse("admin:portal_backend_change", args=[site.backend.pk])).content.decode()
    assert CLIENT_SECRET not in page
    assert shown(page, "client_secret") == "Set, never shown"
    page = client.get(reverse("admin:portal_backend_change", args=[takecontrol.pk])).content.decode()
    assert PUBLIC_KEY not in page and PRIVATE_KEY not in page
    assert shown(page, "tc_public_key") == shown(page, "tc_private_key") == "Set, never shown"


def test_a_viewer_never_sees_the_sites_prefill_secret(client, site):
    site.prefill_secret = PREFILL_SECRET
    site.save()
    viewer(client, "view_site")
    page = client.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()
    assert PREFILL_SECRET not in page
    assert shown(page, "prefill_secret") == "Set, never shown"
    # How to set or generate one is for those who may (the walk-through: a viewer was told to
    # tick a box they do not have).
    advice = "for a strong one, shown once after saving"  # the secret's help text
    assert advice not in page
    changer = viewer(Client(), "view_site", "change_site", username="changer")
    assert advice in changer.get(reverse("admin:portal_site_change", args=[site.pk])).content.decode()


def test_a_viewer_never_sees_a_webhook_endpoints_signing_secret(client, site):
    endpoint = Endpoint.objects.create(
        site=site, url="https://hooks.example.com/portal", secret=WEBHOOK_SECRET
    )
    viewer(client, "view_endpoint")
    page = client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])).content.decode()
    assert WEBHOOK_SECRET not in page
    assert shown(page, "secret") == "Set, never shown"


def test_staff_who_may_change_still_get_the_write_only_field(client, site):
    site.backend.client_id, site.backend.client_secret = "portal-client", CLIENT_SECRET
    site.backend.save()
    viewer(client, "view_backend", "change_backend")
    page = client.get(reverse("admin:portal_backend_change", args=[site.backend.pk])).content.decode()
    assert CLIENT_SECRET not in page
    field = element(page, "input", name="client_secret")
    assert field.attrs["type"] == "password" and not field.attrs.get("value")


# ------------------------------------------------------------------------------
# The list's filters: no secret is spelled out by the number of results
# ------------------------------------------------------------------------------
def results(client, changelist: str, query: str):
    """The status of the changelist filtered by `query`, and how many rows it shows."""
    response = client.get(reverse(changelist) + "?" + query)
    rows = len(elements(response.content.decode(), "tr")) if response.status_code == 200 else None
    return response.status_code, rows


@pytest.mark.parametrize(
    ("changelist", "right", "wrong", "permission"),
    [
        (
            "admin:portal_backend_changelist",
            f"client_secret__startswith={CLIENT_SECRET[:3]}",
            "client_secret__startswith=zzz",
            "view_backend",
        ),
        (
            "admin:portal_backend_changelist",
            f"tc_private_key__regex=^{PRIVATE_KEY[:3]}",
            "tc_private_key__regex=^zzz",
            "view_backend",
        ),
        (
            "admin:portal_backend_changelist",
            f"tc_public_key={PUBLIC_KEY}",
            "tc_public_key=zzz",
            "view_backend",
        ),
        (
            "admin:portal_site_changelist",
            f"prefill_secret__startswith={PREFILL_SECRET[:3]}",
            "prefill_secret__startswith=zzz",
            "view_site",
        ),
        (
            "admin:webhooks_endpoint_changelist",
            f"secret__startswith={WEBHOOK_SECRET[:3]}",
            "secret__startswith=zzz",
            "view_endpoint",
        ),
    ],
)
def test_a_secret_is_no_filter_of_the_list_for_a_viewer_or_a_superuser(
    client, admin_client, site, changelist, right, wrong, permission
):
    """Django lets a changelist filter by any of the model's own fields (`?secret__startswith=`):
    the rows a guess leaves would give the secret away a character at a time."""
    site.backend.client_id, site.backend.client_secret = "portal-client", CLIENT_SECRET
    site.backend.save()
    Backend.objects.create(
        name="Take Control",
        kind=Backend.Kind.TAKECONTROL,
        base_url="https://api.example.com/rest",
        tc_public_key=PUBLIC_KEY,
        tc_private_key=PRIVATE_KEY,
    )
    site.prefill_secret = PREFILL_SECRET
    site.save()
    Endpoint.objects.create(site=site, url="https://hooks.example.com/portal", secret=WEBHOOK_SECRET)
    for staff in (viewer(client, permission), admin_client):
        assert results(staff, changelist, right) == results(staff, changelist, wrong) == (400, None)
    # The list itself, and its own filters, still answer.
    assert results(admin_client, changelist, "")[0] == 200


def test_the_api_tokens_hash_is_no_filter_of_the_list_for_a_viewer_or_a_superuser(client, admin_client, site):
    """The stored SHA-256 of a token, refused as a secret is: a guess's rows would spell it out."""
    token_hash = ApiToken.objects.get(pk=create_api_token(site=site, name="Zendesk").token.pk).token_hash
    changelist = "admin:portal_apitoken_changelist"
    for staff in (viewer(client, "view_apitoken"), admin_client):
        for right, wrong in [
            (f"token_hash__startswith={token_hash[:3]}", "token_hash__startswith=zzz"),
            (f"token_hash__regex=^{token_hash[:3]}", "token_hash__regex=^zzz"),
            (f"token_hash={token_hash}", "token_hash=zzz"),
        ]:
            assert results(staff, changelist, right) == results(staff, changelist, wrong) == (400, None)
    # The list and its own filters still answer.
    assert results(admin_client, changelist, "")[0] == 200
    assert results(admin_client, changelist, "status=active")[0] == 200
