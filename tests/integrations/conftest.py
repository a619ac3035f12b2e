"""What the guides' snippet tests share: a portal site with a prefill secret, the portal's
real webhook signature over an event as the sender writes it, the cases every verifier must
decide, and the check that a link a snippet made is accepted by the portal."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urlsplit
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.urls import reverse

from portal import prefill
from portal.prefill import signed_part
from portal.webhooks.signing import signature_header
from tests.conftest import form_data, query_of
from tests.fakes.helpdesks import fake_help_desk
from tests.fakes.server import running
from tests.integrations.snippets import SHIMS, portal_path, query_names, write
from tests.parsed_html import elements

PREFILL_SECRET = "prefill-secret-of-the-help-desk"
WEBHOOK_SECRET = "whsec_0a1b2c3d4e5f"
# A name that needs every kind of encoding: RFC 3986's reserved sub-delims, a space, non-ASCII.
REQUESTER = "Zoë O'Brien (Ops)"


@pytest.fixture
def signing_site(site, issues):
    site.prefill_secret = PREFILL_SECRET
    site.save()
    return site


@pytest.fixture
def help_desk():
    with running(fake_help_desk()) as server:
        yield server


# ------------------------------------------------------------------------------
# Links
# ------------------------------------------------------------------------------
class Inputs(HTMLParser):
    """The page's <input> elements by name: their attributes."""

    def __init__(self, html: str):
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("name"):
            self.inputs.setdefault(attributes["name"], attributes)


def page_takes(flow: str, name: str) -> bool:
    """Whether the page a signed link for `flow` opens takes `name` from it, as the portal's
    pages do (portal/prefill.py): the key page its two names; the survey the other built-in
    names and the custom fields; the home page both, by its key form and the survey it leads
    to (docs/decisions/0104-signed-links-to-the-landing-page.md)."""
    custom = name.startswith("cf_") and prefill.is_prefill_name(name)
    takes = {
        "key": name in prefill.KEY_PAGE_NAMES,
        "survey": name in prefill.SURVEY_NAMES or custom,
        "home": name in prefill.KEY_PAGE_NAMES or name in prefill.SURVEY_NAMES or custom,
    }
    assert set(takes) == set(prefill.LINK_PAGES), "a page a link may open that these tests do not know"
    return takes[flow]


def locked_inputs(html: str, expected: dict[str, str]) -> str:
    """Checks the page shows each expected value locked; returns the signed part it carries."""
    inputs = Inputs(html).inputs
    for name, value in expected.items():
        assert inputs[name]["value"] == value, name
        assert "readonly" in inputs[name] or "disabled" in inputs[name], f"{name} is not locked"
    signed = inputs["signed"]["value"]
    assert signed and "sig=" in signed
    return signed


def survey_link_on(html: str) -> str:
    """The home page's way to the survey (it carries the link's query on)."""
    return next(
        a.attrs["href"] for a in elements(html, "a") if a.attrs.get("href", "").startswith("/survey/")
    )


def assert_link_locks(client, url: str, expected: dict[str, str], *, flow: str = "survey") -> None:
    """The portal opens the link on the flow's page and shows its values locked there, and a
    start carries them to the vendor whatever the customer posts for them. A home link is
    followed on: its key form locks what the key page takes, and its survey what the survey
    takes."""
    assert urlsplit(url).path == reverse(prefill.LINK_PAGES[flow])
    assert {n for n in query_names(url) if n not in ("exp", "sig")} == set(expected)
    response = client.get(portal_path(url))
    assert response.status_code == 200
    # From the page itself (a prefill link's page is compiled, not rendered per request:
    # views/prefilled.py); the starts below prove the lock on the server.
    html = response.content.decode()
    if flow in ("key", "home"):
        on_key_form = {k: v for k, v in expected.items() if k in prefill.KEY_PAGE_NAMES}
        signed = locked_inputs(html, on_key_form)
        start = client.post(
            reverse("session_key"), form_data(key="1234567", external_key="NOT-MINE", signed=signed)
        )
        assert start.status_code == 303, start.content.decode()[:2000]
        sent = dict(query_of(start["Location"]))
        assert sent["short_key"] == "1234567"
        assert sent["session.custom.external_key"] == expected["external_key"]
    if flow == "home":
        on_survey = {k: v for k, v in expected.items() if k in prefill.SURVEY_NAMES}
        response = client.get(survey_link_on(html))
        assert response.status_code == 200
        html = response.content.decode()
    if flow in ("survey", "home"):
        signed = locked_inputs(html, on_survey if flow == "home" else expected)
        start = client.post(
            reverse("survey"),
            form_data(
                issue="printing",
                details="Printer offline",
                name="Mallory",
                external_key="NOT-MINE",
                signed=signed,
            ),
        )
        assert start.status_code == 303, start.content.decode()[:2000]
        sent = dict(query_of(start["Location"]))
        assert sent["customer.name"] == expected["name"]
        assert sent["session.custom.external_key"] == expected["external_key"]


def assert_link_locks_nothing(client, url: str, *, flow: str = "survey") -> None:
    """The portal refuses the link's signature: its values are ordinary, editable prefills on
    the flow's page (and, from the home page, on the survey), nothing signed travels with the
    form, and a start carries what the customer posts."""
    response = client.get(portal_path(url))
    assert response.status_code == 200
    html = response.content.decode()
    pages = [(html, reverse("survey") if flow == "survey" else reverse("session_key"))]
    if flow == "home":
        pages.append((client.get(survey_link_on(html)).content.decode(), reverse("survey")))
    for page, action in pages:
        inputs = Inputs(page).inputs
        assert inputs["external_key"]["value"] == dict(query_of(url))["external_key"]
        for name in ("external_key", "name"):
            if name in inputs:  # still ordinary, editable prefills
                assert "readonly" not in inputs[name] and "disabled" not in inputs[name], name
        assert inputs["signed"].get("value", "") == ""  # nothing signed is carried to the POST
        assert not re.search(r"pf[0-9a-f]{16}", page)  # no slot marker of a compiled page
        start = client.post(
            action,
            form_data(
                key="1234567",
                issue="printing",
                details="Printer offline",
                name="Mallory",
                external_key="MINE",
                signed=signed_part(urlsplit(url).query),
            ),
        )
        assert start.status_code == 303, start.content.decode()[:2000]
        assert dict(query_of(start["Location"]))["session.custom.external_key"] == "MINE"


# ------------------------------------------------------------------------------
# Webhooks
# ------------------------------------------------------------------------------
def event(**changes) -> dict:
    """A start event as the brief for the sender fixes it (docs/integrations/webhooks.md)."""
    return {
        "id": "evt_" + "5e" * 16,
        "type": "start.started",
        "created": "2026-12-02T10:00:00Z",
        "site": {"id": 1, "name": "Acme Support", "hostname": "support.acme.example"},
        "flow": "survey",
        "issue": "printing",
        "outcome": "started",
        "language": "de",
        "external_key": "4711",
        "start_request_id": 123,
        "test": False,
        "customer": {"name": REQUESTER, "email": "zoe@example.com"},
        **changes,
    }


def body_of(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def signature_cases(now: int) -> list[tuple[str, dict, bool]]:
    """(what, {secret, header, body, now}, accepted): every verifier decides these alike."""
    body = body_of(event()).decode()
    good = signature_header(secret=WEBHOOK_SECRET, body=body.encode(), timestamp=now)
    other = signature_header(secret="the-old-secret", body=body.encode(), timestamp=now)

    def case(what, accepted, *, header=good, text=body, at=now):
        return what, {"secret": WEBHOOK_SECRET, "header": header, "body": text, "now": at}, accepted

    return [
        case("the portal's signature", True),
        case("spaces after the comma", True, header=good.replace(",", ", ")),
        case("two v1 while the secret rotates", True, header=other + "," + good.split(",")[1]),
        case("299 seconds old", True, at=now + 299),
        case("tampered body", False, text=body.replace("4711", "4712")),
        case("one byte appended", False, text=body + " "),
        case("wrong secret", False, header=other),
        case("stale timestamp", False, at=now + 301),
        case("timestamp from the future", False, at=now - 301),
        case(
            "timestamp changed, signature kept",
            False,
            header=good.replace(f"t={now}", f"t={now + 1}"),
            at=now,
        ),
        case("no header", False, header=""),
        case("no timestamp", False, header=good.split(",")[1]),
        case("no signature", False, header=good.split(",")[0]),
        case("not hex", False, header=f"t={now},v1=" + "zz" * 32),
        case("upper-case scheme", False, header=good.replace("v1=", "V1=")),
        case("a signature that is not ASCII", False, header=f"t={now},v1=" + "é" * 64),
    ]


def deliver(
    url: str,
    document: dict,
    *,
    secret: str = WEBHOOK_SECRET,
    timestamp: int | None = None,
    body: bytes | None = None,
    delivery: str | None = None,
) -> tuple[int, str]:
    """POSTs one delivery as the portal sends it; (status, answer)."""
    body = body_of(document) if body is None else body
    signed = body_of(document)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SupportPortal-Webhooks/1",
            "Portal-Event": document["type"],
            "Portal-Delivery": delivery or document["id"],
            "Portal-Signature": signature_header(secret=secret, body=signed, timestamp=timestamp),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve_wsgi():
    """Serves a WSGI app on 127.0.0.1 (a real socket, as gunicorn would); yields its URL."""
    servers = []

    def serve(app) -> str:
        server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/portal"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def now() -> int:
    return int(time.time())


@pytest.fixture
def forge_app(tmp_path):
    """The JSM guide's src/index.js beside node_modules with the @forge stand-ins."""
    write(tmp_path, "jira-service-management.md", "jsm-index.mjs")
    for package, shim in (("api", "forge-api.mjs"), ("kvs", "forge-kvs.mjs")):
        folder = tmp_path / "node_modules" / "@forge" / package
        folder.mkdir(parents=True)
        shutil.copy(SHIMS / shim, folder / "index.mjs")
        (folder / "package.json").write_text(
            json.dumps({"name": f"@forge/{package}", "type": "module", "exports": "./index.mjs"})
        )
    shutil.copy(SHIMS / "jsm.mjs", tmp_path / "jsm.mjs")
    return tmp_path
