"""Privacy requests: export and erase everything the portal holds about one customer, by
email or external key, from the command and from admin; and the claim that no log line
carries a customer field (docs/privacy.md, docs/decisions/0073-privacy-requests.md)."""

from __future__ import annotations

import io
import json
import logging
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from portal import services
from portal.models import StartRequest
from portal.webhooks.models import Attempt, Delivery, Event
from tests.conftest import form_data
from tests.fakes.receiver import receiver
from tests.fakes.server import running
from tests.webhooks.conftest import run_worker

pytestmark = pytest.mark.django_db

JANE = services.Customer(
    name="Jane Doe", email="Jane@Example.com", details="Printer offline", external_key="INC-1"
)
OTHER = services.Customer(name="Max Muster", email="max@example.com", external_key="INC-2")


@pytest.fixture
def held(site, endpoint_for):
    """Two customers' starts on a site that keeps customer data, each with a delivered event."""
    site.keep_personal_data = True
    site.save()
    with running(receiver()) as server:
        server.state["body"] = "thanks Jane Doe"  # a receiver echoing the body
        endpoint_for(server.base_url + "/hooks")
        for customer in (JANE, JANE, OTHER):
            services.record_start(
                context=services.StartContext(site=site, language="de"),
                flow="survey",
                outcome="started",
                customer=customer,
            )
        run_worker()
        assert server.wait_for_requests(3)
    return site


def export(*args) -> dict:
    out = io.StringIO()
    call_command("portal_privacy", "export", *args, stdout=out)
    return json.loads(out.getvalue())


def test_export_by_email_finds_the_start_records_and_webhook_events(held):
    document = export("--email", "jane@example.COM")
    assert document["subject"] == {"email": "jane@example.COM", "external_key": ""}
    records = document["data"]["start_records"]
    assert len(records) == 2
    assert {r["customer"]["name"] for r in records} == {"Jane Doe"}
    events = document["data"]["webhook_events"]
    assert len(events) == 2
    assert {e["event"]["customer"]["email"] for e in events} == {"Jane@Example.com"}
    assert events[0]["deliveries"][0]["attempts"][0]["response_excerpt"] == "thanks Jane Doe"
    assert "Max" not in json.dumps(document)


def test_export_by_external_key(held):
    document = export("--external-key", "INC-2")
    assert [r["customer"]["name"] for r in document["data"]["start_records"]] == ["Max Muster"]
    assert [e["event"]["external_key"] for e in document["data"]["webhook_events"]] == ["INC-2"]


def test_erase_removes_the_customer_fields_events_deliveries_and_attempts(held):
    out = io.StringIO()
    call_command("portal_privacy", "erase", "--email", "jane@example.com", "--no-input", stdout=out)
    assert out.getvalue() == "Erased: 2 webhook events and customer data in 2 start requests.\n"
    # The rows stay for the statistics, without the person.
    assert StartRequest.objects.count() == 3
    assert StartRequest.objects.filter(customer_data__isnull=True).count() == 2
    assert Event.objects.count() == Delivery.objects.count() == Attempt.objects.count() == 1
    assert "Jane" not in json.dumps(list(Event.objects.values_list("body", flat=True)))
    assert export("--email", "jane@example.com")["data"] == {"start_records": [], "webhook_events": []}
    assert len(export("--external-key", "INC-2")["data"]["start_records"]) == 1


def test_events_of_a_site_without_customer_data_are_found_by_external_key(site, endpoint_for):
    endpoint_for("http://127.0.0.1:9/hooks")
    services.record_start(
        context=services.StartContext(site=site, language="de"),
        flow="key",
        outcome="started",
        customer=services.Customer(external_key="INC-9"),
    )
    assert StartRequest.objects.get().customer_data is None
    assert len(export("--external-key", "INC-9")["data"]["webhook_events"]) == 1
    call_command("portal_privacy", "erase", "--external-key", "INC-9", "--no-input", stdout=io.StringIO())
    assert Event.objects.count() == 0


def test_the_command_needs_a_subject_and_asks_before_erasing(held, monkeypatch):
    with pytest.raises(CommandError, match="--email or --external-key"):
        call_command("portal_privacy", "export")
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing erased"):
        call_command("portal_privacy", "erase", "--email", "jane@example.com")
    assert StartRequest.objects.filter(customer_data__isnull=False).count() == 3


def test_admin_actions_export_and_erase_the_selected_customers(admin_client, held):
    jane = StartRequest.objects.filter(customer_data__name="Jane Doe").first()
    url = reverse("admin:privacy_customerrecord_changelist")
    listing = admin_client.get(url, {"q": "jane@example.com"})
    assert listing.status_code == 200
    assert {r.pk for r in listing.context["cl"].result_list} == set(
        StartRequest.objects.filter(customer_data__name="Jane Doe").values_list("pk", flat=True)
    )
    response = admin_client.post(url, {"action": "export_json", "_selected_action": [jane.pk]})
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="privacy-export-')
    [document] = json.loads(response.content)
    assert len(document["data"]["start_records"]) == 2 and len(document["data"]["webhook_events"]) == 2
    confirm = admin_client.post(url, {"action": "erase", "_selected_action": [jane.pk]})
    assert confirm.status_code == 200 and confirm.context["subjects"][0].email == "jane@example.com"
    assert StartRequest.objects.filter(customer_data__isnull=False).count() == 3  # not yet
    done = admin_client.post(
        url, {"action": "erase", "_selected_action": [jane.pk], "confirm": "yes"}, follow=True
    )
    assert done.status_code == 200
    assert StartRequest.objects.filter(customer_data__isnull=False).count() == 1
    assert Event.objects.count() == 1
    # What was erased, in words: not the holders' internal names ("webhook_events 2").
    said = [str(m) for m in done.context["messages"]]
    assert "Erased: 2 webhook events and customer data in 2 start requests." in said


@pytest.mark.parametrize(
    ("language", "counts", "expected"),
    [
        ("en-us", (1, 1), "Erased: customer data in 1 start request and 1 webhook event."),
        ("en-us", (0, 3), "Erased: customer data in 0 start requests and 3 webhook events."),
        ("de", (1, 2), "Gelöscht: Kundendaten in 1\u00a0Startanfrage und 2\u00a0Webhook-Ereignisse."),
        (
            "ru",
            (21, 5),
            "Удалено: данные клиента в\u00a021\u00a0запросе на запуск и\u00a05\u00a0событий веб-хуков.",
        ),
        (
            "ru",
            (3, 22),
            "Удалено: данные клиента в\u00a03\u00a0запросах на запуск и\u00a022\u00a0события веб-хуков.",
        ),
        # Japanese and Chinese join with no space around と and 和, and space a Latin word or a
        # number apart from their own script.
        ("ja", (2, 1), "消去しました：2 件の開始リクエストのお客様のデータと Webhook イベント 1 件。"),
        ("zh", (2, 1), "已清除：2 個啟動請求中的客戶資料和 1 個 Webhook 事件。"),
        ("zh-hans", (2, 1), "已清除：2 个启动请求中的客户数据和 1 个 Webhook 事件。"),
    ],
)
def test_the_erasure_is_told_in_the_admins_language_with_plural_forms(language, counts, expected):
    from django.utils import translation

    from portal.privacy.services import erased_text

    with translation.override(language):
        assert erased_text({"start_records": counts[0], "webhook_events": counts[1]}) == expected


def test_admin_offers_no_deletion_that_would_leave_the_customers_events(admin_client, held):
    """Deleting start records is not erasure: the events would stay and the customer would
    drop out of the list. Only the erase action is offered."""
    jane = StartRequest.objects.filter(customer_data__name="Jane Doe").first()
    url = reverse("admin:privacy_customerrecord_changelist")
    listing = admin_client.get(url)
    actions = [value for value, _label in listing.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions
    assert {"export_json", "erase"} <= set(actions)
    admin_client.post(url, {"action": "delete_selected", "_selected_action": [jane.pk], "post": "yes"})
    delete_page = reverse("admin:privacy_customerrecord_delete", args=[jane.pk])
    assert admin_client.get(delete_page).status_code == 403
    assert admin_client.post(delete_page, {"post": "yes"}).status_code == 403
    assert StartRequest.objects.filter(pk=jane.pk, customer_data__name="Jane Doe").exists()
    assert Event.objects.count() == 3
    view = admin_client.get(reverse("admin:privacy_customerrecord_change", args=[jane.pk]))
    assert view.status_code == 200 and delete_page not in view.content.decode()
    # Nor in the start records' own list, which shows the same rows.
    records = reverse("admin:portal_startrequest_changelist")
    admin_client.post(records, {"action": "delete_selected", "_selected_action": [jane.pk], "post": "yes"})
    assert admin_client.get(reverse("admin:portal_startrequest_delete", args=[jane.pk])).status_code == 403
    assert StartRequest.objects.filter(pk=jane.pk).exists()


def test_no_log_line_carries_a_customer_field(client, site, issues, custom_fields, endpoint_for, caplog):
    """Through a refused and a good survey start, a refused key start, webhook delivery with a
    retry and the privacy commands: every record at every level, message and arguments."""
    site.keep_personal_data = True
    site.save()
    secrets = {"Zelda Quintessa", "Zebracorp", "Flickering screen zq", "ZQ-ASSET-77", "ZQ-TICKET-88"}
    survey = {
        "issue": "printing",
        "name": "Zelda Quintessa",
        "company": "Zebracorp",
        "details": "Flickering screen zq",
        "cf_asset_tag": "ZQ-ASSET-77",
        "cf_printer_model": "HP",
        "external_key": "ZQ-TICKET-88",
    }
    caplog.set_level(logging.DEBUG)
    with running(receiver(500, 500, 500)) as server:
        endpoint_for(server.base_url + "/hooks")
        assert client.post("/survey/", form_data(**{**survey, "issue": "nope"})).status_code == 200
        assert client.post("/survey/", form_data(**survey)).status_code == 303
        assert client.post("/key/", form_data(key="1", external_key="ZQ-TICKET-88")).status_code == 200
        run_worker()
        assert server.wait_for_requests(3)
    assert Delivery.objects.filter(status="pending").count() == 3  # a 500: logged, retried
    call_command(
        "portal_privacy", "erase", "--external-key", "ZQ-TICKET-88", "--no-input", stdout=io.StringIO()
    )
    logged = [record for record in caplog.records]
    assert any(r.name == "portal.webhooks.services" for r in logged)
    for record in logged:
        text = record.getMessage() + repr(record.args)
        assert not any(value in text for value in secrets), (record.name, text)


def test_the_exports_times_are_utc_to_the_second_as_the_api_writes_them(held, settings):
    """Every time in the document in one form, the API's (README, "timestamps"): the stored
    times carry microseconds and the admins' zone is not UTC, neither of which may show."""
    settings.TIME_ZONE = "Europe/Berlin"
    document = export("--email", "jane@example.com")
    times = [document["exported_at"]]
    times += [record["time"] for record in document["data"]["start_records"]]
    times += [
        attempt["time"]
        for event in document["data"]["webhook_events"]
        for delivery in event["deliveries"]
        for attempt in delivery["attempts"]
    ]
    assert len(times) == 5
    assert any(record.created_at.microsecond for record in StartRequest.objects.all())  # fractions held
    for time in times:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", time), time
