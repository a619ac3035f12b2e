"""The guides' webhook receivers accept the portal's real signature
(`portal.webhooks.signing.signature_header`) and refuse a tampered body, a wrong secret and
a stale timestamp; they handle a retried delivery once and let a failed one be retried
(docs/integrations/webhooks.md)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine

from portal.conf import PortalSettings
from portal.models import StartRequest
from portal.webhooks import signing
from portal.webhooks.models import EventType
from portal.webhooks.services import event_body, headers_for
from portal.webhooks.signing import signature_header, verify
from tests.integrations.conftest import (
    WEBHOOK_SECRET,
    body_of,
    deliver,
    event,
    now,
    signature_cases,
)
from tests.integrations.snippets import (
    GUIDES,
    NODE,
    SHIMS,
    import_python,
    needs_node,
    run_node,
    snippet,
    write,
)

COVERED = {
    "webhooks.md": {
        "portal_webhook.py",
        "receiver.py",
        "verify-portal-signature.js",
        "portal-webhook-server.js",
        "delivery-headers.http",
        "start-event.json",
    },
    "zendesk.md": {"zendesk_note.py"},
    "freshdesk.md": {"freshdesk_note.py"},
    "servicenow.md": {"servicenow-signature.js", "servicenow-webhook.js"},
    "jira-service-management.md": {"jsm-index.mjs"},
}

CASES = signature_cases(now())
IDS = [what for what, _case, _accepted in CASES]


def test_the_cases_are_the_portals_own_verdicts():
    """The expectations below are what the portal's own verifier says of each case."""
    for what, case, accepted in CASES:
        assert (
            verify(secret=case["secret"], header=case["header"], body=case["body"].encode(), now=case["now"])
            is accepted
        ), what


def test_the_example_delivery_is_signed_as_the_portal_signs():
    headers = dict(
        line.split(": ", 1) for line in snippet("webhooks.md", "delivery-headers.http").splitlines()[1:]
    )
    body = snippet("webhooks.md", "start-event.json").rstrip("\n").encode()
    document = json.loads(body)
    assert headers["Portal-Delivery"] == document["id"] and headers["Portal-Event"] == document["type"]
    timestamp = int(re.match(r"t=(\d+),", headers["Portal-Signature"]).group(1))
    assert headers["Portal-Signature"] == signature_header(
        secret="whsec_example", body=body, timestamp=timestamp
    )
    # Every header the sender writes, by its name and with its value: a receiver reads them.
    sent = headers_for(
        event=SimpleNamespace(type=document["type"], pk=document["id"]),
        secret="whsec_example",
        body=body,
        timestamp=timestamp,
    )
    assert headers == sent
    assert set(document) == set(event())


def test_the_senders_numbers_are_the_portals():
    """What webhooks.md says of the sender (events, flows, timeouts, retries) is what the
    portal does by default."""
    text = " ".join((GUIDES / "webhooks.md").read_text(encoding="utf-8").split())
    conf = PortalSettings

    def seconds(value: float) -> str:
        return f"{value / 3600:g} h" if value >= 3600 else f"{value:g} s"

    said = [
        f"waits {seconds(conf.WEBHOOKS_CONNECT_TIMEOUT.default)} to connect",
        f"{seconds(conf.WEBHOOKS_READ_TIMEOUT.default)} for the answer",
        f"{seconds(conf.WEBHOOKS_RETRY_BASE.default)} after the first failure",
        f"up to {seconds(conf.WEBHOOKS_RETRY_MAX_DELAY.default)} between tries",
        f"until {seconds(conf.WEBHOOKS_RETRY_HOURS.default * 3600)} after the event",
        *(f"| `{event_type}` |" for event_type in EventType.values),
    ]
    assert [phrase for phrase in said if phrase not in text] == []
    [flows] = re.findall(r"`flow` is ((?:`\w+`(?:, | or ))+`\w+`)", text)
    assert set(re.findall(r"`(\w+)`", flows)) == set(StartRequest.Flow.values)


def test_the_guides_event_has_every_key_the_portal_sends(site):
    """The sample in webhooks.md and the receivers' test event name what the sender writes."""
    site.keep_personal_data = True
    real = json.loads(
        event_body(
            event_id="evt_" + "0" * 32,
            event_type="start.started",
            created=datetime(2026, 12, 2, 10, tzinfo=UTC),
            site=site,
            flow="survey",
            issue="printing",
            outcome="started",
            language="de",
            external_key="INC0012345",
            start_request_id=123,
            customer={"name": "Jane Doe"},
        )
    )
    assert set(real) == set(event())
    assert set(real["site"]) == set(event()["site"])


def test_each_events_outcomes_are_the_ones_the_portal_maps_to_it():
    """The events table names, for each event, every `outcome` the sender files under it."""
    from portal.webhooks.services import EVENT_FOR_OUTCOME

    text = (GUIDES / "webhooks.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(start\.\w+)` \| (.+) \|$", text, re.M))
    said = {event_type: set(re.findall(r"`outcome` `(\w+)`", row)) for event_type, row in rows.items()}
    sent: dict[str, set[str]] = {}
    for outcome, event_type in EVENT_FOR_OUTCOME.items():
        sent.setdefault(str(event_type), set()).add(str(outcome))
    assert said == sent


def test_the_customer_fields_the_guide_lists_are_the_ones_a_start_keeps():
    """`customer` holds what the start record keeps of the customer (`Customer.as_record`), but
    the external key, which the event carries at its top level."""
    from portal.services import Customer

    text = " ".join((GUIDES / "webhooks.md").read_text(encoding="utf-8").split())
    [listed] = re.findall(r"holds the fields the customer gave \(([^)]*)\)", text)
    everything = Customer(**{name: "x" for name in Customer.__dataclass_fields__ if name != "custom"})
    kept = Customer(**{**everything.__dict__, "custom": (("asset_tag", "x"),)}).as_record()
    assert set(re.findall(r"`(\w+)`", listed)) == set(kept) - {"external_key"}


def test_what_the_guide_says_of_ids_bodies_and_attempts_is_the_senders(site):
    """The delivery id's shape, the tolerance, the body's form, the answer the log keeps and
    the number of attempts a day of retries makes, as the sender has them."""
    from portal.webhooks import transport
    from portal.webhooks.models import new_event_id
    from portal.webhooks.services import retry_delay, retry_window

    text = " ".join((GUIDES / "webhooks.md").read_text(encoding="utf-8").split())
    assert re.fullmatch(r"evt_[0-9a-f]{32}", new_event_id()) and "(`evt_` + 32 hex digits)" in text
    tolerance = signing.DEFAULT_TOLERANCE_SECONDS
    assert f"**{tolerance // 60} minutes** ({tolerance} s)" in text
    assert f"first {transport.EXCERPT_BYTES // 1024} KB of the answer" in text

    class Midpoint:  # the jitter's middle: the schedule the guide counts
        def uniform(self, low, high):
            return (low + high) / 2

    attempts, at = 1, retry_delay(1, rng=Midpoint())
    while at <= retry_window():
        attempts += 1
        at += retry_delay(attempts, rng=Midpoint())
    assert f"About {attempts} attempts in all" in text

    class Lowest:  # the jitter's low end
        def uniform(self, low, high):
            return low

    jitter = 1 - retry_delay(1, rng=Lowest()) / retry_delay(1, rng=Midpoint())
    assert f"between tries, ±{round(jitter * 100)} %" in text

    site.name = "Zoë's desk"
    sent = event_body(
        event_id=new_event_id(),
        event_type="start.started",
        created=datetime(2026, 12, 2, 10, tzinfo=UTC),
        site=site,
        flow="survey",
        issue=None,
        outcome="started",
        language="de",
        external_key="INC0012345",
        start_request_id=123,
        customer=None,
    )
    assert "\n" not in sent and ", " not in sent and '": ' not in sent and "Zoë" in sent
    assert "on one line with no space after `,` or `:`" in text and '(`"Zoë"`, not `"Zo\\u00eb"`)' in text


@pytest.mark.parametrize("guide", ["webhooks.md", "zendesk.md", "freshdesk.md"])
def test_the_gunicorn_command_a_guide_gives_loads_its_receiver(tmp_path, guide):
    """`gunicorn <module>:app`, run where the guide's files are saved under their titles, with
    the environment the module reads, finds the application (gunicorn's --check-config loads
    it, as the server would)."""
    text = (GUIDES / guide).read_text(encoding="utf-8")
    [(module, app)] = re.findall(r"`gunicorn '?(\w+):(\w+)'?`", text)
    write(tmp_path, "webhooks.md", "portal_webhook.py")
    write(tmp_path, guide, f"{module}.py")
    needed = set(re.findall(r"""os\.environ\[["'](\w+)["']\]""", snippet(guide, f"{module}.py")))
    assert "PORTAL_WEBHOOK_SECRET" in needed
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("gunicorn")), "--check-config", f"{module}:{app}"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PORTAL_WEBHOOK_DB": str(tmp_path / "deliveries.sqlite3")}
        | {name: "set" for name in needed},
    )
    assert completed.returncode == 0, completed.stderr


# ------------------------------------------------------------------------------
# Python: portal_webhook.py and the Zendesk and Freshdesk handlers on it
# ------------------------------------------------------------------------------
@pytest.fixture
def python_receivers(tmp_path, monkeypatch, help_desk):
    write(tmp_path, "webhooks.md", "portal_webhook.py", "receiver.py")
    write(tmp_path, "zendesk.md", "zendesk_note.py")
    write(tmp_path, "freshdesk.md", "freshdesk_note.py")
    for name, value in {
        "PORTAL_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PORTAL_WEBHOOK_DB": str(tmp_path / "seen.sqlite3"),
        "ZENDESK_URL": help_desk.base_url,
        "ZENDESK_EMAIL": "agent@acme.example",
        "ZENDESK_API_TOKEN": "zd-token",
        "FRESHDESK_URL": help_desk.base_url,
        "FRESHDESK_API_KEY": "fd-key",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.mark.parametrize("what,case,accepted", CASES, ids=IDS)
def test_python_verify_signature(python_receivers, monkeypatch, what, case, accepted):
    portal_webhook = import_python(python_receivers, "portal_webhook", monkeypatch)
    assert (
        portal_webhook.verify_signature(
            case["secret"], case["header"], case["body"].encode(), now=case["now"]
        )
        is accepted
    )


def test_python_receiver_handles_each_delivery_once_and_lets_failures_retry(
    python_receivers, monkeypatch, serve_wsgi
):
    portal_webhook = import_python(python_receivers, "portal_webhook", monkeypatch)
    handled, failures = [], [RuntimeError("help desk down")]

    def handle(document):
        if failures:
            raise failures.pop()
        handled.append(document["id"])

    url = serve_wsgi(
        portal_webhook.make_app(
            secret=WEBHOOK_SECRET,
            handle=handle,
            deliveries=portal_webhook.Deliveries(str(python_receivers / "d.db")),
        )
    )
    first = event()
    assert deliver(url, first) == (500, "not handled, retry")
    assert deliver(url, first) == (200, "handled")  # the portal's retry: same Portal-Delivery
    assert deliver(url, first) == (200, "already handled")
    assert handled == [first["id"]]
    assert deliver(url, event(id="evt_" + "1" * 32)) == (200, "handled")
    assert deliver(url, first, body=body_of(first) + b" ") == (400, "bad signature")
    assert deliver(url, first, secret="wrong") == (400, "bad signature")
    assert deliver(url, first, timestamp=now() - 3600) == (400, "bad signature")
    assert len(handled) == 2


def test_python_receiver_forgets_a_delivery_only_when_no_retry_can_come(python_receivers, monkeypatch):
    """The ids the receiver keeps do not grow for ever, and none is forgotten while the portal
    may still retry its event (WEBHOOKS_RETRY_HOURS after it, with the last delay's jitter)."""
    portal_webhook = import_python(python_receivers, "portal_webhook", monkeypatch)
    deliveries = portal_webhook.Deliveries(str(python_receivers / "kept.db"))
    last_retry = (
        PortalSettings.WEBHOOKS_RETRY_HOURS.default * 3600 + PortalSettings.WEBHOOKS_RETRY_MAX_DELAY.default
    )
    with time_machine.travel(datetime(2026, 12, 2, 10, tzinfo=UTC), tick=False) as clock:
        assert deliveries.first_time("evt_old")
        clock.shift(last_retry)
        assert not deliveries.first_time("evt_old")  # the latest retry is still a repeat
        clock.shift(2 * 24 * 3600)
        assert deliveries.first_time("evt_new")
        kept = [row[0] for row in deliveries.db.execute("SELECT id FROM delivery")]
    assert kept == ["evt_new"]


def test_receiver_py_runs_the_handler(python_receivers, monkeypatch, serve_wsgi, capsys):
    receiver = import_python(python_receivers, "receiver", monkeypatch)
    url = serve_wsgi(receiver.app)
    assert deliver(url, event()) == (200, "handled")
    assert capsys.readouterr().out == "start.started 4711 survey started\n"


def test_zendesk_receiver_adds_one_private_comment(python_receivers, monkeypatch, serve_wsgi, help_desk):
    zendesk_note = import_python(python_receivers, "zendesk_note", monkeypatch)
    url = serve_wsgi(zendesk_note.app)
    help_desk.state["fail"] = 1
    document = event(type="start.failed", outcome="failed")
    assert deliver(url, document)[0] == 500  # Zendesk answered 500: the portal retries
    assert deliver(url, document) == (200, "handled")
    assert deliver(url, document) == (200, "already handled")
    assert deliver(url, event(id="evt_" + "2" * 32, external_key="")) == (200, "handled")  # no ticket
    assert deliver(url, document, secret="wrong")[0] == 400
    calls = help_desk.calls("/api/v2/tickets/4711.json")
    assert len(calls) == 2 and [c.method for c in calls] == ["PUT", "PUT"]
    assert calls[1].headers["authorization"] == "Basic YWdlbnRAYWNtZS5leGFtcGxlL3Rva2VuOnpkLXRva2Vu"
    comment = calls[1].json["ticket"]["comment"]
    assert comment["public"] is False
    assert comment["body"] == (
        "The customer's remote support session could not be started (flow survey, "
        f"issue printing, language de) at 2026-12-02T10:00:00Z. Portal event {document['id']}."
    )
    assert len(help_desk.calls()) == 2


def test_freshdesk_receiver_adds_one_private_note(python_receivers, monkeypatch, serve_wsgi, help_desk):
    freshdesk_note = import_python(python_receivers, "freshdesk_note", monkeypatch)
    url = serve_wsgi(freshdesk_note.app)
    document = event(external_key="815", issue=None)
    assert deliver(url, document) == (200, "handled")
    assert deliver(url, document) == (200, "already handled")
    assert deliver(url, document, timestamp=now() - 301)[0] == 400
    [call] = help_desk.calls()
    assert (call.method, call.path) == ("POST", "/api/v2/tickets/815/notes")
    assert call.headers["authorization"] == "Basic ZmQta2V5Olg="
    assert call.json == {
        "private": True,
        "body": (
            "The customer started a remote support session (flow survey, issue -, language de) at "
            f"2026-12-02T10:00:00Z. Portal event {document['id']}."
        ),
    }


# ------------------------------------------------------------------------------
# JavaScript: Node's crypto, ServiceNow's ES5, Forge
# ------------------------------------------------------------------------------
def verdicts(results) -> list[tuple[str, bool]]:
    return list(zip(IDS, results, strict=True))


EXPECTED = [(what, accepted) for what, _case, accepted in CASES]


@needs_node
def test_node_verify_portal_signature(tmp_path):
    write(tmp_path, "webhooks.md", "verify-portal-signature.js")
    result = run_node(
        SHIMS / "verify.js",
        str(tmp_path / "verify-portal-signature.js"),
        stdin=json.dumps({"cases": [case for _what, case, _ok in CASES]}),
    )
    assert verdicts(result["results"]) == EXPECTED


@needs_node
def test_servicenow_signature_check(tmp_path):
    write(tmp_path, "servicenow.md", "servicenow-signature.js")
    result = run_node(
        SHIMS / "servicenow.js",
        "verify",
        str(tmp_path / "servicenow-signature.js"),
        stdin=json.dumps({"cases": [case for _what, case, _ok in CASES]}),
    )
    assert verdicts(result["results"]) == EXPECTED


@needs_node
def test_forge_signature_check(tmp_path, forge_app):
    result = run_node(
        forge_app / "jsm.mjs",
        str(forge_app / "jsm-index.mjs"),
        "verify",
        stdin=json.dumps({"cases": [case for _what, case, _ok in CASES]}),
    )
    assert verdicts(result["results"]) == EXPECTED


def signed_request(document, *, secret=WEBHOOK_SECRET, timestamp=None, body=None, lower=False) -> dict:
    signed = body_of(document)
    headers = {
        "Content-Type": "application/json",
        "Portal-Event": document["type"],
        "Portal-Delivery": document["id"],
        "Portal-Signature": signature_header(secret=secret, body=signed, timestamp=timestamp),
    }
    if lower:  # Forge hands headers over in lower case, each a list
        headers = {name.lower(): [value] for name, value in headers.items()}
    return {"headers": headers, "body": (body or signed).decode()}


@needs_node
def test_servicenow_rest_resource_writes_one_work_note(tmp_path):
    write(tmp_path, "servicenow.md", "servicenow-signature.js", "servicenow-webhook.js")
    document = event(
        external_key="INC0012345", type="start.refused", outcome="invalid", flow="key", issue=None
    )
    requests = [
        signed_request(document),
        signed_request(document),  # a retry of a delivery whose answer was lost
        signed_request(document, body=body_of(document).replace(b"INC0012345", b"INC0000001")),
        signed_request(event(id="evt_" + "3" * 32, external_key="INC0012345"), secret="wrong"),
        signed_request(event(id="evt_" + "4" * 32, external_key="INC0012345"), timestamp=now() - 301),
        signed_request(event(id="evt_" + "5" * 32, external_key="INC9999999")),  # no such incident
    ]
    result = run_node(
        SHIMS / "servicenow.js",
        "webhook",
        *(str(tmp_path / name) for name in ("servicenow-signature.js", "servicenow-webhook.js")),
        stdin=json.dumps(
            {
                "properties": {"x_acme_portal.webhook_secret": WEBHOOK_SECRET},
                "tables": {
                    "incident": [{"number": "INC0012345"}, {"number": "INC0000001"}],
                    "u_portal_delivery": [],
                },
                "requests": requests,
            }
        ),
    )
    assert [a["status"] for a in result["answers"]] == [200, 200, 400, 400, 400, 200]
    assert [a["body"] for a in result["answers"]][:2] == [
        {"status": "handled"},
        {"status": "already handled"},
    ]
    incident, other = result["tables"]["incident"]
    assert incident["work_notes"] == [
        "The portal refused the caller's start (invalid input) (flow key, issue -, language de) at "
        f"2026-12-02T10:00:00Z. Portal event {document['id']}."
    ]
    assert "work_notes" not in other
    assert [row["u_delivery"] for row in result["tables"]["u_portal_delivery"]] == [
        document["id"],
        "evt_" + "5" * 32,
    ]


@needs_node
def test_forge_web_trigger_answers_the_admins_test_event_without_a_comment(forge_app, help_desk):
    """The admin's "Send a test event" (`"test": true`, external key TEST-0001, a request key's
    shape) is answered 200 and comments on nothing: a comment on a request TEST-0001 would fail
    in Jira, and the portal would retry it for a day."""
    test_event = event(external_key="TEST-0001", start_request_id=None, test=True)
    env = {
        "PORTAL_URL": "https://support.example.com",
        "PORTAL_PREFILL_SECRET": "unused-here",
        "PORTAL_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FAKE_JIRA_URL": help_desk.base_url,
    }
    result = run_node(
        forge_app / "jsm.mjs",
        str(forge_app / "jsm-index.mjs"),
        "webhook",
        env=env,
        stdin=json.dumps({"requests": [signed_request(test_event, lower=True)]}),
    )
    assert [a["statusCode"] for a in result["answers"]] == [200]
    assert help_desk.calls() == []


@needs_node
def test_forge_web_trigger_adds_one_internal_comment(forge_app, help_desk):
    document = event(external_key="HELP-42")
    help_desk.state["fail"] = 1
    requests = [
        signed_request(document, lower=True),
        signed_request(document, lower=True),
        signed_request(document, lower=True),
        signed_request(document, lower=True, secret="wrong"),
        signed_request(event(id="evt_" + "6" * 32, external_key="4711"), lower=True),
    ]  # not a JSM key
    env = {
        "PORTAL_URL": "https://support.example.com",
        "PORTAL_PREFILL_SECRET": "unused-here",
        "PORTAL_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "FAKE_JIRA_URL": help_desk.base_url,
    }
    # The first call fails in Jira: the function throws, which Forge answers with a 500.
    failed = subprocess.run(
        [NODE, str(forge_app / "jsm.mjs"), str(forge_app / "jsm-index.mjs"), "webhook"],
        input=json.dumps({"requests": requests[:1]}),
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert failed.returncode != 0 and "JSM answered 500" in failed.stderr
    result = run_node(
        forge_app / "jsm.mjs",
        str(forge_app / "jsm-index.mjs"),
        "webhook",
        env=env,
        stdin=json.dumps({"requests": requests[1:]}),
    )
    assert [a["statusCode"] for a in result["answers"]] == [200, 200, 400, 200]
    assert [a["body"] for a in result["answers"]] == [
        "handled",
        "already handled",
        "bad signature",
        "handled",
    ]
    calls = help_desk.calls("/rest/servicedeskapi/request/HELP-42/comment")
    assert len(calls) == 2 and len(help_desk.calls()) == 2
    assert calls[1].json == {
        "public": False,
        "body": (
            "The customer started a remote support session (flow survey, issue printing, language de) at "
            f"2026-12-02T10:00:00Z. Portal event {document['id']}."
        ),
    }


@needs_node
def test_node_receiver_server(tmp_path):
    write(tmp_path, "webhooks.md", "verify-portal-signature.js", "portal-webhook-server.js")
    process = subprocess.Popen(
        [NODE, str(tmp_path / "portal-webhook-server.js")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "PORT": "0", "PORTAL_WEBHOOK_SECRET": WEBHOOK_SECRET},
    )
    try:
        line = process.stdout.readline()  # blocks until the server listens: an event, not a sleep
        port = int(re.fullmatch(r"listening on (\d+)\n", line).group(1))
        url = f"http://127.0.0.1:{port}/portal"
        document = event()
        assert deliver(url, document) == (200, "handled")
        assert json.loads(process.stdout.readline()) == {
            "type": "start.started",
            "ticket": "4711",
            "outcome": "started",
        }
        assert deliver(url, document) == (200, "already handled")
        assert deliver(url, document, body=body_of(document).replace(b"4711", b"4712")) == (
            400,
            "bad signature",
        )
        assert deliver(url, document, secret="wrong") == (400, "bad signature")
        assert deliver(url, document, timestamp=int(time.time()) - 301) == (400, "bad signature")
    finally:
        process.terminate()
        process.wait(timeout=10)
