"""A vendor call that fails in admin reads in the admin's language and says what to do
(docs/decisions/0041-appliance-admin-actions.md): *Import issues from appliance* and the Take
Control session history, against the fake appliance and the fake Take Control account. The
vendor's own words stay as it sent them; `portal_import_issues` speaks English to the operator.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import messages
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from portal.models import Backend
from tests.admin.test_connection_result_language import backend_page_result
from tests.admin.test_setup import point_at
from tests.fakes.takecontrol import PRIVATE_KEY, PUBLIC_KEY, takecontrol_backend

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def quick_vendor(settings):
    """A hung vendor fails the call after these timeouts (the messages name them)."""
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 2.0
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.5
    settings.PORTAL_TC_RETRY_AFTER_MAX = 0.3


@pytest.fixture
def appliance_backend(backend, fake, site):
    point_at(backend, fake)
    return backend


def run_action(admin_client, action: str, backend: Backend, language: str) -> list[tuple[int, str]]:
    """A backend list action, run by an admin whose browser asks for `language`."""
    response = admin_client.post(
        reverse("admin:portal_backend_changelist"),
        {"action": action, "_selected_action": [backend.pk]},
        HTTP_ACCEPT_LANGUAGE=language,
        follow=True,
    )
    assert response.status_code == 200
    return [(message.level, message.message) for message in response.context["messages"]]


def errors(found: list[tuple[int, str]]) -> list[str]:
    return [text for level, text in found if level == messages.ERROR]


# ------------------------------------------------------------------------------
# Import issues from appliance
# ------------------------------------------------------------------------------
IMPORT_HTTP_500 = {
    "en": "Appliance: Issues were not imported and nothing was changed (get_support_teams: the "
    "appliance answered HTTP 500). Try again when the appliance answers; “Test connection” shows "
    "what it reports.",
    "de": "Appliance: Es wurden keine Anliegen importiert und nichts geändert (get_support_teams: "
    "Die Appliance antwortete mit HTTP 500). Versuchen Sie es erneut, wenn die Appliance "
    "antwortet; „Verbindung testen“ zeigt, was sie meldet.",
    "ja": "Appliance: 問題はインポートされず、何も変更されていません（get_support_teams："
    "アプライアンスが HTTP 500 を返しました）。アプライアンスが応答するようになってから、"
    "もう一度お試しください。アプライアンスの報告内容は「接続をテスト」で確認できます。",
}


@pytest.mark.parametrize("language", ["en", "de", "ja"])
def test_an_appliance_that_fails_is_reported_in_the_admins_language(
    admin_client, appliance_backend, fake, site, language
):
    fake.fail("http500", action="get_support_teams")
    found = run_action(admin_client, "import_issues", appliance_backend, language)
    assert errors(found) == [IMPORT_HTTP_500[language]]
    assert not site.issues.exists()


def test_an_appliance_that_refuses_keeps_its_own_words(admin_client, appliance_backend, fake):
    """The `<error>` text is the appliance's, the same in every language; the portal's advice
    for a refusal is to check the settings, not to wait."""
    fake.fail("error_root", action="get_support_teams")
    assert errors(run_action(admin_client, "import_issues", appliance_backend, "de")) == [
        "Appliance: Es wurden keine Anliegen importiert und nichts geändert (get_support_teams: "
        "Invalid queue_id for this API account). Prüfen Sie mit „Verbindung testen“ die Adresse "
        "und das API-Konto des Backends."
    ]
    assert errors(run_action(admin_client, "import_issues", appliance_backend, "ja")) == [
        "Appliance: 問題はインポートされず、何も変更されていません（get_support_teams: "
        "Invalid queue_id for this API account）。「接続をテスト」を実行して、バックエンドの"
        "アドレスと API アカウントを確認してください。"
    ]


def test_an_appliance_that_hangs_is_reported_in_the_admins_language(admin_client, appliance_backend, fake):
    fake.hang()
    assert errors(run_action(admin_client, "import_issues", appliance_backend, "ja")) == [
        "Appliance: 問題はインポートされず、何も変更されていません（POST /oauth2/token："
        "2 秒（接続）／0.5 秒（読み取り）以内に応答がありません）。アプライアンスが応答するように"
        "なってから、もう一度お試しください。アプライアンスの報告内容は「接続をテスト」で確認できます。"
    ]


def test_an_appliance_that_answers_garbage_is_reported_in_the_admins_language(
    admin_client, appliance_backend, fake
):
    fake.fail("json", action="get_support_teams")
    assert errors(run_action(admin_client, "import_issues", appliance_backend, "de")) == [
        "Appliance: Es wurden keine Anliegen importiert und nichts geändert (get_support_teams: "
        "XML erwartet, JSON erhalten (HTTP 200)). Versuchen Sie es erneut, wenn die Appliance "
        "antwortet; „Verbindung testen“ zeigt, was sie meldet."
    ]


def test_settings_the_client_cannot_use_are_named_in_the_admins_language(admin_client, fake, site):
    """A backend saved without an address (the form requires one; an old row or a script may
    lack it): neither action shows the client's English ValueError, and the kept test result
    reads in each reader's language."""
    Backend.objects.filter(pk=site.backend_id).update(
        base_url="", client_id=fake.client_id, client_secret=fake.client_secret
    )
    backend = Backend.objects.get(pk=site.backend_id)
    german = (
        "Appliance: Dem Backend fehlen Adresse, API-Client-ID oder Secret: Tragen Sie sie zuerst "
        "beim Backend ein."
    )
    assert errors(run_action(admin_client, "import_issues", backend, "de")) == [german]
    assert errors(run_action(admin_client, "test_connection", backend, "de")) == [german]
    assert backend_page_result(admin_client, backend, "ja") == (
        "バックエンドのアドレス、API クライアント ID またはシークレットがありません。"
        "先にバックエンドに追加してください。"
    )
    assert fake.calls() == []


def test_the_import_command_speaks_english_whatever_language_is_active(appliance_backend, fake, site):
    """The operator's terminal and log get the note's English wording, as the rest of the
    command's output, even where a caller activated another language."""
    fake.fail("error_root", action="get_support_teams")
    with translation.override("ja"), pytest.raises(CommandError) as failed:
        call_command("portal_import_issues", "--site", site.name, stdout=StringIO())
    assert str(failed.value) == (
        "Issues were not imported and nothing was changed (get_support_teams: Invalid queue_id "
        "for this API account). Run “Test connection” to check the backend's address and API account."
    )


# ------------------------------------------------------------------------------
# Take Control session history
# ------------------------------------------------------------------------------
FILTERS = {
    "date_from": "2024-05-01",
    "date_to": "2024-05-31",
    "page": "1",
    "page_size": "50",
    "columns": ["ID", "DATE_START"],
}


@pytest.fixture
def tc_backend(takecontrol_server):
    return takecontrol_backend(takecontrol_server.rest_url)


def history_errors(admin_client, backend: Backend, language: str, **extra: str) -> list[str]:
    """The error messages on the session history page (or the CSV download's page)."""
    response = admin_client.get(
        reverse("admin:portal_backend_session_history", args=[backend.pk]),
        {**FILTERS, **extra},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert PRIVATE_KEY not in html and PUBLIC_KEY not in html
    return [message.message for message in response.context["messages"] if message.level == messages.ERROR]


def test_a_refused_key_reads_in_the_admins_language_with_the_vendors_words(
    admin_client, tc_backend, takecontrol_server
):
    takecontrol_server.state["mode"] = "403"
    assert history_errors(admin_client, tc_backend, "en") == [
        "Take Control refused the request. Check the API domain and the private key (its "
        "permissions, IP allow-list and expiry date). Take Control said: Invalid integration key"
    ]
    assert history_errors(admin_client, tc_backend, "de") == [
        "Take Control hat die Anfrage abgelehnt. Prüfen Sie die API-Domain und den privaten "
        "Schlüssel (seine Berechtigungen, die IP-Freigabeliste und das Ablaufdatum). Take Control "
        "meldete: Invalid integration key"
    ]
    assert history_errors(admin_client, tc_backend, "ja", export="csv") == [
        "Take Control がリクエストを拒否しました。API ドメインとプライベートキー（権限、IP 許可リスト、"
        "有効期限）を確認してください。Take Control からのメッセージ：Invalid integration key"
    ]


def test_a_hung_vendor_reads_in_the_admins_language(admin_client, tc_backend, takecontrol_server):
    takecontrol_server.hang()
    assert history_errors(admin_client, tc_backend, "ja") == [
        "Take Control が時間内に応答しなかったか、エラーが発生しました。後でもう一度お試しください。"
    ]


def test_garbage_from_the_vendor_reads_in_the_admins_language(admin_client, tc_backend, takecontrol_server):
    takecontrol_server.state["mode"] = "not-json"
    assert history_errors(admin_client, tc_backend, "de") == [
        "Take Control hat in einer Form geantwortet, die das Portal nicht lesen kann. Bitte "
        "versuchen Sie es später erneut; wenn es wieder passiert, prüfen Sie, ob die API-Domain "
        "die unter Profile > APIs in Take Control angezeigte ist."
    ]


def test_a_request_the_vendor_cannot_read_says_what_to_change(admin_client, tc_backend, takecontrol_server):
    takecontrol_server.state["mode"] = "400"
    assert history_errors(admin_client, tc_backend, "en") == [
        "Take Control could not read this request. Change or clear the text filters and try "
        "again. Take Control said: Missing required field: customer_email"
    ]
    assert history_errors(admin_client, tc_backend, "ja") == [
        "Take Control はこのリクエストを読み取れませんでした。テキストのフィルターを変更するか空にして、"
        "もう一度お試しください。Take Control からのメッセージ：Missing required field: customer_email"
    ]
