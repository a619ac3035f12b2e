"""Start webhooks end to end against real receivers on 127.0.0.1: the event written with the
start, delivered by the worker on the real database backend, signed as the receiver checks it
with its own HMAC code, retried with back-off, given up after a day
(docs/integrations/webhooks.md, docs/decisions/0071-webhook-retries-and-exactly-one-sender.md)."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import socket
import time
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portal.models import StartRequest
from portal.webhooks import services
from portal.webhooks.models import Attempt, Delivery, Endpoint, Event
from tests.conftest import WEBHOOK_SECRET as SECRET
from tests.conftest import form_data
from tests.fakes.receiver import receiver, tls_receiver
from tests.fakes.server import running
from tests.webhooks.conftest import run_worker

pytestmark = pytest.mark.django_db

SURVEY = {
    "issue": "printing",
    "name": "Jane Doe",
    "company": "Acme",
    "details": "Printer offline",
    "cf_printer_model": "HP 4000",
    "external_key": "INC0012345",
}


def independent_verify(*, secret: str, header: str, body: bytes, now: float) -> bool:
    """A receiver's own check, written from the documented recipe with hashlib and hmac only."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = fields["t"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(now - int(timestamp)) <= 300


def survey_start(client):
    response = client.post("/survey/", form_data(**SURVEY))
    assert response.status_code == 303
    return StartRequest.objects.get()


def test_a_start_is_delivered_signed_with_the_documented_headers_and_body(
    client, site, issues, custom_fields, endpoint_for
):
    with running(receiver()) as server:
        endpoint = endpoint_for(server.base_url + "/hooks/portal?tenant=7")
        record = survey_start(client)
        delivery = Delivery.objects.get()
        assert delivery.status == Delivery.Status.PENDING and server.calls() == []  # off the request path
        run_worker()
        assert server.wait_for_requests(1)

    [request] = server.calls()
    assert request.method == "POST" and request.path == "/hooks/portal" and request.query == {"tenant": ["7"]}
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "SupportPortal-Webhooks/1"
    assert request.headers["portal-event"] == "start.started"
    body = json.loads(request.body)
    assert request.headers["portal-delivery"] == body["id"] == delivery.event_id
    assert independent_verify(
        secret=SECRET, header=request.headers["portal-signature"], body=request.body, now=time.time()
    )
    assert not independent_verify(
        secret="wrong", header=request.headers["portal-signature"], body=request.body, now=time.time()
    )
    assert body["id"].startswith("evt_") and len(body["id"]) == 36
    assert body["type"] == "start.started"
    assert body["site"] == {"id": site.pk, "name": "Acme Support", "hostname": ""}
    assert body["flow"] == "survey" and body["issue"] == "printing"
    assert body["outcome"] == "started" and body["language"] == "en-us"
    assert body["external_key"] == "INC0012345" and body["start_request_id"] == record.pk
    assert body["created"] == record.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["test"] is False
    assert "customer" not in body  # the site keeps no customer data
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 1
    assert delivery.last_status_code == 200 and delivery.next_attempt_at is None
    [attempt] = delivery.attempt_log.all()
    assert attempt.status_code == 200 and attempt.response_excerpt == "ok"
    assert attempt.latency_ms is not None and attempt.latency_ms < 2000
    assert endpoint.deliveries.count() == 1


def test_an_events_time_is_written_in_utc_to_the_second_with_z(client, site, issues, endpoint_for, settings):
    """`created` as docs/integrations/webhooks.md and the README show it ("Z"; the API writes
    "+00:00"): receivers parse it, so the form must not drift. A start at 11:00:00.654 in
    Berlin is sent as 10:00:00 UTC."""
    settings.TIME_ZONE = "Europe/Berlin"
    with running(receiver()) as server:
        endpoint_for(server.base_url + "/hooks")
        with time_machine.travel(
            datetime(2026, 12, 2, 11, 0, 0, 654321, tzinfo=ZoneInfo("Europe/Berlin")), tick=False
        ):
            survey_start(client)
        run_worker()
        assert server.wait_for_requests(1)
    [request] = server.calls()
    assert json.loads(request.body)["created"] == "2026-12-02T10:00:00Z"


def test_customer_fields_only_when_the_site_keeps_customer_data(
    client, site, issues, custom_fields, endpoint_for
):
    site.keep_personal_data = True
    site.save()
    site.hostnames.create(hostname="support.acme.example")
    with running(receiver()) as server:
        endpoint_for(server.base_url + "/hooks")
        survey_start(client)
        run_worker()
        assert server.wait_for_requests(1)
    body = server.calls()[0].json
    assert body["site"]["hostname"] == "support.acme.example"
    # (A BeyondTrust survey asks no email address: that field is Take Control's.)
    assert body["customer"] == {
        "name": "Jane Doe",
        "company": "Acme",
        "details": "Printer offline",
        "custom": {"printer_model": "HP 4000"},
    }
    assert body["external_key"] == "INC0012345"


def test_refused_and_failed_starts_send_their_own_events_to_subscribed_endpoints(
    client, site, issues, endpoint_for
):
    with running(receiver()) as refused, running(receiver()) as everything:
        endpoint_for(refused.base_url + "/r", events=["start.refused"])
        endpoint_for(everything.base_url + "/all")
        endpoint_for(everything.base_url + "/off", active=False)
        # An invalid key, from a help desk's prefill link with its ticket number.
        assert client.post("/key/", form_data(key="12", external_key="INC-REFUSED")).status_code == 200
        assert client.post("/key/", form_data(key="1234567")).status_code == 303
        run_worker()
        assert refused.wait_for_requests(1) and everything.wait_for_requests(2)
    assert [r.headers["portal-event"] for r in refused.calls()] == ["start.refused"]
    assert sorted(r.headers["portal-event"] for r in everything.calls()) == ["start.refused", "start.started"]
    assert {r.path for r in everything.calls()} == {"/all"}
    refused_body = refused.calls()[0].json
    assert refused_body["outcome"] == "invalid" and refused_body["flow"] == "key"
    # The ticket the help desk must find (an integrator's walk-through: it was always ""), and
    # nothing of the customer's where the site keeps no customer data.
    assert refused_body["external_key"] == "INC-REFUSED"
    assert "customer" not in refused_body


def test_no_endpoint_writes_no_event(client, site):
    assert client.post("/key/", form_data(key="1234567")).status_code == 303
    assert Event.objects.count() == 0 and DBTaskResult.objects.count() == 0


def test_500_then_success_retries_after_the_back_off_with_the_same_delivery_id(client, site, endpoint_for):
    with running(receiver(500)) as server:
        server.state["body"] = "x" * 5000  # the excerpt is capped
        endpoint_for(server.base_url + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        delivery = Delivery.objects.get()
        run_worker()
        delivery.refresh_from_db()
        assert delivery.status == Delivery.Status.PENDING and delivery.attempts == 1
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        wait = delivery.next_attempt_at - timezone.now()
        assert timedelta(seconds=23) < wait <= timedelta(seconds=36)  # 30 s +-20 %
        run_worker()  # not due yet: nothing is sent
        assert len(server.calls()) == 1
        with time_machine.travel(timezone.now() + timedelta(seconds=40), tick=False):
            run_worker()
        assert server.wait_for_requests(2)
    first, second = server.calls()
    assert first.headers["portal-delivery"] == second.headers["portal-delivery"] == delivery.event_id
    assert first.body == second.body
    assert independent_verify(
        secret=SECRET, header=second.headers["portal-signature"], body=second.body, now=time.time() + 40
    )
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    attempts = list(delivery.attempt_log.all())
    assert [a.status_code for a in attempts] == [500, 200]
    assert len(attempts[0].response_excerpt) == 1024


def test_a_hanging_receiver_times_out_and_is_retried(client, site, endpoint_for, settings):
    settings.PORTAL_WEBHOOKS_READ_TIMEOUT = 0.3
    with running(receiver()) as server:
        endpoint_for(server.base_url + "/hooks")
        server.hang()
        client.post("/key/", form_data(key="1234567"))
        run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.last_status_code is None
    assert delivery.last_error == "No answer within 0.3 s"
    assert delivery.attempt_log.get().latency_ms >= 300


def test_connection_refused_is_retried(client, site, endpoint_for):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint_for(f"http://127.0.0.1:{port}/hooks")
    client.post("/key/", form_data(key="1234567"))
    run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING and delivery.last_error == "Connection refused"


def test_an_untrusted_certificate_is_refused(client, site, endpoint_for):
    with tls_receiver() as (server, url):
        endpoint_for(url)
        client.post("/key/", form_data(key="1234567"))
        run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.PENDING
    assert delivery.last_error == "TLS error: the receiver's certificate was not accepted"
    assert server.calls() == []  # the handshake failed: no request was read


def test_https_to_a_plain_http_port_is_a_tls_error(client, site, endpoint_for):
    with running(receiver()) as server:
        endpoint_for(server.base_url.replace("http://", "https://") + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        run_worker()
    assert Delivery.objects.get().last_error.startswith("TLS error")


def test_given_up_when_the_next_try_would_be_more_than_a_day_after_the_event(client, site, endpoint_for):
    with running(receiver(*[503] * 30)) as server:
        endpoint_for(server.base_url + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        event = Event.objects.get()
        moments = []
        now = timezone.now()
        with time_machine.travel(now, tick=False) as clock:
            for _ in range(30):
                delivery = Delivery.objects.get()
                if delivery.status != Delivery.Status.PENDING:
                    break
                clock.move_to(delivery.next_attempt_at)
                moments.append(delivery.next_attempt_at)
                run_worker()
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED and delivery.next_attempt_at is None
    assert len(server.calls()) == delivery.attempts == len(moments)
    assert moments[-1] - event.created_at <= timedelta(hours=24)
    gaps = [(b - a).total_seconds() for a, b in pairwise(moments)]
    assert all(gap >= earlier * 1.3 or gap >= 6 * 3600 * 0.8 for earlier, gap in pairwise(gaps))
    assert 10 <= delivery.attempts <= 16


def test_retry_delays_double_from_30_seconds_and_stop_growing_at_6_hours():
    fixed = random.Random(1)
    fixed.uniform = lambda a, b: 1.0
    assert [services.retry_delay(n, rng=fixed).total_seconds() for n in (1, 2, 3, 4, 10, 11, 12)] == [
        30,
        60,
        120,
        240,
        15360,
        21600,
        21600,
    ]
    spread = {services.retry_delay(1, rng=random.Random(seed)).total_seconds() for seed in range(50)}
    assert min(spread) >= 24 and max(spread) <= 36 and len(spread) > 40


def test_two_workers_cannot_send_the_same_attempt(client, site, endpoint_for):
    with running(receiver()) as server:
        endpoint_for(server.base_url + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        delivery = Delivery.objects.get()
        # A second copy of the task (a duplicate enqueue) and the first one both run.
        from portal.webhooks.tasks import deliver_webhook

        deliver_webhook.enqueue(delivery.pk)
        run_worker()
        assert server.wait_for_requests(1)
    assert len(server.calls()) == 1
    assert Attempt.objects.count() == 1
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == ["delivered", "skipped"]


def test_a_delivery_claimed_by_another_worker_is_not_sent(client, site, endpoint_for):
    with running(receiver()) as server:
        endpoint_for(server.base_url + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        Delivery.objects.update(
            status=Delivery.Status.SENDING, attempts=1, lease_until=timezone.now() + timedelta(minutes=1)
        )
        run_worker()
        assert server.calls() == []
        # The lease runs out (that worker died): requeue sends it again, same id, attempt 2.
        with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
            assert services.requeue_lost() == 1
            run_worker()
        assert server.wait_for_requests(1)
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.DELIVERED and delivery.attempts == 2
    assert [a.error[:4] for a in delivery.attempt_log.all()] == ["Lost", ""]


def test_an_endpoint_switched_off_before_delivery_gets_nothing(client, site, endpoint_for):
    with running(receiver()) as server:
        endpoint = endpoint_for(server.base_url + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        Endpoint.objects.filter(pk=endpoint.pk).update(active=False)
        run_worker()
    assert server.calls() == []
    assert Delivery.objects.get().status == Delivery.Status.CANCELLED


def test_private_addresses_are_refused_unless_allowed(client, site, endpoint_for, settings):
    settings.PORTAL_WEBHOOKS_ALLOW_PRIVATE = False
    with running(receiver()) as server:
        # Saved while allowed (as a dev set-up would), then delivered under the production rule.
        endpoint_for(server.base_url.replace("127.0.0.1", "localhost") + "/hooks")
        client.post("/key/", form_data(key="1234567"))
        run_worker()
    assert server.calls() == []
    delivery = Delivery.objects.get()
    assert delivery.status == Delivery.Status.FAILED  # a policy refusal is not retried
    assert delivery.last_error.startswith("Refused: 127.0.0.1 is not a public address")


def test_a_refused_address_says_nothing_about_its_ports():
    """Under the production rule an open and a closed port of a private address read the same
    in the delivery log: no connection is tried, so the log is no port scanner."""
    from portal.webhooks import transport

    with running(receiver()) as server:
        port = server.server_address[1]
        outcomes = [
            transport.post(
                url=f"https://127.0.0.1:{p}/", body=b"{}", headers={}, timeout=(1, 1), allow_private=False
            )
            for p in (port, 9)
        ]
        assert server.calls() == []
    assert outcomes[0].error == outcomes[1].error
    assert outcomes[0].error.startswith("Refused: 127.0.0.1 is not a public address")


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::a9fe:a9fe",
        "64:ff9b::7f00:1",
        "2002:a00:5::1",
        "::10.0.0.5",
        # The local-use NAT64 prefix (RFC 8215) puts the IPv4 address where the operator's
        # prefix length says (here /48 and /96): the whole /48 is reserved, never a receiver's.
        "64:ff9b:1:a9fe:a9:fe00::",
        "64:ff9b:1::a9fe:a9fe",
        "::ffff:0:a9fe:a9fe",  # SIIT's IPv4-translated form (RFC 2765)
    ],
)
def test_an_ipv4_address_inside_ipv6_is_refused_as_the_ipv4_address(address):
    """NAT64 (64:ff9b::/96), 6to4 (2002::/16) and IPv4-compatible addresses carry an IPv4
    address that a translator or relay takes the request on to: cloud metadata, the portal's
    own network. Python calls them global; the guard judges the IPv4 address inside."""
    from portal.webhooks import transport

    outcome = transport.post(
        url=f"https://[{address}]/hooks", body=b"{}", headers={}, timeout=(1, 1), allow_private=False
    )
    assert outcome.final and outcome.error.startswith("Refused: ")
    assert "is not a public address" in outcome.error
    assert not transport.is_public_address(address)
    assert transport.is_public_address("64:ff9b::5db8:d822")  # 93.184.216.34 through NAT64: public


def test_the_start_survives_a_broken_webhook_table(client, site, endpoint_for):
    """A database error while writing the event (caught as DatabaseError) leaves the
    customer's start alone."""
    from django.db import connection

    endpoint_for("http://127.0.0.1:9/hooks")
    with connection.cursor() as cursor:
        # CASCADE: PostgreSQL refuses to drop a table other tables' foreign keys name; the
        # test's transaction undoes it.
        cursor.execute(
            "DROP TABLE webhooks_delivery" + (" CASCADE" if connection.vendor == "postgresql" else "")
        )
    response = client.post("/key/", form_data(key="1234567"))
    assert response.status_code == 303
    assert StartRequest.objects.count() == 1 and Event.objects.count() == 0


def test_portal_purge_deletes_events_past_the_sites_retention(client, site, endpoint_for):
    import io

    from django.core.management import call_command

    site.retention_days = 30
    site.save()
    endpoint_for("http://127.0.0.1:9/hooks")
    client.post("/key/", form_data(key="1234567"))
    with time_machine.travel(timezone.now() + timedelta(days=29), tick=False):
        call_command("portal_purge", stdout=io.StringIO())
        assert Event.objects.count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        out = io.StringIO()
        call_command("portal_purge", stdout=out)
    assert "1 start record(s) and 1 webhook event(s)" in out.getvalue()
    assert Event.objects.count() == Delivery.objects.count() == 0
