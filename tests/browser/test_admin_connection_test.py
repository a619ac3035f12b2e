"""An admin reading in English runs *Test connection* against the fake appliance; admins whose
browsers ask for German and Japanese then read the kept result on the backend page and in the
set-up checklist in their own language, the appliance's own words as it sent them
(docs/decisions/0041-appliance-admin-actions.md)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from portal.models import Backend
from tests.browser.test_admin_lists import PASSWORD, log_in
from tests.conftest import site_on_fake_appliance

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


def test_a_kept_test_result_reads_in_each_admins_language(browser, page, portal_url, beyondtrust):
    backend = site_on_fake_appliance(beyondtrust).backend
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
    assert (
        "GET /check_health: cannot connect to http://127.0.0.1:9"
        in page.locator("ul.messagelist").inner_text()
    )
    for language, failure in [
        ("de", "GET /check_health: keine Verbindung zu http://127.0.0.1:9 möglich"),
        ("ja", "GET /check_health：http://127.0.0.1:9 に接続できません"),
    ]:
        checklist, result = read_result_as(browser, portal_url, backend, language)
        assert result.endswith(failure)
        assert failure in checklist and "cannot connect" not in checklist
