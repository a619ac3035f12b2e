"""Take Control session history in admin (docs/decisions/0019-takecontrol-session-history.md),
against the fake account."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.fakes.takecontrol import HISTORY_PATH, PRIVATE_KEY, PUBLIC_KEY, takecontrol_backend
from tests.parsed_html import element, elements

pytestmark = pytest.mark.django_db

FILTERS = {
    "date_from": "2024-05-01",
    "date_to": "2024-05-31",
    "page": "1",
    "page_size": "50",
    "columns": ["ID", "DATE_START", "CUSTOMER_NAME", "COMPUTER_NAME"],
}


@pytest.fixture(autouse=True)
def quick_vendor(settings):
    settings.PORTAL_TC_RETRY_AFTER_MAX = 0.3
    settings.PORTAL_VENDOR_READ_TIMEOUT = 1.0


@pytest.fixture
def tc_backend(takecontrol_server):
    return takecontrol_backend(takecontrol_server.rest_url)


def staff(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="portal", codename__in=codenames)
    )
    return user


@pytest.fixture
def historian(client):
    client.force_login(staff("historian", "view_backend", "view_session_history"))
    return client


def history_url(backend) -> str:
    return reverse("admin:portal_backend_session_history", args=[backend.pk])


def test_staff_without_the_permission_get_403(client, tc_backend, takecontrol_server):
    client.force_login(staff("clerk", "view_backend", "change_backend"))
    assert client.get(history_url(tc_backend), FILTERS).status_code == 403
    assert not takecontrol_server.rest_calls()
    change_page = client.get(reverse("admin:portal_backend_change", args=[tc_backend.pk])).content.decode()
    assert "session-history" not in change_page


def test_anonymous_is_sent_to_the_login(client, tc_backend):
    response = client.get(history_url(tc_backend))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_change_page_links_to_the_history(historian, tc_backend):
    html = historian.get(reverse("admin:portal_backend_change", args=[tc_backend.pk])).content.decode()
    assert elements(html, "a", href=history_url(tc_backend))


def test_form_first_with_default_columns_and_no_vendor_call(historian, tc_backend, takecontrol_server):
    response = historian.get(history_url(tc_backend))
    assert response.status_code == 200
    html = response.content.decode()
    checked = {box.attrs["value"]: "checked" in box.attrs for box in elements(html, "input", name="columns")}
    assert checked["ID"] is True and checked["NOTES"] is False
    assert not takecontrol_server.rest_calls()
    assert PRIVATE_KEY not in html and PUBLIC_KEY not in html


@time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), tick=False)
def test_the_form_starts_on_the_last_seven_days(historian, tc_backend, settings):
    settings.TIME_ZONE = "Europe/Berlin"  # already 2 March there: the admin's day, not UTC's
    form = historian.get(history_url(tc_backend)).context["form"]
    assert (form["date_from"].value(), form["date_to"].value()) == (
        datetime(2026, 2, 23).date(),
        datetime(2026, 3, 2).date(),
    )
    assert form["page"].value() == 1 and form["page_size"].value() == 50


@pytest.mark.parametrize("language", ["en-us", "de", "ja", "ru"])
@time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False)
def test_the_date_boxes_hold_dates_a_browser_reads_in_every_language(historian, tc_backend, language):
    """An <input type="date"> reads only year-month-day: a German admin's boxes held
    "22.02.2026", which the browser shows as empty, so "Show sessions" came back with "This
    field is required" (a helper's browser test)."""
    html = historian.get(history_url(tc_backend), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    boxes = {box.attrs["name"]: box.attrs["value"] for box in elements(html, "input", type="date")}
    assert boxes == {"date_from": "2026-02-22", "date_to": "2026-03-01"}


def test_filters_reach_the_vendor_and_rows_are_shown(historian, tc_backend, takecontrol_server):
    response = historian.get(
        history_url(tc_backend),
        {
            **FILTERS,
            "customer_name": "Jane",
            "customer_email": "jane@example.com",
            "computer_name": "VM2",
            "technician_username": "tech@example.com",
            "start_method": "PIN",
            "processed": "yes",
            "has_videos": "no",
            "session_id": "1001",
            "page": "2",
            "page_size": "25",
        },
    )
    assert response.status_code == 200
    [call] = takecontrol_server.rest_calls()
    assert (call.method, call.path, call.headers["integration-key"]) == ("GET", HISTORY_PATH, PRIVATE_KEY)
    assert call.query == {"pageNumber": ["2"], "pageSize": ["25"]}
    assert call.json == {
        "vars": "ID DATE_START CUSTOMER_NAME COMPUTER_NAME",
        "filters": {
            "FILTER_DATE_START_INI": "2024-05-01 00:00:00",
            "FILTER_DATE_START_END": "2024-05-31 23:59:59",
            "FILTER_ID": "1001",
            "FILTER_CUSTOMER_NAME": "Jane",
            "FILTER_CUSTOMER_EMAIL": "jane@example.com",
            "FILTER_COMPUTER_NAME": "VM2",
            "FILTER_TECH_USERNAME": "tech@example.com",
            "FILTER_START_METHOD": "PIN",
            "FILTER_PROCESSED": "ANSWERED",
            "FILTER_HAS_VIDEOS": "FALSE",
        },
    }
    html = response.content.decode()
    table = element(html, "table", id="session-history")
    assert [th.text for th in elements(table, "th", scope="col")] == [
        "Session ID",
        "Started",
        "Customer name",
        "Computer",
    ]
    cells = [td.text for td in elements(table, "td")]
    assert "Zoë Ångström 🙂" in cells and "MÜNCHEN-01" in cells
    # Escaped on the wire, not only in what a parser makes of it.
    assert "<td>=HYPERLINK(&quot;https://evil.example&quot;,&quot;click&quot;)</td>" in html
    assert "Technician notes" not in table.text  # columns not chosen are not shown
    assert PRIVATE_KEY not in html


def test_paging_links_keep_the_filters(historian, tc_backend):
    html = historian.get(
        history_url(tc_backend), {**FILTERS, "page_size": "25", "page": "1"}
    ).content.decode()
    assert "3 sessions" in html
    assert elements(html, rel="next") == elements(html, rel="prev") == []  # total 3 fits one page
    html = historian.get(history_url(tc_backend), {**FILTERS, "page": "2"}).content.decode()
    previous = element(html, "a", rel="prev").attrs["href"]
    assert "page=1" in previous and "date_from=2024-05-01" in previous and "columns=COMPUTER_NAME" in previous


def test_csv_export_is_utf8_with_bom_and_formula_safe(historian, tc_backend, takecontrol_server):
    response = historian.get(history_url(tc_backend), {**FILTERS, "export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == 'attachment; filename="session-history-2024-05-01-2024-05-31.csv"'
    )
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [
        ["ID", "DATE_START", "CUSTOMER_NAME", "COMPUTER_NAME"],
        ["1001", "2024-05-02 09:15:00", "Jane Doe", "VM2"],
        [
            "1002",
            "2024-05-03 14:00:00",
            '\'=HYPERLINK("https://evil.example","click")',
            "'=cmd|' /C calc'!A0",
        ],
        ["1003", "2024-05-04 08:00:00", "Zoë Ångström 🙂", "MÜNCHEN-01"],
    ]
    assert PRIVATE_KEY.encode() not in body
    [call] = takecontrol_server.rest_calls()  # three rows: one short page ends the export
    assert call.query == {"pageNumber": ["1"], "pageSize": ["500"]}


def test_csv_link_on_the_page_exports_the_same_selection(historian, tc_backend):
    html = historian.get(history_url(tc_backend), FILTERS).content.decode()
    link = element(html, "a", id="export-csv").attrs["href"]
    assert "export=csv" in link and "columns=CUSTOMER_NAME" in link and "date_to=2024-05-31" in link


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("403", "Take Control refused the request. Check the API domain and the private key"),
        ("429-no-retry-after", "Take Control asks us to slow down."),
        ("500", "Take Control did not answer in time or failed."),
        ("malformed", "Take Control answered in a way the portal cannot read."),
        ("400", "Take Control could not read this request."),
    ],
)
def test_vendor_errors_become_admin_messages(historian, tc_backend, takecontrol_server, mode, message):
    takecontrol_server.state["mode"] = mode
    response = historian.get(history_url(tc_backend), FILTERS)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert PRIVATE_KEY not in html and PUBLIC_KEY not in html
    response = historian.get(history_url(tc_backend), {**FILTERS, "export": "csv"})
    assert response["Content-Type"].startswith("text/html") and message in response.content.decode()


@pytest.mark.parametrize("export", [{}, {"export": "csv"}])
def test_missing_private_key_is_explained_without_a_call(historian, tc_backend, takecontrol_server, export):
    """No key, no request: the note says what to do, and no vendor error claims a refusal."""
    tc_backend.tc_private_key = ""
    tc_backend.save()
    response = historian.get(history_url(tc_backend), {**FILTERS, **export})
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "This backend has no private key" in html
    assert "Take Control refused the request" not in html
    assert 'class="messagelist"' not in html
    assert not takecontrol_server.rest_calls()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date_to": "2024-04-01"}, "The range must end on or after its first day."),
        ({"columns": []}, "Choose at least one column."),
        ({"columns": ["CHAT_INFO"]}, "Select a valid choice."),
        ({"date_from": "yesterday"}, "Enter a valid date."),
    ],
)
def test_bad_filters_are_refused_before_the_vendor(historian, tc_backend, takecontrol_server, changes, field):
    response = historian.get(history_url(tc_backend), {**FILTERS, **changes})
    assert response.status_code == 200
    assert field in response.content.decode()
    assert not takecontrol_server.rest_calls()


def test_beyondtrust_backend_has_no_history(historian, backend):
    assert historian.get(history_url(backend), FILTERS).status_code == 404
    assert (
        historian.get(reverse("admin:portal_backend_session_history", args=[999999]), FILTERS).status_code
        == 404
    )
