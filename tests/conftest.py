"""Small fixtures shared by the whole suite: a site on a BeyondTrust backend, issues, fields."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.core.cache import cache

from portal import guards
from portal.analytics import counters
from portal.log import RaisedExceptionFilter
from portal.models import Backend, CustomField, Issue, Site
from portal.webhooks.models import Endpoint
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.fakes.takecontrol import FakeTakeControlServer

APPLIANCE = "https://support.example.com"
WEBHOOK_SECRET = "whsec_test-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _fresh_cache():
    counters.flush()  # views an earlier test tallied go to the cache, which is cleared next
    cache.clear()
    yield
    cache.clear()


def error_mail_filters() -> list[RaisedExceptionFilter]:
    """The error mail's filters as settings.LOGGING configured them (django.request's handler)."""
    handlers = logging.getLogger("django.request").handlers
    return [
        found for handler in handlers for found in handler.filters if isinstance(found, RaisedExceptionFilter)
    ]


@pytest.fixture(autouse=True)
def _fresh_error_mail_count():
    """Each test's 500s start a fresh window of the error mail's limit (portal/log.py)."""
    for found in error_mail_filters():
        found.clear()


@pytest.fixture
def fake():
    """The fake BeyondTrust appliance (tests/fakes/beyondtrust.py), on 127.0.0.1."""
    with running(FakeBeyondTrust()) as server:
        yield server


@pytest.fixture
def takecontrol_server():
    """A running fake Take Control account (tests/fakes/takecontrol.py)."""
    with running(FakeTakeControlServer()) as server:
        yield server


@pytest.fixture
def endpoint_for(site):
    """Makes a webhook endpoint of the site for a receiver URL, signed with WEBHOOK_SECRET."""

    def make(url: str, **fields) -> Endpoint:
        return Endpoint.objects.create(site=site, url=url, secret=WEBHOOK_SECRET, **fields)

    return make


@pytest.fixture
def backend(db):
    return Backend.objects.create(name="Appliance", kind=Backend.Kind.MODERN, base_url=APPLIANCE)


@pytest.fixture
def site(backend):
    return Site.objects.create(
        name="Acme Support",
        is_default=True,
        backend=backend,
        company_code_field="optional",
        external_key_field="optional",
        warning_text="Only continue if you called us.",
    )


@pytest.fixture
def issues(site):
    printing = Issue.objects.create(
        site=site,
        code_name="printing",
        display_name="Printing",
        order=1,
        priority=1,
        skills="printing,windows",
    )
    vpn = Issue.objects.create(site=site, code_name="vpn", display_name="VPN", order=2, vendor_id=42)
    Issue.objects.create(site=site, code_name="retired", display_name="Old", order=3, active=False)
    return {"printing": printing, "vpn": vpn}


@pytest.fixture
def custom_fields(site, issues):
    asset = CustomField.objects.create(
        site=site, code_name="asset_tag", label="Asset tag", max_length=32, order=1
    )
    model = CustomField.objects.create(
        site=site, code_name="printer_model", label="Printer model", required=True, order=2, max_length=1024
    )
    model.issues.set([issues["printing"]])
    urgency = CustomField.objects.create(
        site=site,
        code_name="urgency",
        label="Urgency",
        order=3,
        field_type=CustomField.Type.CHOICE,
        choices="low|Low\nhigh|High",
        max_length=10,
    )
    return {"asset_tag": asset, "printer_model": model, "urgency": urgency}


def site_on_fake_appliance(fake, **site_fields) -> Site:
    """The default site on a BeyondTrust backend pointed at a fake appliance
    (tests/fakes/beyondtrust.py), with its API credentials: a live representative list."""
    backend = Backend.objects.create(
        name="Lab",
        kind=Backend.Kind.MODERN,
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
    )
    return Site.objects.create(name="Acme Support", is_default=True, backend=backend, **site_fields)


def form_data(**fields) -> dict:
    """A POST body as the rendered page sends it: a fresh signed timestamp, empty honeypot."""
    return {guards.TIMESTAMP_FIELD: guards.form_timestamp(), guards.HONEYPOT_FIELD: "", **fields}


def query_of(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def start_address(response) -> str:
    """The vendor address a start sends the customer to: a 303's Location, or, for an address
    too long for a header, the "Almost there" page's button (views/base.py, LOCATION_MAX_CHARS);
    which one is decided by the address's length alone."""
    from portal.views.base import LOCATION_MAX_CHARS
    from tests.parsed_html import element

    if response.status_code == 303:
        url = response["Location"]
        assert len(url) <= LOCATION_MAX_CHARS, len(url)
        return url
    assert response.status_code == 200, response.status_code
    link = element(response.content.decode(), "a", id="start-link")
    assert link.attrs["target"] == "_top" and len(link.attrs["href"]) > LOCATION_MAX_CHARS
    return link.attrs["href"]


@pytest.fixture
def wsgi_keeps_test_connection():
    """For tests that call the real WSGIHandler, not the test client: at the end of each
    request it runs close_old_connections, which closes the connection holding the test's
    transaction on PostgreSQL (SQLite's in-memory test database ignores the close). Django's
    own test client leaves the handler out in the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# A Site's admin change form with every required field, as the admin's own form posts it.
SITE_ADMIN_FORM = {
    "is_default": "on",
    "color_scheme": "light",
    "primary_color": "#1a5fb4",
    "text_color": "#1d1d1f",
    "background_color": "#f6f7f9",
    "warning_text": "",
    "name_field": "required",
    "company_field": "optional",
    "company_code_field": "hidden",
    "details_field": "required",
    "email_field": "optional",
    "customer_number_field": "hidden",
    "external_key_field": "hidden",
    "default_language": "en-us",
    "chat_mode": "off",
    "rep_list_ttl": "30",
    "time_zone": "UTC",
    "retention_days": "90",
    "show_session_key": "on",
    "show_survey": "on",
    "hostnames-TOTAL_FORMS": "0",
    "hostnames-INITIAL_FORMS": "0",
    "opening_hours-TOTAL_FORMS": "0",
    "opening_hours-INITIAL_FORMS": "0",
    "holidays-TOTAL_FORMS": "0",
    "holidays-INITIAL_FORMS": "0",
    "translations-TOTAL_FORMS": "0",
    "translations-INITIAL_FORMS": "0",
}


def save_site_in_admin(admin_client, site, *, follow=False, **fields):
    """POST the site's admin change form: SITE_ADMIN_FORM with the site's name and backend,
    changed by `fields`."""
    from django.urls import reverse

    data = {**SITE_ADMIN_FORM, "name": site.name, "backend": site.backend_id, **fields}
    return admin_client.post(reverse("admin:portal_site_change", args=[site.pk]), data, follow=follow)


def run_portal_bootstrap(monkeypatch, env: dict) -> str:
    """`manage.py portal_bootstrap` with exactly `env` as its BEYONDTRUST_* / TAKECONTROL_*
    variables (any others the machine has are removed first); returns what it printed."""
    import io
    import os

    from django.core.management import call_command

    for name in [name for name in os.environ if name.startswith(("BEYONDTRUST_", "TAKECONTROL_"))]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    call_command("portal_bootstrap", stdout=out)
    return out.getvalue()
