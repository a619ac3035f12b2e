"""Backend admin actions against the fake appliance: Test connection and Import issues
(docs/decisions/0041-appliance-admin-actions.md; docs/vendors/beyondtrust.md#get_support_teams,
docs/vendors/beyondtrust.md#get_api_info and docs/vendors/beyondtrust.md#check_health), and
`manage.py portal_import_issues`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import messages
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from portal.models import Backend, Issue, Site
from portal.tokens import create_api_token, revoke_api_token
from tests.fakes.beyondtrust import FakeBeyondTrust


def run_action(admin_client, action: str, *backends: Backend) -> list[tuple[int, str]]:
    response = admin_client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": action, "_selected_action": [b.pk for b in backends]},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert FakeBeyondTrust().client_secret not in page
    return [(m.level, str(m)) for m in response.context["messages"]]


def texts(found: list[tuple[int, str]], level: int | None = None) -> list[str]:
    return [text for lvl, text in found if level is None or lvl == level]


# ------------------------------------------------------------------------------
# Test connection
# ------------------------------------------------------------------------------
def test_connection_reports_version_permission_and_health_per_appliance(
    admin_client, appliance_backend, site
):
    found = run_action(admin_client, "test_connection", appliance_backend)
    assert texts(found, messages.SUCCESS) == [
        "Appliance: API version 1.22.2, company example.",
        "Appliance: Appliance support.example.com (version 23.2.1 (build 30123), failover role "
        "primary) is healthy.",
        "Appliance: Health probe /check_health: OK.",
    ]
    assert texts(found, messages.INFO) == [
        "Appliance: Command API permission: read_only. Enough for the representative list and "
        "issue import; session keys need full access."
    ]
    assert texts(found, messages.WARNING) == [
        "Appliance: Appliance backup.example.com (version 23.2.1 (build 30123), failover role "
        "backup) is NOT healthy: Data sync with the primary failed"
    ]
    assert texts(found, messages.ERROR) == []


def test_connection_warns_when_api_tokens_need_full_permission(admin_client, appliance_backend, site):
    token = create_api_token(site=site, name="Zendesk").token
    warnings = texts(run_action(admin_client, "test_connection", appliance_backend), messages.WARNING)
    assert any("Command API permission is read_only, but API tokens" in w for w in warnings)

    revoke_api_token(token=token)  # no active token: read-only is enough again
    warnings = texts(run_action(admin_client, "test_connection", appliance_backend), messages.WARNING)
    assert not any("API tokens" in w for w in warnings)


def test_connection_with_full_permission(admin_client, appliance_backend, site, fake):
    create_api_token(site=site, name="Zendesk")
    fake.serve("get_api_info", "api_info_permission_items.xml")
    found = run_action(admin_client, "test_connection", appliance_backend)
    assert "Appliance: Command API permission: full." in texts(found, messages.SUCCESS)
    assert "Appliance: API version 1.21.0, company ?." in texts(found, messages.SUCCESS)


def test_connection_errors_are_admin_messages_without_secrets(admin_client, appliance_backend, fake):
    fake.fail("error_root", action="check_health")
    fake.state["healthy"] = False
    found = run_action(admin_client, "test_connection", appliance_backend)
    assert "Appliance: Health probe /check_health: the appliance reports a problem." in texts(
        found, messages.WARNING
    )
    errors = texts(found, messages.ERROR)
    assert len(errors) == 1 and errors[0].startswith("Appliance: check_health: ")

    appliance_backend.client_secret = "wrong-secret-value"
    appliance_backend.save()
    cache.clear()  # the shared API token outlives a new secret until the appliance refuses it
    found = run_action(admin_client, "test_connection", appliance_backend)
    errors = texts(found, messages.ERROR)
    assert errors and all("refused" in e for e in errors[:2])
    assert not any("firewall" in e for e in errors)  # it answered: nothing in the way
    assert not any("wrong-secret-value" in text for _lvl, text in found)


def test_connection_to_an_unreachable_or_unconfigured_backend(admin_client, db):
    down = Backend.objects.create(
        name="Down", base_url="http://127.0.0.1:9", client_id="id", client_secret="secret"
    )
    bare = Backend.objects.create(name="Bare", base_url="https://support.example.com")
    tc = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    found = run_action(admin_client, "test_connection", down, bare, tc)
    errors = texts(found, messages.ERROR)
    assert any(e.startswith("Down: ") and "cannot connect" in e for e in errors)
    assert (
        "Down: Check the backend's address, and that this server can reach it (DNS, firewall, proxy)."
        in errors
    )
    assert not any(e.startswith("Bare: ") and "firewall" in e for e in errors)
    assert any(e.startswith("Bare: ") and "client ID" in e for e in errors)
    # Take Control has its own test (tests/admin/test_takecontrol_connection.py): without a uid
    # the redirect start fails, and without a private key nothing is asked of the vendor.
    assert (
        "TC: Redirect mode needs the New Session API uid (Profile > APIs): without it every start fails."
        in errors
    )


@pytest.mark.parametrize(
    ("action", "said"),
    [
        ("test_connection", "Lab (Preview): this kind of backend has no connection test, skipped."),
        ("import_issues", "Lab (Preview): issues cannot be imported from this kind of backend, skipped."),
    ],
)
def test_an_action_skips_a_backend_whose_adapter_does_not_offer_it(admin_client, db, fake, action, said):
    """The actions ask the adapter for the capability (`has_connection_test`, `imports_issues`),
    not for a vendor: a Preview backend shows BeyondTrust URLs but has no appliance to ask, even
    with API credentials (record 0057)."""
    preview = Backend.objects.create(
        name="Lab",
        kind=Backend.Kind.PREVIEW,
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
    )
    found = run_action(admin_client, action, preview)
    assert found == [(messages.WARNING, said)]
    assert fake.calls() == []


# ------------------------------------------------------------------------------
# Import issues
# ------------------------------------------------------------------------------
def test_import_creates_and_updates_by_code_name_and_never_deletes(
    admin_client, appliance_backend, site, issues
):
    empty = Site.objects.create(name="Second desk", backend=appliance_backend)
    found = run_action(admin_client, "import_issues", appliance_backend)
    assert texts(found, messages.SUCCESS) == [
        "Acme Support: 0 created, 2 updated, 0 unchanged.",
        "Second desk: 2 created, 0 updated, 0 unchanged. New and already shown to customers: printing, vpn.",
    ]
    printing = Issue.objects.get(site=site, code_name="printing")
    # The appliance's name and id win; what the portal owns stays.
    assert (printing.display_name, printing.vendor_id) == ("Printing problems", 7)
    assert (printing.priority, printing.skills, printing.order, printing.active) == (
        1,
        "printing,windows",
        1,
        True,
    )
    assert Issue.objects.get(site=site, code_name="vpn").vendor_id == 8
    assert Issue.objects.filter(site=site, code_name="retired", active=False).exists()
    created = list(empty.issues.values_list("code_name", "display_name", "vendor_id", "active"))
    assert created == [("printing", "Printing problems", 7, True), ("vpn", "VPN access", 8, True)]

    again = run_action(admin_client, "import_issues", appliance_backend)
    assert texts(again, messages.SUCCESS) == [
        "Acme Support: 0 created, 0 updated, 2 unchanged.",
        "Second desk: 0 created, 0 updated, 2 unchanged.",
    ]


def test_import_tolerates_missing_and_unknown_elements(admin_client, appliance_backend, site, fake):
    fake.serve("get_support_teams", "support_teams_variants.xml")
    found = run_action(admin_client, "import_issues", appliance_backend)
    assert (
        "Acme Support: 1 created, 0 updated, 0 unchanged. New and already shown to customers: onsite."
        in texts(found, messages.SUCCESS)
    )
    assert texts(found, messages.WARNING) == [
        "Appliance: 1 appliance issue has no usable code name and was skipped."
    ]
    assert list(site.issues.values_list("code_name", "display_name", "vendor_id")) == [
        ("onsite", "On-site visit", 9)
    ]


def test_import_failure_is_an_admin_error(admin_client, appliance_backend, site, fake):
    fake.fail("malformed", action="get_support_teams")
    found = run_action(admin_client, "import_issues", appliance_backend)
    assert texts(found, messages.ERROR) == [
        "Appliance: Issues were not imported and nothing was changed (get_support_teams: the answer "
        "is not well-formed XML). Try again when the appliance answers; “Test connection” shows what "
        "it reports."
    ]
    assert not site.issues.exists()


def test_import_without_sites(admin_client, appliance_backend):
    found = run_action(admin_client, "import_issues", appliance_backend)
    assert texts(found, messages.WARNING) == ["Appliance: no site uses this backend."]


# ------------------------------------------------------------------------------
# manage.py portal_import_issues
# ------------------------------------------------------------------------------
def import_command(*args) -> str:
    out = StringIO()
    call_command("portal_import_issues", *args, stdout=out)
    return out.getvalue()


def test_import_command_prints_what_changed_and_is_idempotent(appliance_backend, site, issues):
    other = Site.objects.create(name="Second desk", backend=appliance_backend)
    output = import_command("--site", "Acme Support")
    assert output.splitlines() == [
        "updated  printing: display_name 'Printing' -> 'Printing problems', vendor_id None -> 7",
        "updated  vpn: display_name 'VPN' -> 'VPN access', vendor_id 42 -> 8",
        "Acme Support: 0 created, 2 updated, 0 unchanged.",
    ]
    assert not other.issues.exists()  # one site only

    output = import_command("--site", str(other.pk))
    assert output.splitlines() == [
        "created  printing: 'Printing problems' (id 7)",
        "created  vpn: 'VPN access' (id 8)",
        "Second desk: 2 created, 0 updated, 0 unchanged.",
    ]
    assert import_command("--site", "second desk").splitlines() == [
        "Second desk: 0 created, 0 updated, 2 unchanged."
    ]


def test_import_command_errors(appliance_backend, site, fake):
    fake.fail("http500", action="get_support_teams")
    with pytest.raises(CommandError) as failed:
        import_command("--site", "Acme Support")
    assert str(failed.value) == (
        "Issues were not imported and nothing was changed (get_support_teams: the appliance "
        "answered HTTP 500). Try again when the appliance answers; “Test connection” shows what it "
        "reports."
    )
    with pytest.raises(CommandError, match="No site"):
        import_command("--site", "Nope")
    tc = Backend.objects.create(
        name="TC", kind=Backend.Kind.TAKECONTROL, base_url="https://api.us0.swi-rc.com/rest"
    )
    Site.objects.create(name="TC site", backend=tc)
    with pytest.raises(CommandError, match="not a BeyondTrust"):
        import_command("--site", "TC site")
