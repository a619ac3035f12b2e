"""A kept *Test connection* result reads in the reader's language, not in the language of the
admin who ran the test (docs/decisions/0041-appliance-admin-actions.md): the portal's words and
the BeyondTrust client's errors are kept as coded notes, the appliance's own words as they are."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.urls import reverse

from portal.models import Backend
from tests.admin.test_setup import Checklist, item, point_at
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running
from tests.parsed_html import element

pytestmark = pytest.mark.django_db

CLOSED_PORT = "http://127.0.0.1:9"  # nothing listens: the connection is refused at once


def run_test_in_english(admin_client, backend: Backend) -> list[tuple[int, str]]:
    """The backend list's "Test connection" action, run by an admin who reads English; the
    messages it shows them."""
    response = admin_client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": "test_connection", "_selected_action": [backend.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    return [(message.level, message.message) for message in response.context["messages"]]


def backend_page_result(admin_client, backend: Backend, language: str) -> str:
    html = admin_client.get(
        reverse("admin:portal_backend_change", args=[backend.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    return element(element(html, "div", class_="field-connection_result"), "div", class_="readonly").text


def checklist_text(admin_client, language: str) -> str:
    parser = Checklist()
    parser.feed(admin_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE=language).content.decode())
    titles = {"en": "Backend reachable", "de": "Backend erreichbar", "ja": "バックエンドに接続できる"}
    return item(parser, "Acme", titles[language])["text"]


def test_a_backup_appliance_warning_reads_in_each_readers_language(admin_client, backend, site):
    with running(FakeBeyondTrust()) as fake:  # its backup appliance is not healthy
        point_at(backend, fake)
        run_test_in_english(admin_client, backend)
    backend.refresh_from_db()
    assert backend.connection_ok is True

    english = "Backup appliance backup.example.com is not healthy: Data sync with the primary failed"
    german = "Die Backup-Appliance backup.example.com ist nicht fehlerfrei: Data sync with the primary failed"
    japanese = (
        "バックアップアプライアンス backup.example.com は正常ではありません："
        "Data sync with the primary failed"
    )
    assert backend_page_result(admin_client, backend, "en") == english
    assert backend_page_result(admin_client, backend, "de") == german
    assert backend_page_result(admin_client, backend, "ja") == japanese
    assert german in checklist_text(admin_client, "de")
    assert checklist_text(admin_client, "de").startswith("Erledigt:")
    assert japanese in checklist_text(admin_client, "ja")
    assert "Backup appliance" not in checklist_text(admin_client, "ja")


def test_a_refusal_keeps_the_appliances_own_words_and_translates_the_portals(admin_client, backend, site):
    """The appliance's `<error>` text and a unit's `error_message` are the vendor's, the same in
    every language; the portal's own verdict on the health probe is translated."""
    with running(FakeBeyondTrust()) as fake:
        point_at(backend, fake)
        fake.fail("error_root", action="get_api_info")
        fake.serve("check_health", "check_health_primary_down.xml")
        fake.state["healthy"] = False
        shown = run_test_in_english(admin_client, backend)
    backend.refresh_from_db()
    assert backend.connection_ok is False
    assert (messages.ERROR, "Appliance: get_api_info: Invalid queue_id for this API account") in shown

    vendor = "get_api_info: Invalid queue_id for this API account; Disk usage above 95%; "
    assert backend_page_result(admin_client, backend, "de") == (
        vendor + "Zustandsprüfung /check_health: Die Appliance meldet ein Problem."
    )
    assert backend_page_result(admin_client, backend, "ja") == (
        vendor + "ヘルスチェック /check_health：アプライアンスが問題を報告しています。"
    )
    german = checklist_text(admin_client, "de")
    assert german.startswith("Zu erledigen:") and vendor in german
    assert "Die Appliance meldet ein Problem." in german and "reports a problem" not in german
    assert "アプライアンスが問題を報告しています。" in checklist_text(admin_client, "ja")


def test_a_network_failure_reads_in_each_readers_language(admin_client, backend, site):
    Backend.objects.filter(pk=backend.pk).update(base_url=CLOSED_PORT, client_id="id", client_secret="secret")
    backend.refresh_from_db()
    shown = run_test_in_english(admin_client, backend)
    backend.refresh_from_db()
    assert backend.connection_ok is False
    # The admin who ran it read it in English, naming the endpoint that failed.
    assert (messages.ERROR, f"Appliance: POST /oauth2/token: cannot connect to {CLOSED_PORT}") in shown
    assert (messages.ERROR, f"Appliance: GET /check_health: cannot connect to {CLOSED_PORT}") in shown
    # Two calls that each need a token fail on the same token request: one message says it.
    assert [message for _level, message in shown].count(
        f"Appliance: POST /oauth2/token: cannot connect to {CLOSED_PORT}"
    ) == 1
    # No connection at all: what to check, said once, after the calls' own messages.
    advice = "Check the backend's address, and that this server can reach it (DNS, firewall, proxy)."
    assert [message for _level, message in shown][-1] == f"Appliance: {advice}"
    assert sum(advice in message for _level, message in shown) == 1

    german = backend_page_result(admin_client, backend, "de")
    assert german == "; ".join(
        [
            f"POST /oauth2/token: keine Verbindung zu {CLOSED_PORT} möglich",
            f"GET /check_health: keine Verbindung zu {CLOSED_PORT} möglich",
            "Prüfen Sie die Adresse des Backends und ob dieser Server sie erreichen kann "
            "(DNS, Firewall, Proxy).",
        ]
    )
    japanese = backend_page_result(admin_client, backend, "ja")
    assert japanese == "; ".join(
        [
            f"POST /oauth2/token：{CLOSED_PORT} に接続できません",
            f"GET /check_health：{CLOSED_PORT} に接続できません",
            "バックエンドのアドレスと、このサーバーからそこへ接続できること"
            "（DNS、ファイアウォール、プロキシ）を確認してください。",
        ]
    )
    assert f"GET /check_health: keine Verbindung zu {CLOSED_PORT} möglich" in checklist_text(
        admin_client, "de"
    )
    assert f"GET /check_health：{CLOSED_PORT} に接続できません" in checklist_text(admin_client, "ja")
    assert "secret" not in str(backend.connection_notes)


def test_a_result_kept_before_notes_existed_shows_its_stored_text(admin_client, backend, site):
    Backend.objects.filter(pk=backend.pk).update(
        connection_ok=False,
        connection_summary="Zeitüberschreitung beim Verbindungsaufbau",
        connection_checked_at="2026-12-01T10:00:00Z",
    )
    backend.refresh_from_db()
    assert backend.connection_notes == []
    assert backend_page_result(admin_client, backend, "ja") == "Zeitüberschreitung beim Verbindungsaufbau"
    assert "Zeitüberschreitung beim Verbindungsaufbau" in checklist_text(admin_client, "ja")


def test_a_note_whose_code_is_gone_shows_its_english_words(admin_client, backend, site):
    """A code a later release dropped, or params that no longer fit its template, fall back
    to the English wording kept beside the code rather than failing the page."""
    Backend.objects.filter(pk=backend.pk).update(
        connection_ok=False,
        connection_summary="",
        connection_checked_at="2026-12-01T10:00:00Z",
        connection_notes=[
            {"code": "beyondtrust.retired", "params": {}, "text": "get_api_info: an old problem"},
            {"code": "beyondtrust.cannot_connect", "params": {"what": "x"}, "text": "x: cannot connect"},
        ],
    )
    backend.refresh_from_db()
    assert (
        backend_page_result(admin_client, backend, "de") == "get_api_info: an old problem; x: cannot connect"
    )


def test_an_untested_backend_shows_the_admins_dash_not_none(admin_client, backend, site):
    """A BeyondTrust backend nobody has tested yet: its result reads like the other empty
    fields beside it, not as Python's `None`."""
    assert backend.connection_checked_at is None
    for language in ("en", "ja"):
        assert backend_page_result(admin_client, backend, language) == "-"
