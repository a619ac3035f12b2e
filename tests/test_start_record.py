"""What a start writes (docs/decisions/0066-lean-start-record.md): on a site without a webhook
endpoint for its event, the record alone in one INSERT; with one, the record and its event in
one transaction (docs/decisions/0070-start-webhooks-on-django-tasks.md). Which events a site's
endpoints take is cached, and every endpoint change renews that at once.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.db.models.signals import post_save
from django.utils import timezone

from portal.caching import SITE_CACHE_VERSION_KEY
from portal.models import SiteHostname, StartRequest
from portal.webhooks.models import Delivery, Endpoint, Event
from tests.conftest import form_data, save_site_in_admin

SURVEY = dict(issue="printing", name="Jane Doe", details="Printer offline")


class Statements:
    """Each SQL statement run, with the transaction it ran in (None: autocommit)."""

    def __init__(self):
        self.run: list[tuple[str, int | None]] = []

    def __call__(self, execute, sql, params, many, context):
        blocks = connection.atomic_blocks
        self.run.append((sql, id(blocks[0]) if connection.in_atomic_block and blocks else None))
        return execute(sql, params, many, context)

    def writes(self) -> list[tuple[str, int | None]]:
        return [(sql.split('"')[1], block) for sql, block in self.run if sql.startswith("INSERT")]


def start(client, path: str, **fields):
    response = client.post(path, form_data(**fields))
    assert response.status_code == 303
    return response


def test_the_compiled_insert_writes_what_create_writes(site, issues):
    values = dict(
        flow="survey",
        issue_id=issues["printing"].pk,
        backend_kind=site.backend.kind,
        outcome="started",
        locale="de",
        embedded=True,
        chat=True,
        error_fields="name,details",
        customer_data={"name": 'Zoë "O\'Brien"', "custom": {"ticket": "INC-1", "vip": True}},
    )
    before = timezone.now()
    StartRequest.objects.insert(site_id=site.pk, **values)
    after = timezone.now()
    StartRequest.objects.create(site=site, **values)
    inserted, created = StartRequest.objects.order_by("pk").values()
    assert before <= inserted.pop("created_at") <= after
    created.pop("created_at")
    assert inserted.pop("id") != created.pop("id")
    assert inserted == created
    assert inserted["customer_data"] == values["customer_data"]


def test_the_compiled_insert_fills_the_defaults_and_refuses_unknown_fields(site):
    StartRequest.objects.insert(site_id=site.pk, flow="key", backend_kind="preview", outcome="invalid")
    StartRequest.objects.create(site=site, flow="key", backend_kind="preview", outcome="invalid")
    inserted, created = StartRequest.objects.order_by("pk").values(
        "site", "issue", "locale", "embedded", "chat", "error_fields", "customer_data"
    )
    assert (
        inserted
        == created
        == {
            "site": site.pk,
            "issue": None,
            "locale": "",
            "embedded": False,
            "chat": False,
            "error_fields": "",
            "customer_data": None,
        }
    )
    with pytest.raises(TypeError, match="no field site$"):
        StartRequest.objects.insert(site=site, flow="key", backend_kind="preview", outcome="invalid")
    assert StartRequest.objects.count() == 2


@pytest.mark.parametrize(("path", "fields"), [("/key/", dict(key="123 4567")), ("/survey/", SURVEY)])
def test_a_start_on_a_site_without_endpoints_is_one_insert(
    client, site, issues, django_assert_num_queries, path, fields
):
    Endpoint.objects.create(site=site, url="https://hooks.example.com/off", secret="s" * 32, active=False)
    start(client, path, **fields)  # the site, its issues and its endpoints' events are cached now
    with django_assert_num_queries(1) as captured:
        start(client, path, **fields)
    assert captured.captured_queries[0]["sql"].startswith('INSERT INTO "portal_startrequest"')
    assert StartRequest.objects.count() == 2 and Event.objects.count() == 0


def test_an_endpoint_change_applies_to_the_next_start(client, site, issues):
    start(client, "/key/", key="123 4567")  # cached: no endpoint
    endpoint = Endpoint.objects.create(site=site, url="https://hooks.example.com/a", secret="s" * 32)
    start(client, "/key/", key="123 4567")
    assert list(Event.objects.values_list("start_request", flat=True)) == [
        StartRequest.objects.latest("pk").pk
    ]

    endpoint.events = ["start.refused"]
    endpoint.save()
    start(client, "/key/", key="123 4567")
    assert client.post("/key/", form_data(key="12")).status_code == 200  # refused: invalid key
    assert list(Event.objects.order_by("created_at", "pk").values_list("type", flat=True)) == [
        "start.started",
        "start.refused",
    ]

    endpoint.delete()
    assert client.post("/key/", form_data(key="12")).status_code == 200
    assert Event.objects.count() == 2 and StartRequest.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_with_an_endpoint_the_record_and_its_event_are_written_in_one_transaction(client, site, issues):
    Endpoint.objects.create(site=site, url="https://hooks.example.com/a", secret="s" * 32)
    statements = Statements()
    with connection.execute_wrapper(statements):
        start(client, "/survey/", **SURVEY)
    writes = statements.writes()
    assert [table for table, _block in writes] == [
        "portal_startrequest",
        "webhooks_event",
        "webhooks_delivery",
        "django_tasks_database_dbtaskresult",
    ]
    assert writes[0][1] is not None and {block for _table, block in writes} == {writes[0][1]}
    assert Delivery.objects.get().event.start_request == StartRequest.objects.get()


def test_with_an_endpoint_the_only_read_is_the_endpoints_themselves(
    client, site, issues, django_assert_num_queries
):
    SiteHostname.objects.create(site=site, hostname="help.acme.example")
    Endpoint.objects.create(site=site, url="https://hooks.example.com/a", secret="s" * 32)
    start(client, "/survey/", **SURVEY)  # the site, its issues, hostname and endpoints' events are cached
    with django_assert_num_queries(9) as captured:  # in the test's transaction: savepoints for both atomics
        start(client, "/survey/", **SURVEY)
    reads = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("SELECT")]
    assert len(reads) == 1 and 'FROM "webhooks_endpoint"' in reads[0]
    body = json.loads(Event.objects.latest("created_at").body)
    assert (body["issue"], body["site"]["hostname"]) == (
        "printing",
        "help.acme.example",
    )


@pytest.mark.django_db(transaction=True)
def test_without_an_endpoint_the_record_is_written_in_autocommit(client, site, issues):
    start(client, "/key/", key="123 4567")
    statements = Statements()
    with connection.execute_wrapper(statements):
        start(client, "/key/", key="123 4567")
    assert statements.writes() == [("portal_startrequest", None)]
    assert [sql.split(" ", 1)[0] for sql, _block in statements.run] == ["INSERT"]


class VersionReadsLocMemCache(LocMemCache):
    """Counts the reads of the site version (a round trip each on a shared cache)."""

    reads = 0

    def get(self, key, default=None, version=None):
        if key == SITE_CACHE_VERSION_KEY:
            VersionReadsLocMemCache.reads += 1
        return super().get(key, default, version)


@pytest.mark.parametrize(("path", "fields"), [("/key/", dict(key="123 4567")), ("/survey/", SURVEY)])
def test_a_start_reads_the_site_version_once(client, site, issues, settings, path, fields):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.VersionReadsLocMemCache", "LOCATION": "reads"}}
    # Local-memory caches of one LOCATION share their storage across tests: without this, the
    # previous case's site snapshot (another primary key on PostgreSQL) would be served here.
    caches["default"].clear()
    start(client, path, **fields)  # the site, its issues and its endpoints' events are cached now
    VersionReadsLocMemCache.reads = 0
    start(client, path, **fields)
    assert VersionReadsLocMemCache.reads == 1


def test_an_admin_change_reaches_the_next_request_at_once(admin_client, client, site):
    assert "Only continue if you called us." in client.get("/key/").content.decode()  # now cached
    response = save_site_in_admin(admin_client, site, warning_text="Changed just now.")
    assert response.status_code == 302
    page = client.get("/key/").content.decode()
    assert "Changed just now." in page and "Only continue if you called us." not in page


def test_while_something_listens_to_its_save_a_record_is_saved_by_the_orm(client, site):
    saved = []

    def listener(sender, instance, created, **kwargs):
        saved.append((instance.pk, created, instance.flow, instance.site_id))

    post_save.connect(listener, sender=StartRequest)
    try:
        start(client, "/key/", key="123 4567")
    finally:
        post_save.disconnect(listener, sender=StartRequest)
    start(client, "/key/", key="123 4567")
    first, second = StartRequest.objects.order_by("pk")
    assert saved == [(first.pk, True, "key", site.pk)]
    assert (second.flow, second.site_id, second.outcome) == ("key", site.pk, "started")
