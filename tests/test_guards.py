"""The cookie-free protection of the public forms (docs/decisions/0020-cookie-free-public-forms.md):
Origin and Sec-Fetch-Site, the signed timestamp, the honeypot and the per-client rate limit."""

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from portal import guards
from portal.models import StartRequest
from tests.conftest import form_data
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
    ],
)
def test_cross_site_posts_are_refused_and_start_nothing(client, site, headers):
    response = client.post("/key/", form_data(key="1234567"), **headers)
    assert response.status_code == 403
    assert "Location" not in response
    assert not StartRequest.objects.exists()


def test_same_origin_posts_pass(client, site):
    response = client.post(
        "/key/", form_data(key="1234567"), HTTP_ORIGIN="http://testserver", HTTP_SEC_FETCH_SITE="same-origin"
    )
    assert response.status_code == 303


@pytest.mark.parametrize(
    ("path", "fields"),
    [
        ("/key/", {"key": "1234567"}),
        ("/survey/", {"issue": "printing", "name": "Jane Doe", "company": "Acme", "details": "Offline"}),
    ],
)
def test_starts_need_no_csrf_cookie_or_token(site, issues, path, fields):
    """The customer pages set no cookie (they are one cached copy per site), so a start POST
    carries no CSRF token: the views are exempt and check the Origin, the honeypot and the
    signed timestamp instead (guards.check_public_post). Django's CSRF check runs here."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, form_data(**fields), HTTP_ORIGIN="http://testserver")
    assert response.status_code == 303
    assert not response.cookies
    assert StartRequest.objects.get().outcome == StartRequest.Outcome.STARTED


def test_the_admin_keeps_its_csrf_check(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(reverse("admin:logout"))
    assert response.status_code == 403


def test_honeypot_filled_is_refused(client, site):
    response = client.post("/key/", {**form_data(key="1234567"), guards.HONEYPOT_FIELD: "http://spam"})
    assert response.status_code == 400
    assert not StartRequest.objects.exists()


UNVERIFIED = (
    "This form could not be verified, so we have not sent it yet. Please check your entries and send again."
)
EXPIRED = (
    "This page was open for a long time, so we could not send it yet. "
    "Please check your entries and send again."
)


def error_summary_items(html: str) -> list[str]:
    return [item.text for item in elements(element(html, "div", id="error-summary"), "li")]


@pytest.mark.parametrize(
    "stamp",
    [
        "",
        "garbage",
        "form:1a2b3c:forged-signature",
        signing.TimestampSigner(key="a-replaced-secret-key", salt=guards.FORM_SALT).sign("form"),
    ],
    ids=["missing", "garbage", "forged", "old-secret-key"],
)
def test_missing_or_forged_timestamp_keeps_the_input_and_says_what_happened(client, site, stamp):
    """A walk-through: a stamp that is missing or does not verify was told "the page was open for
    a long time", which it was not. It keeps the customer's input, says honestly that the form
    could not be verified, and the page it shows sends as it is."""
    response = client.post("/key/", {**form_data(key="765 4321"), guards.TIMESTAMP_FIELD: stamp})
    assert response.status_code == 200
    html = response.content.decode()
    assert error_summary_items(html) == [UNVERIFIED]
    assert element(html, "input", name="key").attrs["value"] == "765 4321"
    assert not StartRequest.objects.exists()
    fresh = element(html, "input", name=guards.TIMESTAMP_FIELD).attrs["value"]
    assert (
        client.post("/key/", {**form_data(key="765 4321"), guards.TIMESTAMP_FIELD: fresh}).status_code == 303
    )


def test_a_missing_timestamp_is_told_in_the_customers_language(client, site):
    site.enabled_languages = ["en-us", "de", "ja"]
    site.save()
    for locale, message in (
        ("de", "Dieses Formular konnte nicht überprüft werden"),
        ("ja", "このフォームを検証できなかったため"),
    ):
        data = {**form_data(key="765 4321", locale=locale), guards.TIMESTAMP_FIELD: ""}
        [item] = error_summary_items(client.post("/key/", data).content.decode())
        assert item.startswith(message)


def test_expired_timestamp_is_refused(client, site, settings):
    old = signing.TimestampSigner(salt=guards.FORM_SALT).sign("form")
    settings.PORTAL_FORM_MAX_AGE = -1  # every stamp is now older than allowed
    response = client.post("/key/", {**form_data(key="1234567"), guards.TIMESTAMP_FIELD: old})
    assert response.status_code == 200
    assert error_summary_items(response.content.decode()) == [EXPIRED]


def test_rate_limit_per_client_with_retry_after(client, site, settings):
    settings.PORTAL_RATE_LIMIT = 3
    for _ in range(3):
        assert client.post("/key/", form_data(key="1234567"), REMOTE_ADDR="203.0.113.7").status_code == 303
    response = client.post("/key/", form_data(key="1234567"), REMOTE_ADDR="203.0.113.7")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= settings.PORTAL_RATE_WINDOW
    # Another client is not affected.
    assert client.post("/key/", form_data(key="1234567"), REMOTE_ADDR="203.0.113.8").status_code == 303


def test_ipv6_clients_are_limited_per_64_so_rotating_addresses_does_not_escape(client, site, settings):
    """One IPv6 host holds a whole /64 and may use a new address for every request."""
    settings.PORTAL_RATE_LIMIT = 2

    def start(address: str) -> int:
        return client.post("/key/", form_data(key="1234567"), REMOTE_ADDR=address).status_code

    assert start("2001:db8:1:2::1") == 303
    assert start("2001:db8:1:2:a5f1:33ff:fe01:9") == 303
    # A third address of the same /64 (written differently, upper case, with a zone) is the
    # same client.
    assert start("2001:DB8:1:2:FFFF:FFFF:FFFF:FFFF") == 429
    assert start("fe80::1%eth0") == 303  # another /64
    # The neighbouring /64 is another subscriber.
    assert start("2001:db8:1:3::1") == 303
    # An IPv4-mapped address is its IPv4 client, one limit with the plain IPv4 form.
    assert start("::ffff:203.0.113.9") == 303
    assert start("203.0.113.9") == 303
    assert start("::ffff:203.0.113.9") == 429
    # Behind a trusted proxy, the forwarded IPv6 address counts the same way.
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    forwarded = {"REMOTE_ADDR": "10.0.0.1"}
    for host, expected in (("2001:db8:9::1", 303), ("2001:db8:9::2", 303), ("2001:db8:9::3", 429)):
        assert (
            client.post("/key/", form_data(key="1234567"), HTTP_X_FORWARDED_FOR=host, **forwarded).status_code
            == expected
        )


@pytest.mark.parametrize(
    ("address", "counted_as"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),
        ("2001:0DB8:0001:0002::9", "2001:db8:1:2::"),
        ("fe80::1%eth0", "fe80::"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
        # NAT64 (RFC 6052's well-known prefix): each IPv4 client behind the translator is its
        # own client, not one /64 for all of them.
        ("64:ff9b::203.0.113.5", "203.0.113.5"),
        ("64:ff9b::c633:6401", "198.51.100.1"),
        ("::1", "::"),
        # Some proxies write the client's port too (Azure Application Gateway: "IP:port"): a
        # new port per connection must not be a new client.
        ("203.0.113.7:50123", "203.0.113.7"),
        ("[2001:db8:1:2::9]:50123", "2001:db8:1:2::"),
        ("[2001:db8:1:2::9]", "2001:db8:1:2::"),
        # Not an address: nothing (counted_client then takes the proxy's), never a 500.
        ("not-an-address", ""),
        ("unknown", ""),
        ("1:2:3", ""),
        ("203.0.113", ""),
        ("", ""),
    ],
)
def test_the_rate_limit_counts_ipv6_by_its_64(address, counted_as):
    assert guards.client_network(address) == counted_as


def starts_behind_one_proxy(client, settings, forwarded: tuple[str, ...]) -> list[int]:
    """The answers to key starts through one trusted proxy (10.0.0.1) that forwarded each of
    `forwarded` in turn, with a limit of two starts per client."""
    settings.PORTAL_RATE_LIMIT = 2
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    return [
        client.post(
            "/key/", form_data(key="1234567"), HTTP_X_FORWARDED_FOR=address, REMOTE_ADDR="10.0.0.1"
        ).status_code
        for address in forwarded
    ]


def test_a_forwarded_address_with_its_port_is_one_client_whatever_the_port(client, site, settings):
    forwarded = ("203.0.113.7:50001", "203.0.113.7:50002", "203.0.113.7:50003")
    assert starts_behind_one_proxy(client, settings, forwarded) == [303, 303, 429]


def test_forwarded_address_counts_only_behind_a_trusted_proxy(client, site, settings):
    settings.PORTAL_RATE_LIMIT = 1
    spoofed = {"REMOTE_ADDR": "10.0.0.1"}
    # No trusted proxy: X-Forwarded-For is ignored, so rotating it does not escape the limit.
    assert (
        client.post("/key/", form_data(key="1234567"), HTTP_X_FORWARDED_FOR="1.1.1.1", **spoofed).status_code
        == 303
    )
    assert (
        client.post("/key/", form_data(key="1234567"), HTTP_X_FORWARDED_FOR="2.2.2.2", **spoofed).status_code
        == 429
    )
    # Behind one trusted proxy, the address it appended is the client.
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    assert (
        client.post(
            "/key/", form_data(key="1234567"), HTTP_X_FORWARDED_FOR="9.9.9.9, 3.3.3.3", **spoofed
        ).status_code
        == 303
    )
    assert (
        client.post(
            "/key/", form_data(key="1234567"), HTTP_X_FORWARDED_FOR="8.8.8.8, 3.3.3.3", **spoofed
        ).status_code
        == 429
    )


def test_a_proxy_that_forwards_no_address_leaves_the_proxys_own_counted(client, site, settings):
    """Some proxies write "unknown" (or an obfuscated name, RFC 7239) for a client they cannot
    name: those clients are counted as the proxy itself, not as one shared made-up client and
    not as text that is no address."""
    assert starts_behind_one_proxy(client, settings, ("unknown", "_hidden", "10.0.0.1")) == [303, 303, 429]


def test_requests_without_a_client_address_are_one_client_and_said_once(client, site, settings, caplog):
    """gunicorn on a Unix socket leaves REMOTE_ADDR empty: behind no trusted proxy every client
    is then one. The limit still holds (never lifted), and the log says so once per process,
    naming the setting that fixes it (tests/server/test_client_address.py: under gunicorn)."""
    settings.PORTAL_RATE_LIMIT = 2
    guards._no_address_reported.clear()  # this process may have said it in an earlier test
    statuses = [client.post("/key/", form_data(key="1234567"), REMOTE_ADDR="").status_code for _ in range(3)]
    assert statuses == [303, 303, 429]  # one count for all of them
    reported = [record for record in caplog.records if "no client address" in record.getMessage()]
    assert len(reported) == 1
    assert reported[0].levelname == "ERROR"
    assert "Set PORTAL_TRUSTED_PROXY_COUNT" in reported[0].getMessage()
    caplog.clear()
    guards._no_address_reported.clear()
    assert client.post("/key/", form_data(key="1234567"), REMOTE_ADDR="203.0.113.70").status_code == 303
    assert not [record for record in caplog.records if "no client address" in record.getMessage()]
