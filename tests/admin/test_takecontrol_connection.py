"""*Test connection* on a Take Control backend (docs/decisions/0112-takecontrol-connection-test.md),
against the fake Take Control account: the start settings are checked here, a private key is
proven by one history read, and the key or uid a start sends is never sent, because Take
Control's only call that takes it starts a session. Messages read in the admin's language; the
kept result in each reader's."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.urls import reverse

from portal.models import Backend, Site
from tests.admin.test_connection_result_language import backend_page_result, checklist_text
from tests.admin.test_vendor_error_language import run_action
from tests.fakes.takecontrol import (
    HISTORY_PATH,
    PRIVATE_KEY,
    PUBLIC_KEY,
    SESSION_PATH,
    takecontrol_backend,
)

pytestmark = pytest.mark.django_db

SETTINGS_OK = "Take Control: Every setting the start mode needs is set."
HISTORY_OK = (
    "Take Control: The API domain and the private key work: Take Control answered a session history request."
)
PUBLIC_KEY_UNTESTED = (
    "The public integration key was not tested: Take Control can only check it by starting a "
    "session. Start a test session from the portal to check it."
)
UID_UNTESTED = (
    "The New Session API uid was not tested: Take Control can only check it by starting a "
    "session. Start a test session from the portal to check it."
)
NO_PRIVATE_KEY = (
    "No private integration key is set, so Take Control was not asked and the API domain was "
    "not tested. Add the private key (Management > API Keys) to test it."
)


@pytest.fixture(autouse=True)
def quick_vendor(settings):
    """A hung vendor fails the call after the read timeout, kept short."""
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 2.0
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.3


@pytest.fixture
def tc_backend(takecontrol_server):
    backend = takecontrol_backend(
        takecontrol_server.rest_url,
        tc_mode=Backend.TakeControlMode.REST,
    )
    Site.objects.create(name="Acme Support", is_default=True, backend=backend)
    return backend


def test_connection(admin_client, backend: Backend, server, language: str = "en") -> dict[int, list[str]]:
    """The backend list's action, by an admin reading `language`: its messages by level. The
    fake never sees a session started."""
    found = run_action(admin_client, "test_connection", backend, language)
    assert server.calls(SESSION_PATH) == []
    assert all(PUBLIC_KEY not in text and PRIVATE_KEY not in text for _level, text in found)
    by_level: dict[int, list[str]] = {}
    for level, text in found:
        by_level.setdefault(level, []).append(text)
    backend.refresh_from_db()
    return by_level


test_connection.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


def test_a_working_private_key_passes_and_says_the_public_key_was_not_tested(
    admin_client, tc_backend, takecontrol_server
):
    shown = test_connection(admin_client, tc_backend, takecontrol_server)
    assert shown == {
        messages.SUCCESS: [SETTINGS_OK, HISTORY_OK],
        messages.WARNING: [f"Take Control: {PUBLIC_KEY_UNTESTED}"],
    }
    (call,) = takecontrol_server.calls()
    assert (call.method, call.path) == ("GET", HISTORY_PATH)
    assert call.headers["integration-key"] == PRIVATE_KEY
    assert call.query == {"pageNumber": ["1"], "pageSize": ["25"]}
    body = call.json
    assert body["vars"] == "ID"
    start, end = body["filters"]["FILTER_DATE_START_INI"], body["filters"]["FILTER_DATE_START_END"]
    assert (start[:10] == end[:10], start[11:], end[11:]) == (True, "00:00:00", "23:59:59")  # one day

    # Passed, but not more than it proved: the kept warning says so, in each reader's language.
    assert tc_backend.connection_ok is True
    assert backend_page_result(admin_client, tc_backend, "en") == PUBLIC_KEY_UNTESTED
    german = (
        "Der öffentliche Integrationsschlüssel wurde nicht getestet: Take Control kann ihn nur "
        "prüfen, indem es eine Sitzung startet. Starten Sie zur Prüfung eine Testsitzung über das Portal."
    )
    assert backend_page_result(admin_client, tc_backend, "de") == german
    assert checklist_text(admin_client, "de").startswith("Erledigt:")
    assert german in checklist_text(admin_client, "de")
    assert "with a warning: " + PUBLIC_KEY_UNTESTED in checklist_text(admin_client, "en")


def test_the_japanese_admin_reads_the_passed_test_in_japanese(admin_client, tc_backend, takecontrol_server):
    shown = test_connection(admin_client, tc_backend, takecontrol_server, "ja")
    assert shown == {
        messages.SUCCESS: [
            "Take Control: 開始モードに必要な設定はすべて入力されています。",
            "Take Control: API ドメインとプライベートキーは有効です。"
            "Take Control がセッション履歴のリクエストに応答しました。",
        ],
        messages.WARNING: [
            "Take Control: パブリック統合キーはテストしていません。"
            "Take Control ではセッションを開始しない限り確認できません。"
            "確認するには、ポータルからテストセッションを開始してください。"
        ],
    }


def test_without_a_private_key_nothing_is_asked(admin_client, tc_backend, takecontrol_server):
    tc_backend.tc_private_key = ""
    tc_backend.tc_mode = Backend.TakeControlMode.REDIRECT
    tc_backend.save()
    shown = test_connection(admin_client, tc_backend, takecontrol_server)
    assert takecontrol_server.calls() == []
    assert shown == {
        messages.SUCCESS: [SETTINGS_OK],
        messages.WARNING: [f"Take Control: {NO_PRIVATE_KEY}", f"Take Control: {UID_UNTESTED}"],
    }
    assert tc_backend.connection_ok is True
    assert backend_page_result(admin_client, tc_backend, "en") == f"{NO_PRIVATE_KEY}; {UID_UNTESTED}"


def test_a_refused_private_key_fails_with_the_vendors_words(admin_client, tc_backend, takecontrol_server):
    takecontrol_server.state["mode"] = "403"
    shown = test_connection(admin_client, tc_backend, takecontrol_server, "de")
    refused_de = (
        "Take Control hat die Anfrage abgelehnt. Prüfen Sie die API-Domain und den privaten "
        "Schlüssel (seine Berechtigungen, die IP-Freigabeliste und das Ablaufdatum). Take Control "
        "meldete: Invalid integration key"
    )
    assert shown[messages.ERROR] == [f"Take Control: {refused_de}"]
    assert shown[messages.SUCCESS] == [
        "Take Control: Alle Einstellungen, die der Startmodus braucht, sind gesetzt."
    ]
    assert tc_backend.connection_ok is False
    assert backend_page_result(admin_client, tc_backend, "en") == (
        "Take Control refused the request. Check the API domain and the private key (its "
        "permissions, IP allow-list and expiry date). Take Control said: Invalid integration key"
    )
    assert backend_page_result(admin_client, tc_backend, "de") == refused_de
    assert checklist_text(admin_client, "en").startswith("To do:")


def test_a_vendor_that_repeats_the_key_is_shown_kept_and_logged_without_it(
    admin_client, tc_backend, takecontrol_server, caplog
):
    """The vendor's words reach the admin's message, the kept result (which staff who may only
    view a backend read too) and the log: a key the vendor repeats in them is left out."""
    takecontrol_server.state["mode"] = "403-echo"
    with caplog.at_level("INFO"):
        shown = test_connection(admin_client, tc_backend, takecontrol_server)
    assert takecontrol_server.calls(HISTORY_PATH)[0].headers["integration-key"] == PRIVATE_KEY
    said = "Take Control said: Invalid integration key ***"
    assert shown[messages.ERROR][0].endswith(said)
    kept = backend_page_result(admin_client, tc_backend, "en")
    assert kept.endswith(said) and PRIVATE_KEY not in str(tc_backend.connection_notes)
    assert "Invalid integration key" in caplog.text
    assert PRIVATE_KEY not in caplog.text and PUBLIC_KEY not in caplog.text


def test_a_hung_vendor_fails_after_the_timeout(admin_client, tc_backend, takecontrol_server):
    takecontrol_server.hang()
    shown = test_connection(admin_client, tc_backend, takecontrol_server)
    takecontrol_server.release()
    assert shown[messages.ERROR] == [
        "Take Control: Take Control did not answer in time or failed. Please try again later."
    ]
    assert tc_backend.connection_ok is False
    # It accepted the connection: nothing is in the way, so no "check the firewall".
    assert "firewall" not in backend_page_result(admin_client, tc_backend, "en")


def test_garbage_fails_as_unreadable(admin_client, tc_backend, takecontrol_server):
    takecontrol_server.state["mode"] = "not-json"
    shown = test_connection(admin_client, tc_backend, takecontrol_server, "ja")
    assert shown[messages.ERROR] == [
        "Take Control: Take Control から、ポータルで読み取れない形式の応答が返されました。"
        "後でもう一度お試しください。"
        "繰り返し発生する場合は、API ドメインが Take Control の Profile > APIs に表示されているものと同じか"
        "確認してください。"
    ]
    assert tc_backend.connection_ok is False


def test_a_request_take_control_cannot_read_does_not_blame_the_filters(
    admin_client, tc_backend, takecontrol_server
):
    """The history page's 400 advice ("change the text filters") fits no connection test."""
    takecontrol_server.state["mode"] = "400"
    shown = test_connection(admin_client, tc_backend, takecontrol_server)
    (error,) = shown[messages.ERROR]
    assert error.startswith("Take Control: Take Control answered in a way the portal cannot read.")
    assert error.endswith("Take Control said: Missing required field: customer_email")
    assert "filters" not in error


def test_no_connection_says_what_to_check(admin_client, tc_backend, takecontrol_server):
    tc_backend.base_url = "http://127.0.0.1:9/rest"  # nothing listens: refused at once
    tc_backend.save()
    shown = test_connection(admin_client, tc_backend, takecontrol_server)
    assert shown[messages.ERROR] == [
        "Take Control: Take Control did not answer in time or failed. Please try again later.",
        "Take Control: Check the backend's address, and that this server can reach it "
        "(DNS, firewall, proxy).",
    ]


def test_missing_start_settings_are_named_and_the_history_is_still_read(
    admin_client, tc_backend, takecontrol_server
):
    Backend.objects.filter(pk=tc_backend.pk).update(
        tc_public_key="", tc_pin_url_template="https://example.com/"
    )
    shown = test_connection(admin_client, tc_backend, takecontrol_server, "de")
    assert shown == {
        messages.SUCCESS: [
            "Take Control: Die API-Domain und der private Schlüssel funktionieren: Take Control hat "
            "eine Abfrage des Sitzungsverlaufs beantwortet."
        ],
        messages.ERROR: [
            "Take Control: Der REST-Modus braucht den öffentlichen Integrationsschlüssel (Management > "
            "API Keys): Ohne ihn schlägt jeder Start fehl.",
            "Take Control: Die PIN-URL-Vorlage muss {pin} enthalten: Ohne es schlägt jeder PIN-Start fehl.",
        ],
    }
    assert tc_backend.connection_ok is False
    assert backend_page_result(admin_client, tc_backend, "en") == (
        "REST mode needs the public integration key (Management > API Keys): without it every "
        "start fails.; The PIN URL template must contain {pin}: without it every PIN start fails."
    )


def test_a_missing_uid_in_redirect_mode_is_named(admin_client, tc_backend, takecontrol_server):
    Backend.objects.filter(pk=tc_backend.pk).update(tc_mode=Backend.TakeControlMode.REDIRECT, tc_uid="")
    shown = test_connection(admin_client, tc_backend, takecontrol_server, "ja")
    assert shown[messages.ERROR] == [
        "Take Control: リダイレクトモードには New Session API の uid（Profile > APIs）が必要です。"
        "ないとすべての開始が失敗します。"
    ]
    assert messages.WARNING not in shown  # the uid is missing, not untested


def test_a_bad_api_domain_is_named_and_not_called(admin_client, tc_backend, takecontrol_server):
    Backend.objects.filter(pk=tc_backend.pk).update(base_url="api.us0.swi-rc.com/rest")
    shown = test_connection(admin_client, tc_backend, takecontrol_server)
    assert shown[messages.ERROR] == [
        "Take Control: The API domain must be an address like https://api.us0.swi-rc.com/rest, as "
        "shown under Profile > APIs in Take Control."
    ]
    assert takecontrol_server.calls() == []


def test_the_checklist_links_a_take_control_backend_to_the_action(admin_client, tc_backend):
    """Before the first test the checklist asks for one, as for BeyondTrust."""
    assert checklist_text(admin_client, "en").startswith(
        "To do: Backend reachable — Take Control has not been tested yet"
    )
    html = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:portal_backend_changelist") + f"?id__exact={tc_backend.pk}" in html
