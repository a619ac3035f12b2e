"""Webhook admin: the secret is generated, shown once and never rendered again; the test event
reaches the receiver; the delivery log shows status, latency and the answer
(docs/decisions/0022-write-only-secrets.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from portal.webhooks import services
from portal.webhooks.models import Attempt, Delivery, Endpoint, Event
from tests.fakes.receiver import receiver
from tests.fakes.server import running
from tests.parsed_html import element, elements
from tests.webhooks.conftest import run_worker

pytestmark = pytest.mark.django_db
ADD = reverse_lazy("admin:webhooks_endpoint_add")


def add(admin_client, site, **fields):
    data = {
        "site": site.pk,
        "name": "Zendesk",
        "url": "https://help.example.com/hooks",
        "events": ["start.started", "start.failed"],
        "secret": "",
        "active": "on",
        **fields,
    }
    return admin_client.post(ADD, data, follow=True)


def test_a_generated_secret_is_shown_once_and_never_rendered_again(admin_client, site):
    response = add(admin_client, site)
    endpoint = Endpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    assert endpoint.events == ["start.started", "start.failed"]
    shown = [str(m) for m in response.context["messages"] if endpoint.secret in str(m)]
    assert len(shown) == 1 and "will not be shown again" in shown[0]
    change = admin_client.get(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]))
    assert endpoint.secret not in change.content.decode()
    assert 'placeholder="Stored"' in change.content.decode()
    assert "Leave it empty to keep the stored value." in change.content.decode()
    # Saving with the field empty keeps it; typing one replaces it.
    data = {
        "site": site.pk,
        "name": "Zendesk",
        "url": endpoint.url,
        "events": ["start.refused"],
        "secret": "",
        "active": "on",
    }
    admin_client.post(reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]), data)
    kept = Endpoint.objects.get()
    assert kept.secret == endpoint.secret and kept.events == ["start.refused"]
    admin_client.post(
        reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
        {**data, "secret": "my-own-secret-of-20-chars"},
    )
    assert Endpoint.objects.get().secret == "my-own-secret-of-20-chars"


def test_an_endpoints_secret_is_rotated_to_a_generated_one(admin_client, site):
    """Rotating the secret (webhooks.md: a receiver's secret leaked, or is changed on a
    schedule) needs no secret the admin invents: the change form generates one, shown once,
    as the add form and a site's prefill secret do; a short typed one is told what to do on
    this form, where an empty box keeps the stored secret."""
    add(admin_client, site)
    old = Endpoint.objects.get()
    change = reverse("admin:webhooks_endpoint_change", args=[old.pk])
    data = {"site": site.pk, "name": "Zendesk", "url": old.url, "events": ["start.started"], "active": "on"}
    short = admin_client.post(change, {**data, "secret": "too-short"})
    [message] = short.context["adminform"].form.errors["secret"]
    assert message == "Use at least 16 characters, or tick “Generate a new secret”."
    response = admin_client.post(change, {**data, "secret": "", "generate_secret": "on"}, follow=True)
    new = Endpoint.objects.get().secret
    assert new != old.secret and new.startswith("whsec_")
    shown = [str(m) for m in response.context["messages"] if new in str(m)]
    assert len(shown) == 1 and "will not be shown again" in shown[0]
    both = admin_client.post(change, {**data, "secret": "a-typed-one-0123456789", "generate_secret": "on"})
    assert both.status_code == 200 and Endpoint.objects.get().secret == new
    assert "generate_secret" not in admin_client.get(ADD).content.decode()  # empty generates there


def test_a_typed_secret_is_not_echoed(admin_client, site):
    response = add(admin_client, site, secret="typed-secret-0123456789")
    assert Endpoint.objects.get().secret == "typed-secret-0123456789"
    assert "typed-secret-0123456789" not in response.content.decode()


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://help.example.com/hooks", "Use https"),
        ("https://user:pw@help.example.com/hooks", "without credentials"),
        ("ftp://help.example.com/", "Enter a full URL"),
    ],
)
def test_bad_addresses_are_refused_with_a_message(admin_client, site, url, message):
    response = add(admin_client, site, url=url)
    assert Endpoint.objects.count() == 0
    assert message in " ".join(response.context["adminform"].form.errors["url"])


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/hooks",
        "https://169.254.169.254/latest",
        "http://127.0.0.1:8080/hooks",
        "https://[::1]/hooks",
        # An IPv4 address inside IPv6 (NAT64, 6to4, IPv4-compatible) is the IPv4 address: a
        # NAT64 gateway or a 6to4 relay takes the request on to it.
        "https://[64:ff9b::a9fe:a9fe]/latest",
        "https://[64:ff9b::a00:5]/hooks",
        "https://[2002:a00:5::1]/hooks",
        "https://[::127.0.0.1]/hooks",
        # RFC 8215's local-use NAT64 prefix (a site's own translator, 64:ff9b:1::/48) and the
        # SIIT IPv4-translated form: reserved space, no receiver on the internet has one.
        "https://[64:ff9b:1::a9fe:a9fe]/latest",
        "https://[64:ff9b:1:a9fe:a9:fe00::]/latest",
        "https://[::ffff:0:a9fe:a9fe]/latest",
    ],
)
def test_private_addresses_are_refused_in_production(admin_client, site, settings, url):
    settings.PORTAL_WEBHOOKS_ALLOW_PRIVATE = False
    response = add(admin_client, site, url=url)
    assert Endpoint.objects.count() == 0
    assert "not on the public internet" in " ".join(response.context["adminform"].form.errors["url"])


def test_send_test_event_and_the_delivery_log(admin_client, site):
    with running(receiver()) as server:
        server.state["body"] = "noted on ticket"
        endpoint = Endpoint.objects.create(site=site, url=server.base_url + "/hooks", secret="s" * 20)
        response = admin_client.post(
            reverse("admin:webhooks_endpoint_changelist"),
            {"action": "send_test_event", "_selected_action": [endpoint.pk]},
            follow=True,
        )
        assert "1 test event queued" in " ".join(str(m) for m in response.context["messages"])
        run_worker()
        assert server.wait_for_requests(1)
    body = server.calls()[0].json
    assert body["test"] is True and body["external_key"] == "TEST-0001" and body["start_request_id"] is None
    delivery = Delivery.objects.get()
    log = admin_client.get(
        reverse("admin:webhooks_delivery_changelist"), {"endpoint__id__exact": endpoint.pk}
    )
    assert [d.pk for d in log.context["cl"].result_list] == [delivery.pk]
    page = admin_client.get(reverse("admin:webhooks_delivery_change", args=[delivery.pk])).content.decode()
    assert "noted on ticket" in page and "Delivered" in page
    assert "s" * 20 not in page
    latency = delivery.attempt_log.get().latency_ms
    assert element(element(page, "td", class_="field-latency_ms"), "p").text == str(latency)


def test_form_labels_are_capitalised_like_the_admins_own(admin_client, site):
    from tests.parsed_html import elements

    def labels(url) -> set[str]:
        return {label.text for label in elements(admin_client.get(url).content.decode(), "label")}

    assert {"Events:", "Signing secret:"} <= labels(reverse("admin:webhooks_endpoint_add"))
    assert "Enabled languages:" in labels(reverse("admin:portal_site_change", args=[site.pk]))


def test_endpoints_without_a_name_are_told_apart_by_host_and_path_in_every_admin_list(admin_client, site):
    """An operator's walk-through: two unnamed endpoints on one help desk were both
    "help.example.com" in the delivery log, its filter and the endpoint list. Each shows its
    host and path, never the query where a receiver may take a key."""
    tickets = Endpoint.objects.create(
        site=site, url="https://help.example.com/hooks/tickets?key=RECEIVER-KEY", secret="s" * 20
    )
    chat = Endpoint.objects.create(
        site=site, url="https://help.example.com:8443/hooks/chat/", secret="t" * 20
    )
    named = Endpoint.objects.create(
        site=site, name="Zendesk", url="https://help.example.com/z", secret="u" * 20
    )
    assert [str(e) for e in (tickets, chat, named)] == [
        "help.example.com/hooks/tickets",
        "help.example.com:8443/hooks/chat",
        "Zendesk",
    ]
    for endpoint in (tickets, chat):
        services.send_test_event(endpoint=endpoint)
    log = admin_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    shown = sorted(cell.text for cell in elements(log, "td", class_="field-endpoint"))
    assert shown == ["help.example.com/hooks/tickets", "help.example.com:8443/hooks/chat"]
    filtered = [a.text for a in elements(log, "a") if "endpoint__id__exact=" in a.attrs.get("href", "")]
    assert sorted(filtered) == [
        "Zendesk",
        "help.example.com/hooks/tickets",
        "help.example.com:8443/hooks/chat",
    ]
    listing = admin_client.get(reverse("admin:webhooks_endpoint_changelist")).content.decode()
    assert "help.example.com/hooks/tickets" in listing and "help.example.com:8443/hooks/chat" in listing
    assert "RECEIVER-KEY" not in log  # the endpoint's own list and form show its whole URL, as before
    long_path = Endpoint(url="https://help.example.com/" + "/".join(["segment"] * 10))
    assert str(long_path) == "help.example.com/" + "/".join(["segment"] * 8)[:58] + "…"


def test_an_unnamed_endpoints_admin_name_leaves_out_path_segments_that_are_tokens(site):
    """Slack and Discord put the receiver's secret in the path; anyone who may read the
    delivery log (or the admin history, which keeps names) would read it."""
    slack = Endpoint(url="https://hooks.slack.com/services/T0123ABCD/B0123ABCD/" + "x" * 24)
    discord = Endpoint(url="https://discord.com/api/webhooks/123456789012345678/" + "y" * 68)
    assert str(slack) == "hooks.slack.com/services/T0123ABCD/B0123ABCD/…"
    assert str(discord) == "discord.com/api/webhooks/…/…"
    assert "x" * 24 not in str(slack) and "y" * 68 not in str(discord)


def delivery_log_queries(admin_client, endpoint, rows: int) -> tuple[int, list[str]]:
    """The delivery log's queries with `rows` deliveries of two attempts each, and its latency
    column as shown (sorted)."""
    Delivery.objects.all().delete()
    now = timezone.now()
    for index in range(rows):
        event = Event.objects.create(type="start.started", site=endpoint.site, body="{}", created_at=now)
        delivery = Delivery.objects.create(event=event, endpoint=endpoint, attempts=2)
        Attempt.objects.create(delivery=delivery, number=1, started_at=now, latency_ms=5000 + index)
        Attempt.objects.create(
            delivery=delivery, number=2, started_at=now, latency_ms=None if index == 0 else 100 + index
        )
    url = reverse("admin:webhooks_delivery_changelist")
    admin_client.get(url)  # the first request of a test also reads the sites for its caches
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get(url)
    assert page.status_code == 200
    shown = sorted(cell.text for cell in elements(page.content.decode(), "td", class_="field-last_latency"))
    return len(queries), shown


def test_the_delivery_log_reads_the_last_latency_with_the_page_not_per_row(admin_client, site):
    """Each row shows its last attempt's latency; 20 rows cost no more queries than one."""
    endpoint = Endpoint.objects.create(site=site, url="https://help.example.com/hooks")
    one, shown = delivery_log_queries(admin_client, endpoint, 1)
    assert shown == ["—"]  # the last attempt has no latency: not the first attempt's 5000
    twenty, shown = delivery_log_queries(admin_client, endpoint, 20)
    assert shown == sorted(["—", *(str(100 + index) for index in range(1, 20))])
    assert twenty == one


# The delivery log's times to the second, in each language's own way of writing the admin's
# dates (docs/decisions/0114-admin-dates-per-language.md): a retry 30 s after the first attempt
# read as the same minute.
FIRST_TRY = datetime(2026, 12, 7, 9, 8, 12, tzinfo=UTC)
RETRY = datetime(2026, 12, 7, 9, 8, 42, tzinfo=UTC)


@pytest.fixture
def retrying(site, settings):
    settings.TIME_ZONE = "UTC"
    endpoint = Endpoint.objects.create(site=site, url="https://help.example.com/hooks")
    event = Event.objects.create(type="start.started", site=site, body="{}", created_at=FIRST_TRY)
    delivery = Delivery.objects.create(
        event=event,
        endpoint=endpoint,
        attempts=1,
        status="pending",
        next_attempt_at=RETRY,
        last_status_code=503,
    )
    Delivery.objects.filter(pk=delivery.pk).update(created_at=FIRST_TRY)
    Attempt.objects.create(delivery=delivery, number=1, started_at=FIRST_TRY, status_code=503, latency_ms=40)
    return delivery


@pytest.mark.parametrize(
    ("language", "first_try", "retry"),
    [
        ("en-us", "Dec. 7, 2026, 9:08:12 a.m.", "Dec. 7, 2026, 9:08:42 a.m."),
        ("de", "7. Dezember 2026 09:08:12", "7. Dezember 2026 09:08:42"),
        ("it", "7 dic 2026, 09:08:12", "7 dic 2026, 09:08:42"),
        ("fi", "7. joulukuuta 2026 kello 9.08.12", "7. joulukuuta 2026 kello 9.08.42"),
        ("ja", "2026年12月7日 9:08:12", "2026年12月7日 9:08:42"),
        ("ru", "7 декабря 2026 г. 9:08:12", "7 декабря 2026 г. 9:08:42"),
    ],
)
def test_the_delivery_log_shows_the_next_attempt_to_the_second(
    admin_client, retrying, language, first_try, retry
):
    listed = admin_client.get(
        reverse("admin:webhooks_delivery_changelist"), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert [cell.text for cell in elements(listed, "td", class_="field-next_attempt")] == [retry]
    assert [cell.text for cell in elements(listed, "td", class_="field-created")] == [first_try]
    page = admin_client.get(
        reverse("admin:webhooks_delivery_change", args=[retrying.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()

    def field(name):
        return element(element(page, "div", class_=f"field-{name}"), "div", class_="readonly").text

    assert (field("next_attempt"), field("created"), field("delivered")) == (retry, first_try, "-")
    assert [cell.text.strip() for cell in elements(page, "td", class_="field-started")] == [first_try]


def test_the_delivery_log_still_sorts_by_the_next_attempt(admin_client, retrying):
    later = Delivery.objects.create(
        event=retrying.event,
        endpoint=Endpoint.objects.create(site=retrying.endpoint.site, url="https://help.example.com/other"),
        status="pending",
        next_attempt_at=RETRY + timedelta(minutes=5),
    )
    listed = admin_client.get(reverse("admin:webhooks_delivery_changelist")).content.decode()
    header = element(listed, "th", class_="column-next_attempt")
    order = element(header, "a").attrs["href"]  # the header's own link: ascending
    changelist = reverse("admin:webhooks_delivery_changelist")
    descending = order.replace("o=", "o=-")
    for query, expected in ((order, [retrying.pk, later.pk]), (descending, [later.pk, retrying.pk])):
        page = admin_client.get(changelist + query)
        assert [row.pk for row in page.context["cl"].result_list] == expected
