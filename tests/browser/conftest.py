"""Browser tests: headless Chromium from Debian driven by Playwright, the portal on a live server.

Besides the portal (always http://127.0.0.1:<port>) two tiny loopback servers play the outside
world: a help-desk page that embeds the portal from another origin (http://localhost:<port>),
and a fake appliance the browser really navigates to at the end of a flow.

Everything here is skipped, with the reason, when Chromium, Playwright or axe-core is missing:
CI installs them (Debian `chromium`, the `browser` extra, `npm ci --prefix tests/browser`).
"""

from __future__ import annotations

import importlib.util
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from portal.models import Backend, CustomField, Department, FieldMode, Issue, Site, Technician
from tests.fakes.takecontrol import takecontrol_backend

CHROMIUM = Path(os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium"))
# Never let Playwright fetch a browser of its own: Debian's Chromium is the one we drive.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Blocks third-party cookies, as Safari does and Chrome's phase-out did: the portal in a
    # frame on another site must work without them (it sets none at all).
    "--test-third-party-cookie-phaseout",
]
AXE_JS = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SANDBOX = "allow-forms allow-scripts allow-same-origin allow-top-navigation-by-user-activation allow-popups"
TIMEZONE = "Asia/Tokyo"  # no daylight saving time, so timezone_offset is always 540
TIMEZONE_OFFSET = "540"

# The live server binds IPv4; the portal is 127.0.0.1, the help-desk host page is localhost.
os.environ.setdefault("DJANGO_LIVE_TEST_SERVER_ADDRESS", "127.0.0.1")


def missing_requirement() -> str:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is missing (pip install -e '.[browser]')"
    if not AXE_JS.exists():
        return "axe-core is missing (npm ci --prefix tests/browser)"
    return ""


def pytest_collection_modifyitems(config, items):
    reason = missing_requirement()
    if reason:
        for item in items:
            if item.get_closest_marker("browser"):
                item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


# ------------------------------------------------------------------------------
# The browser
# ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser(django_db_setup, request):
    """Chromium for one test module; Playwright stops before the next module's tests run. A
    module's `CHROMIUM_EXTRA_ARGS` are added to its launch (e.g. a host name mapped to 127.0.0.1).

    Playwright's sync API keeps an event loop in this thread while it runs, and Django's
    async-safety check would refuse the tests' ORM calls (plain synchronous code) next to it.
    The check is off exactly as long as Playwright runs, never for the rest of the suite.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM),
                headless=True,
                args=CHROMIUM_ARGS + list(getattr(request.module, "CHROMIUM_EXTRA_ARGS", ())),
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def context(browser):
    """A fresh browser profile per test, in Tokyo's time zone and English."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, timezone_id=TIMEZONE, locale="en-US"
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


# ------------------------------------------------------------------------------
# The portal, and the world around it
# ------------------------------------------------------------------------------
class LoopbackServer:
    """A tiny HTTP server on 127.0.0.1: serves the pages put in `pages`, records every GET."""

    def __init__(self):
        self.pages: dict[str, tuple[str, dict[str, str]]] = {}
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                server.paths.append(self.path)
                body, headers = server.pages.get(
                    urlsplit(self.path).path,
                    (
                        "<!doctype html><html lang='en'><title>Fake appliance</title><h1>Fake appliance</h1>",
                        {},
                    ),
                )
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def loopback_server():
    server = LoopbackServer()
    yield server
    server.stop()


@pytest.fixture
def appliance(loopback_server):
    """A fake BeyondTrust appliance at http://127.0.0.1:<port>; `.paths` lists what it got."""
    loopback_server.paths.clear()
    loopback_server.url = f"http://127.0.0.1:{loopback_server.port}"
    return loopback_server


@pytest.fixture
def help_desk(loopback_server):
    """The help desk's own site, on another origin: http://localhost:<port>."""
    loopback_server.origin = f"http://localhost:{loopback_server.port}"
    return loopback_server


@pytest.fixture
def portal_url(live_server, transactional_db):
    return live_server.url.replace("localhost", "127.0.0.1")


@pytest.fixture
def make_site(portal_url):
    """Creates the default site: issues, custom fields of each kind, consent and chat choice."""

    def make(
        *,
        kind: str = Backend.Kind.PREVIEW,
        base_url: str = "https://support.example.com",
        frame_ancestors: str = "",
        **site_fields,
    ) -> Site:
        backend = Backend.objects.create(name="Appliance", kind=kind, base_url=base_url)
        fields = {
            "name": "Acme Support",
            "is_default": True,
            "backend": backend,
            "show_rep_list": False,
            "company_code_field": "optional",
            "external_key_field": "optional",
            "external_key_label": "Ticket number",
            "chat_mode": Site.ChatMode.CHOICE,
            "consent_text": "A technician will see your screen while you watch.",
            "enabled_languages": ["en-us", "de", "ja"],
            "frame_ancestors": frame_ancestors,
            **site_fields,
        }
        site = Site.objects.create(**fields)
        printing = Issue.objects.create(
            site=site,
            code_name="printing",
            display_name="Printing problems",
            order=1,
            priority=2,
            skills="printing,windows",
        )
        Issue.objects.create(
            site=site, code_name="vpn", display_name="VPN and remote access", order=2, vendor_id=42
        )
        Issue.objects.create(site=site, code_name="other", display_name="Something else", order=3)
        CustomField.objects.create(
            site=site,
            code_name="asset_tag",
            label="Asset tag",
            max_length=32,
            order=1,
            help_text="The sticker on your computer, e.g. LT-4471.",
        )
        model = CustomField.objects.create(
            site=site,
            code_name="printer_model",
            label="Printer model",
            max_length=100,
            order=2,
            required=True,
        )
        model.issues.set([printing])
        CustomField.objects.create(
            site=site,
            code_name="urgency",
            label="How urgent is it?",
            order=3,
            field_type=CustomField.Type.CHOICE,
            max_length=10,
            required=True,
            choices="low|I can wait\nhigh|I cannot work",
        )
        CustomField.objects.create(
            site=site,
            code_name="restart_ok",
            label="May we restart your computer?",
            order=4,
            field_type=CustomField.Type.YES_NO,
            max_length=3,
        )
        return site

    return make


@pytest.fixture
def make_rep_site(make_site, fake):
    """make_site on the fake appliance (`fake`, tests/conftest.py), with API credentials: a live
    representative list."""

    def make(**site_fields) -> Site:
        site = make_site(kind=Backend.Kind.MODERN, base_url=fake.base_url, show_rep_list=True, **site_fields)
        Backend.objects.filter(pk=site.backend_id).update(
            client_id=fake.client_id, client_secret=fake.client_secret
        )
        cache.clear()  # a queryset update skips the signal that retires cached sites
        return Site.objects.get(pk=site.pk)

    return make


@pytest.fixture
def make_tc_site(portal_url, takecontrol_server, appliance):
    """A Take Control site on the fake account; PINs go to the loopback appliance's /pin/."""

    def make(*, mode: str = Backend.TakeControlMode.REDIRECT, **site_fields) -> Site:
        backend = takecontrol_backend(
            takecontrol_server.rest_url,
            tc_ask_customer_info=True,
            tc_mode=mode,
            tc_pin_url_template=f"{appliance.url}/pin/{{pin}}",
        )
        site = Site.objects.create(
            **{
                "name": "Acme Support",
                "is_default": True,
                "backend": backend,
                "show_rep_list": True,
                "email_field": FieldMode.OPTIONAL,
                "customer_number_field": FieldMode.OPTIONAL,
                "consent_text": "A technician will see your screen while you watch.",
                "warning_text": "Only continue if you contacted us yourself.",
                "enabled_languages": ["en-us", "de", "ja"],
                **site_fields,
            }
        )
        helpdesk = Department.objects.create(backend=backend, name="Help desk", department_id=1234)
        tess = Technician.objects.create(
            backend=backend, display_name="Tess", username="tess.private@example.com", listed=False
        )  # routes the printing issue only
        Issue.objects.create(
            site=site,
            code_name="printing",
            display_name="Printing problems",
            order=1,
            department=helpdesk,
            technician=tess,
        )
        Issue.objects.create(site=site, code_name="other", display_name="Something else", order=2)
        Technician.objects.create(
            backend=backend, display_name="Anna K.", username="anna.kowalska@example.com", order=1
        )
        Technician.objects.create(backend=backend, display_name="Ben", username="bsmith@example.com", order=2)
        Technician.objects.create(
            backend=backend, display_name="Off duty", username="offduty@example.com", listed=False
        )
        return site

    return make
