"""Admin sign-in under brute force: django-axes lockouts through the real login view, the
cool-off on a travelling clock, unlocking, password rules and the admin URL setting."""

from __future__ import annotations

import importlib
import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import clear_url_caches, reverse

from portal.conf import environment_numbers

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def alice():
    return get_user_model().objects.create_superuser("alice", "alice@example.com", PASSWORD)


def sign_in(client: Client, username: str, password: str, **extra):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        **extra,
    )


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_fifty_wrong_passwords_lock_the_account_until_the_cool_off(alice, settings):
    assert settings.AXES_FAILURE_LIMIT == 5 and settings.AXES_COOLOFF_TIME == timedelta(minutes=15)
    with time_machine.travel(START, tick=False) as clock:
        statuses = [sign_in(Client(), "alice", f"guess-{n}").status_code for n in range(50)]
        # Four ordinary refusals (the form again), then the lockout page from the fifth on.
        assert statuses == [200] * 4 + [429] * 46
        client = Client()
        response = sign_in(client, "alice", PASSWORD)
        assert response.status_code == 429 and not signed_in(client)
        assert "Too many failed sign-ins" in response.content.decode()
        clock.shift(timedelta(minutes=14, seconds=59))
        response = sign_in(client, "alice", PASSWORD)
        assert response.status_code == 429 and not signed_in(client)
        clock.shift(timedelta(seconds=2))
        response = sign_in(client, "alice", PASSWORD)
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")
        assert signed_in(client)


def test_a_cool_off_at_its_upper_bound_still_locks_out(alice, settings):
    """axes looks back the cool-off from now (now - AXES_COOLOFF_TIME): at the bound
    portal/settings.py holds PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES to, that still lies after year 1,
    so failed sign-ins are counted and lock the account, not a 500 each."""
    read = {setting.name: setting for setting, _value in environment_numbers()}
    settings.AXES_COOLOFF_TIME = timedelta(minutes=read["PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES"].at_most)
    statuses = [sign_in(Client(), "alice", f"guess-{n}").status_code for n in range(6)]
    assert statuses == [200] * 4 + [429] * 2
    client = Client()
    assert sign_in(client, "alice", PASSWORD).status_code == 429 and not signed_in(client)


def lock_out(username: str, address: str = "127.0.0.1", **extra) -> None:
    for n in range(5):
        sign_in(Client(), username, f"wrong-{n}", REMOTE_ADDR=address, **extra)


def test_lockout_page_is_translated(alice):
    lock_out("alice")
    response = sign_in(Client(), "alice", PASSWORD, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldungen" in response.content.decode()


@pytest.mark.parametrize("command", [("axes_reset_username", "alice"), ("axes_reset",)])
def test_management_command_unlocks_the_username(alice, command):
    """The README's unlock: the address that failed for alice is locked (for alice too) until
    her attempts are deleted."""
    lock_out("alice", "198.51.100.1")
    assert sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 429
    call_command(*command, stdout=io.StringIO())
    client = Client()
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR="198.51.100.1").status_code == 302
    assert signed_in(client)


def test_failures_for_a_username_lock_the_address_not_the_user(db):
    """Anyone may guess the username `admin`: their failures lock their own address, never the
    administrator signing in from hers (a denial of service at five requests per cool-off)."""
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    with time_machine.travel(START, tick=False) as clock:
        statuses = [
            sign_in(Client(), "admin", f"guess-{n}", REMOTE_ADDR="203.0.113.66").status_code
            for n in range(20)
        ]
        assert statuses == [200] * 4 + [429] * 16
        # The attacker's address is locked for every username, the right password included ...
        for username, password in (("admin", PASSWORD), ("someone-else", "x")):
            response = sign_in(Client(), username, password, REMOTE_ADDR="203.0.113.66")
            assert response.status_code == 429
        # ... while the administrator signs in from her own address at once.
        client = Client()
        response = sign_in(client, "admin", PASSWORD, REMOTE_ADDR="198.51.100.20")
        assert response.status_code == 302 and response["Location"] == reverse("admin:index")
        assert signed_in(client)
        clock.shift(timedelta(minutes=15, seconds=1))
        assert sign_in(Client(), "admin", PASSWORD, REMOTE_ADDR="203.0.113.66").status_code == 302


def test_guesses_spread_over_addresses_lock_none_of_them(db):
    """The price of the above (docs/decisions/0040-production-security-defaults.md): each
    address's first four failures lock nothing, the username is not locked, and a fifth sign-in
    from such an address is still judged (so each address has five guesses per cool-off)."""
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    for address in range(1, 6):
        statuses = [
            sign_in(Client(), "admin", f"guess-{n}", REMOTE_ADDR=f"192.0.2.{address}").status_code
            for n in range(4)
        ]
        assert statuses == [200] * 4
    client = Client()
    assert sign_in(client, "admin", PASSWORD, REMOTE_ADDR="192.0.2.1").status_code == 302 and signed_in(
        client
    )


def test_axes_reset_ip_unlocks_the_address(alice):
    for n in range(5):  # five different usernames from one address: the address is locked
        sign_in(Client(), f"scanner{n}", "x", REMOTE_ADDR="203.0.113.9")
    assert sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    call_command("axes_reset_ip", "203.0.113.9", stdout=io.StringIO())
    assert sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 302


def test_another_administrator_unlocks_from_admin(alice, admin_client):
    lock_out("alice")
    attempts = list(AccessAttempt.objects.filter(username="alice").values_list("pk", flat=True))
    assert attempts
    page = admin_client.get(reverse("admin:axes_accessattempt_changelist")).content.decode()
    assert "alice" in page
    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="alice").exists()
    assert sign_in(Client(), "alice", PASSWORD).status_code == 302


def test_a_locked_client_address_is_locked_for_every_username(alice):
    for n in range(5):
        sign_in(Client(), f"scanner{n}", "x", REMOTE_ADDR="203.0.113.9")
    # alice never failed, yet from that address her right password is refused ...
    assert sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="203.0.113.9").status_code == 429
    # ... while from another address she signs in.
    client = Client()
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR="203.0.113.10").status_code == 302
    assert signed_in(client)


def test_an_ipv6_client_is_locked_by_its_64_so_new_addresses_do_not_escape(alice):
    """One host holds a whole /64 and may use a new address for every attempt."""
    for n in range(5):
        sign_in(Client(), f"scanner{n}", "x", REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"2001:db8:1:2::"}
    assert sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    client = Client()  # the neighbouring /64 is someone else
    assert sign_in(client, "alice", PASSWORD, REMOTE_ADDR="2001:db8:1:3::1").status_code == 302
    assert signed_in(client)


def test_a_forwarded_address_with_a_port_is_stored_and_locked_without_it(alice, settings):
    """Some proxies forward "IP:port"; the port is new on every connection, and axes stores
    the address as an IP address."""
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(5):
        sign_in(Client(), f"scanner{n}", "x", HTTP_X_FORWARDED_FOR=f"198.51.100.7:{50000 + n}", **proxy)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    assert (
        sign_in(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7:50009", **proxy).status_code
        == 429
    )


def test_behind_the_trusted_proxy_the_forwarded_client_is_locked(alice, settings):
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(5):
        sign_in(Client(), f"scanner{n}", "x", HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    assert (
        sign_in(Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 429
    )
    # Another client through the same proxy is not locked out with it. The left-most entry is
    # the one the client could forge; the proxy's own (right-most) entry is believed.
    assert (
        sign_in(
            Client(), "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7, 198.51.100.8", **proxy
        ).status_code
        == 302
    )


def test_each_failed_sign_in_logs_username_and_address_never_the_password(alice, caplog):
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="axes")
    secret = "Tr0ub4dor&3-not-the-password"
    for _n in range(3):
        sign_in(Client(), "alice", secret, REMOTE_ADDR="192.0.2.44")
    ours = [r for r in caplog.records if r.name == "portal.admin_security"]
    assert [r.getMessage() for r in ours] == ["Failed admin sign-in for username 'alice' from 192.0.2.44"] * 3
    for record in caplog.records:  # axes' own lines included
        assert secret not in record.getMessage()
    assert any(r.name.startswith("axes") for r in caplog.records)
    assert secret not in "".join(AccessAttempt.objects.values_list("post_data", flat=True))


def test_a_username_with_a_line_break_stays_on_one_log_line(db, caplog):
    caplog.set_level(logging.WARNING, logger="portal.admin_security")
    sign_in(Client(), "eve\nINFO forged line", "x")
    [record] = [r for r in caplog.records if r.name == "portal.admin_security"]
    assert "\n" not in record.getMessage() and "'eve\\nINFO forged line'" in record.getMessage()


def test_password_validators_refuse_short_common_and_numeric_passwords():
    for weak in ("Sh0rt-pass", "password1234", "839201746521"):
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password(PASSWORD)


def test_demo_user_password_meets_the_validators():
    out = io.StringIO()
    call_command("portal_demo", stdout=out)
    password = out.getvalue().split("with password ", 1)[1].split()[0]
    validate_password(password, get_user_model().objects.get(username="demo"))
    client = Client()
    assert sign_in(client, "demo", password).status_code == 302 and signed_in(client)


@pytest.fixture
def staff_admin_url(settings):
    """The URL conf as DJANGO_ADMIN_URL=staff-desk/ builds it (urls.py reads the setting)."""
    import portal.urls

    settings.ADMIN_URL = "staff-desk/"
    importlib.reload(portal.urls)
    clear_url_caches()
    yield
    settings.ADMIN_URL = "admin/"
    importlib.reload(portal.urls)
    clear_url_caches()


def test_admin_url_is_configurable(site, staff_admin_url, alice):
    assert reverse("admin:login") == "/staff-desk/login/"
    assert Client().get("/admin/login/").status_code == 404  # the default admin path is gone
    # The admin speaks the browser's language among all 16, not only the site's.
    response = Client().get("/staff-desk/login/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200 and response["Content-Language"] == "ja"
    client = Client()
    assert sign_in(client, "alice", PASSWORD).status_code == 302 and signed_in(client)
    assert client.get("/staff-desk/").status_code == 200


def test_a_proxy_that_forwards_no_address_still_locks_out_by_its_own(alice, settings):
    """A trusted proxy that writes "unknown" in X-Forwarded-For: axes stores the proxy's address
    (an `inet` column on PostgreSQL refused the text with a 500) and the lockout holds."""
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    lock_out("alice", "10.0.0.7", HTTP_X_FORWARDED_FOR="unknown")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.7"}
    response = sign_in(Client(), "alice", PASSWORD, REMOTE_ADDR="10.0.0.7", HTTP_X_FORWARDED_FOR="unknown")
    assert response.status_code == 429
