"""An admin reading in English runs *Test connection* against the fake appliance; admins whose
browsers ask for German and Japanese then read the kept result on the backend page and in the
set-up checklist in their own language, the appliance's own words as it sent them
(docs/decisions/0041-appliance-admin-actions.md)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone, translation

from portal.dates import date_and_time
from portal.models import Backend
from portal.tokens import create_api_token
from tests.browser.test_admin_lists import PASSWORD, log_in
from tests.conftest import site_on_fake_appliance
from tests.fakes.takecontrol import takecontrol_backend

pytestmark = pytest.mark.browser


def run_test_connection(page, portal_url) -> None:
    """The backend list's action, ticked and run as an admin does; waits for its messages."""
    page.goto(portal_url + reverse("admin:portal_backend_changelist"))
    page.locator("#result_list input.action-select").check()
    page.select_option("select[name=action]", "test_connection")
    page.get_by_role("button", name="Go").click()
    page.locator("ul.messagelist").wait_for()


def read_result_as(browser, portal_url, backend: Backend, language: str) -> tuple[str, str]:
    """The set-up checklist and the backend page's kept result, in a browser asking for `language`."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale=language)
    reader = context.new_page()
    log_in(reader, portal_url)
    checklist = reader.locator("section.setup-checklist").inner_text()
    reader.goto(portal_url + reverse("admin:portal_backend_change", args=[backend.pk]))
    result = reader.locator(".field-connection_result .readonly").inner_text()
    context.close()
    return checklist, result


def test_a_kept_test_result_reads_in_each_admins_language(browser, page, portal_url, fake):
    backend = site_on_fake_appliance(fake).backend
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    log_in(page, portal_url)  # the fixture's page is English

    # Passed, but the fake's backup appliance is not healthy: a warning with the appliance's words.
    run_test_connection(page, portal_url)
    assert "Data sync with the primary failed" in page.locator("ul.messagelist").inner_text()
    for language, warning in [
        (
            "de",
            "Die Backup-Appliance backup.example.com ist nicht fehlerfrei: Data sync with the primary failed",
        ),
        (
            "ja",
            "バックアップアプライアンス backup.example.com は正常ではありません："
            "Data sync with the primary failed",
        ),
    ]:
        checklist, result = read_result_as(browser, portal_url, backend, language)
        assert result == warning
        assert warning in checklist and "Backup appliance" not in checklist

    # The appliance is gone: the network failure reads in the reader's language too.
    Backend.objects.filter(pk=backend.pk).update(base_url="http://127.0.0.1:9")
    run_test_connection(page, portal_url)
    shown = page.locator("ul.messagelist").inner_text()
    assert "GET /check_health: cannot connect to http://127.0.0.1:9" in shown
    # What to check follows, once.
    assert shown.count("that this server can reach it (DNS, firewall, proxy).") == 1
    for language, failure, advice in [
        (
            "de",
            "GET /check_health: keine Verbindung zu http://127.0.0.1:9 möglich",
            "Prüfen Sie die Adresse des Backends und ob dieser Server sie erreichen kann "
            "(DNS, Firewall, Proxy).",
        ),
        (
            "ja",
            "GET /check_health：http://127.0.0.1:9 に接続できません",
            "バックエンドのアドレスと、このサーバーからそこへ接続できること"
            "（DNS、ファイアウォール、プロキシ）を確認してください。",
        ),
    ]:
        checklist, result = read_result_as(browser, portal_url, backend, language)
        assert result.endswith(f"{failure}; {advice}")
        assert failure in checklist and advice in checklist and "cannot connect" not in checklist
        # The test's time as CLDR writes it mid-sentence, in the reader's language.
        backend.refresh_from_db()
        with translation.override(language):
            when = date_and_time(timezone.localtime(backend.connection_checked_at), date_style="long")
        assert when in checklist


def test_a_failed_import_and_history_read_in_the_admins_language(
    browser, portal_url, fake, takecontrol_server
):
    """Import issues from an appliance that fails, read by an admin whose browser asks for
    Japanese; the Take Control session history refused, read by one who asks for German. Both
    say what failed and what to do; the vendor's own words stay as it sent them."""
    backend = site_on_fake_appliance(fake).backend
    fake.fail("http500", action="get_support_teams")
    history_backend = takecontrol_backend(takecontrol_server.rest_url)
    takecontrol_server.state["mode"] = "403"
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="ja")
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_backend_changelist"))
    page.locator(f"#result_list input.action-select[value='{backend.pk}']").check()
    page.select_option("select[name=action]", "import_issues")
    page.locator("button[name=index]").first.click()
    page.locator("ul.messagelist li.error").wait_for()
    assert page.locator("ul.messagelist li.error").inner_text() == (
        "Lab: 問題はインポートされず、何も変更されていません（get_support_teams："
        "アプライアンスが HTTP 500 を返しました）。アプライアンスが応答するようになってから、"
        "もう一度お試しください。アプライアンスの報告内容は「接続をテスト」で確認できます。"
    )
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de")
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(
        portal_url
        + reverse("admin:portal_backend_session_history", args=[history_backend.pk])
        + "?date_from=2024-05-01&date_to=2024-05-31&columns=ID"
    )
    assert page.locator("ul.messagelist li.error").inner_text() == (
        "Take Control hat die Anfrage abgelehnt. Prüfen Sie die API-Domain und den privaten "
        "Schlüssel (seine Berechtigungen, die IP-Freigabeliste und das Ablaufdatum). Take Control "
        "meldete: Invalid integration key"
    )
    context.close()


def test_a_history_without_a_private_key_says_only_what_to_do(browser, portal_url, takecontrol_server):
    """No key, no request: after *Show sessions* the admin reads the note to add one, in their
    language, and no refusal that never happened."""
    history_backend = takecontrol_backend(takecontrol_server.rest_url, tc_private_key="")
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="de")
    page = context.new_page()
    log_in(page, portal_url)
    page.goto(portal_url + reverse("admin:portal_backend_session_history", args=[history_backend.pk]))
    page.fill("#id_date_from", "2024-05-01")
    page.fill("#id_date_to", "2024-05-31")
    with page.expect_navigation():
        page.get_by_role("button", name="Sitzungen anzeigen").click()
    assert "date_from=2024-05-01" in page.url
    assert page.locator(".errorlist").count() == 0  # a valid form: the read was the page's to make
    assert page.locator("#content-main p.errornote").all_inner_texts() == [
        "Dieses Backend hat keinen privaten Schlüssel: Fügen Sie einen hinzu, um den "
        "Sitzungsverlauf zu lesen."
    ]
    assert page.locator("ul.messagelist").count() == 0
    assert not takecontrol_server.rest_calls()
    context.close()


def test_a_take_control_test_says_what_it_could_not_prove(
    browser, page, portal_url, make_tc_site, takecontrol_server
):
    """docs/decisions/0112-takecontrol-connection-test.md: the private key is proven by one
    history read; the public key is never sent (that would start a session), and the passed
    result says so in the checklist and on the backend page, in the reader's language."""
    backend = make_tc_site(mode=Backend.TakeControlMode.REST).backend
    get_user_model().objects.create_superuser("admin", "admin@example.com", PASSWORD)
    log_in(page, portal_url)
    run_test_connection(page, portal_url)
    page.locator("ul.messagelist li.warning").wait_for()
    assert page.locator("ul.messagelist li.success").all_inner_texts() == [
        "Take Control: Every setting the start mode needs is set.",
        "Take Control: The API domain and the private key work: Take Control answered a session "
        "history request.",
    ]
    assert page.locator("ul.messagelist li.warning").all_inner_texts() == [
        "Take Control: The public integration key was not tested: Take Control can only check it "
        "by starting a session. Start a test session from the portal to check it."
    ]
    assert [call.path for call in takecontrol_server.calls()] == ["/rest/session/history"]

    japanese = (
        "パブリック統合キーはテストしていません。Take Control ではセッションを開始しない限り確認できません。"
        "確認するには、ポータルからテストセッションを開始してください。"
    )
    checklist, result = read_result_as(browser, portal_url, backend, "ja")
    assert result == japanese
    assert japanese in checklist and "public integration key" not in checklist


def test_a_site_viewer_reads_no_kept_result_nor_token_count_in_the_checklist(page, portal_url, fake):
    """The checklist's backend and token items need "view backend" and "view API token"."""
    site = site_on_fake_appliance(fake)
    Backend.objects.filter(pk=site.backend.pk).update(
        connection_ok=False,
        connection_summary="Disk usage above 95%",
        connection_notes=[],
        connection_checked_at=timezone.now(),
    )
    create_api_token(site=site, name="Zendesk")
    viewer = get_user_model().objects.create_user("admin", password=PASSWORD, is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_site"))
    log_in(page, portal_url)
    checklist = page.locator("section.setup-checklist").inner_text()
    assert "Embedding" in checklist
    assert "Disk usage" not in checklist and "Backend reachable" not in checklist
    assert "API token" not in checklist
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_backend", "view_apitoken"]))
    page.reload()
    checklist = page.locator("section.setup-checklist").inner_text()
    assert "Disk usage above 95%" in checklist and "1 active API token." in checklist
