"""A stored vendor secret is never sent to a new address (docs/decisions/0022-write-only-secrets.md).

The portal sends a backend's client secret (BeyondTrust's OAuth Basic credentials) and Take
Control's keys (a header) to the backend's address. If an empty secret box kept the stored value
while the address moved to another host, anyone who may change the backend, but may never read
its secrets, could point it at a server of theirs and read the secret from the next request."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.urls import reverse

from portal.models import Backend
from tests.admin.test_translations import change_form_data
from tests.admin.test_vendor_fields import change_form_data_of, form_errors
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.test_backend_validation import errors, save_backend, saved

pytestmark = pytest.mark.django_db

REFUSED = (
    "The address changed: type this secret again or remove it. "
    "A stored secret is never sent to a new address."
)


@pytest.fixture
def listener():
    """A server that is not the appliance, which would like the appliance's secret."""
    with running(FakeBeyondTrust(client_secret="unknown to the listener")) as server:
        yield server


@pytest.fixture
def appliance_backend(fake):
    return Backend.objects.create(
        name="Appliance",
        kind=Backend.Kind.MODERN,
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
    )


def test_a_new_host_keeps_no_stored_secret_and_the_next_test_reaches_the_old_one(
    admin_client, appliance_backend, fake, listener
):
    found = errors(save_backend(admin_client, appliance_backend, base_url=listener.base_url))
    assert found == {"client_secret": [REFUSED]}
    appliance_backend.refresh_from_db()
    assert (appliance_backend.base_url, appliance_backend.client_secret) == (
        fake.base_url,
        fake.client_secret,
    )

    response = admin_client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": "test_connection", "_selected_action": [appliance_backend.pk]},
        follow=True,
    )
    assert messages.ERROR not in [message.level for message in response.context["messages"]]
    assert listener.calls() == [] and fake.calls() != []


def test_a_new_host_saves_with_the_secret_typed_again_or_removed(admin_client, appliance_backend, listener):
    saved(
        save_backend(
            admin_client, appliance_backend, base_url=listener.base_url, client_secret="typed again, long"
        )
    )
    appliance_backend.refresh_from_db()
    assert (appliance_backend.base_url, appliance_backend.client_secret) == (
        listener.base_url,
        "typed again, long",
    )

    back = {"base_url": "https://support.example.com", "clear_client_secret": "on", "client_id": ""}
    saved(save_backend(admin_client, appliance_backend, **back))
    appliance_backend.refresh_from_db()
    assert appliance_backend.client_secret == ""


def take_control_with_keys() -> Backend:
    return Backend.objects.create(
        name="Take Control",
        kind=Backend.Kind.TAKECONTROL,
        base_url="https://api.us0.swi-rc.com/rest",
        tc_uid="e14887a6|2109",
        tc_public_key="public key, never shown",
        tc_private_key="private key, never shown",
    )


def test_take_control_keys_stay_for_the_same_host_and_not_for_another(admin_client):
    backend = take_control_with_keys()
    # Another path, or the host in capitals, on the same host: the same receiver.
    saved(save_backend(admin_client, backend, base_url="https://API.us0.swi-rc.com:443/rest/"))
    backend.refresh_from_db()
    assert (backend.tc_public_key, backend.tc_private_key) == (
        "public key, never shown",
        "private key, never shown",
    )

    found = errors(save_backend(admin_client, backend, base_url="https://api.eu0.swi-rc.com/rest"))
    assert found == {"tc_public_key": [REFUSED], "tc_private_key": [REFUSED]}
    found = errors(
        save_backend(
            admin_client, backend, base_url="http://127.0.0.1:8/rest", tc_public_key="typed again, long"
        )
    )
    assert found == {"tc_private_key": [REFUSED]}


def test_keys_another_kind_kept_do_not_follow_the_address_back(admin_client, listener):
    """A Take Control backend becomes BeyondTrust (its keys are no input there, so nothing asks
    for them), moves to a listener's host, then becomes Take Control again on that host. The
    keys must not be waiting there for the next start."""
    backend = take_control_with_keys()
    url = reverse("admin:portal_backend_change", args=[backend.pk])

    def save_as(**changes):
        response = admin_client.post(url, change_form_data(admin_client, url, **changes))
        if response.status_code == 200:  # another kind: its settings are shown once, then saved
            response = admin_client.post(url, change_form_data_of(response.content.decode(), **changes))
        assert response.status_code == 302, form_errors(response)

    # BeyondTrust on the same host keeps the keys it does not use (docs/decisions/0103) ...
    save_as(
        kind="modern", base_url="https://api.us0.swi-rc.com", client_id="id", client_secret="typed, for BT"
    )
    backend.refresh_from_db()
    assert backend.tc_public_key == "public key, never shown"
    # ... but not on another host, where nobody can type them again.
    save_as(base_url=listener.base_url, client_secret="typed again, long")
    save_as(kind="takecontrol", base_url=listener.base_url + "/rest", tc_uid="e14887a6|2109")
    backend.refresh_from_db()
    assert (backend.kind, backend.tc_public_key, backend.tc_private_key) == ("takecontrol", "", "")


@pytest.mark.parametrize("address", ["https://[zz]", "https://[2001:db8::1"])
def test_an_address_no_url_parser_reads_is_refused_as_such_and_keeps_the_secret(
    admin_client, appliance_backend, fake, address
):
    """urlsplit raises on a bracketed host that is no IP address: comparing it with the stored
    address was a 500 on the change form, before the field's own message could say so."""
    found = errors(save_backend(admin_client, appliance_backend, base_url=address))
    assert found["base_url"] == ["Enter a full URL such as https://support.example.com."]
    appliance_backend.refresh_from_db()
    assert (appliance_backend.base_url, appliance_backend.client_secret) == (
        fake.base_url,
        fake.client_secret,
    )
