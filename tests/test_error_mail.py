"""A request that fails (a 500) is mailed to DJANGO_ADMINS through the mail server EMAIL_URL
names, and the mail carries no secret: not one an admin form posted, not a configured password
(docs/decisions/0040-production-security-defaults.md). settings.LOGGING left Django's
`mail_admins` handler out, so ADMINS sent nothing. Each mail goes to a real SMTP server on
127.0.0.1 (tests/fakes/smtp.py)."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus, urlencode

import pytest
from django.core import mail
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from portal.error_reports import SecretsHiddenReporterFilter
from portal.log import RaisedExceptionFilter
from tests.admin.test_error_reports import PAGES, STARS, TYPED, failing_save
from tests.conftest import form_data
from tests.fakes.smtp import smtp_server
from tests.test_data_folders import portal_environment

ROOT = Path(__file__).resolve().parent.parent
MAIL_PASSWORD = "mail-server-password-5e1b"


@pytest.fixture
def mail_to_admins(settings):
    with smtp_server() as server:
        settings.DEBUG = False
        settings.ADMINS = [("Ops", "ops@example.com")]
        settings.SERVER_EMAIL = "portal@example.com"
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "portal", MAIL_PASSWORD
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield server


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_a_failed_admin_save_is_mailed_to_the_admins_without_its_secret(
    admin_client, site, mail_to_admins, page
):
    field, _caught, response = failing_save(admin_client, site, page)
    assert response.status_code == 500
    received = mail_to_admins.next_message()
    assert received.sender == "portal@example.com"
    assert received.recipients == ["ops@example.com"]
    assert received.credentials == ("portal", MAIL_PASSWORD)
    assert "Internal Server Error" in received.message["Subject"]
    text = received.text
    assert "DatabaseError" in text and "disk full" in text  # the traceback
    assert f"{field} = '{STARS}'" in text  # the POST, its secret starred
    assert "EMAIL_HOST_PASSWORD = '********************'" in text  # the settings, starred by name
    for secret in (TYPED, MAIL_PASSWORD):
        assert secret not in text and secret.encode() not in received.raw
    assert received.message.get_content_type() == "text/plain"  # no HTML part with frame variables


@pytest.mark.django_db
def test_a_503_page_the_portal_answers_on_purpose_is_no_mail(client, settings):
    """No site yet: every page is "not set up yet" (503), logged by Django at ERROR; a mail per
    request would flood the admins during any outage the portal already handles."""
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.com")]
    assert client.get("/").status_code == 503
    assert mail.outbox == []


@pytest.mark.django_db
def test_no_mail_with_debug_on(admin_client, site, settings):
    settings.DEBUG = True
    settings.ADMINS = [("Ops", "ops@example.com")]
    failing_save(admin_client, site, PAGES[0])
    assert mail.outbox == []


def test_a_cache_password_in_its_location_is_starred_in_the_report(settings):
    """The cache's LOCATION (redis://:PASSWORD@host) is a setting no name marks as secret."""
    settings.CACHES = {
        **settings.CACHES,
        "shared": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://:redis-pass-77c1@redis.internal:6379/0",
        },
    }
    shown = SecretsHiddenReporterFilter().get_safe_settings()["CACHES"]["shared"]["LOCATION"]
    assert shown == f"redis://:{STARS}@redis.internal:6379/0"


def test_the_environment_sets_the_admins_and_the_mail_server(tmp_path):
    """DJANGO_ADMINS, DJANGO_SERVER_EMAIL and EMAIL_URL, as an operator sets them, checked as the
    README says: `manage.py sendtestemail --admins` reaches the server with the credentials."""
    with smtp_server() as server:
        environment = portal_environment(
            PORTAL_DATA_DIR=str(tmp_path),
            DJANGO_ADMINS="ops@example.com, Jane Doe <jane@example.com>",
            DJANGO_SERVER_EMAIL="portal@example.com",
            EMAIL_URL=f"smtp://portal:{MAIL_PASSWORD}@127.0.0.1:{server.port}?timeout=5",
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "sendtestemail", "--admins"],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        received = server.next_message()
    assert received.sender == "portal@example.com"
    assert sorted(received.recipients) == ["jane@example.com", "ops@example.com"]
    assert received.credentials == ("portal", MAIL_PASSWORD)


def test_an_admin_entry_without_an_address_stops_the_start_naming_the_variable(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=portal_environment(PORTAL_DATA_DIR=str(tmp_path), DJANGO_ADMINS="ops@example.com, Jane Doe"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DJANGO_ADMINS holds 'Jane Doe', which is no email address" in result.stderr


@pytest.mark.django_db
def test_a_burst_of_500s_mails_the_admins_ten_times_then_says_so_once(admin_client, site, settings, caplog):
    """A database gone: every admin save a 500. The first ten are mailed, the rest only logged,
    and the log says once that the mail stopped; each of the requests is still logged."""
    from tests.conftest import error_mail_filters

    assert [found.limit for found in error_mail_filters()] == [10]  # the configured handler's
    settings.ADMINS = [("Ops", "ops@example.com")]
    caplog.set_level(logging.INFO)
    for _ in range(12):
        failing_save(admin_client, site, PAGES[0])
    assert len(mail.outbox) == 10
    stopped = [record for record in caplog.records if record.name == "portal.error_mail"]
    assert len(stopped) == 1 and "More than 10 server errors in 600 s" in stopped[0].getMessage()
    logged = [record for record in caplog.records if record.getMessage().startswith("Internal Server Error")]
    assert len(logged) == 12


def test_the_error_mail_window_starts_again_after_its_time():
    now = [1000.0]
    limit = RaisedExceptionFilter(limit=2, window=60, clock=lambda: now[0])
    try:
        raise DatabaseError("disk full")
    except DatabaseError:
        failed = logging.makeLogRecord({"name": "django.request", "exc_info": sys.exc_info()})
    answered = logging.makeLogRecord({"name": "django.request", "msg": "Service Unavailable"})
    assert [limit.filter(failed) for _ in range(3)] == [True, True, False]
    assert limit.filter(answered) is False  # a 503 the portal answers on purpose: never mailed
    now[0] += 59.9
    assert limit.filter(failed) is False
    now[0] += 0.1
    assert [limit.filter(failed) for _ in range(3)] == [True, True, False]


CUSTOMER_TYPED = ("Zelda Quintessa", "zelda.q@example.net", "Flickering screen zq", "ZQ-TICKET-88")
PREFILLED = ("Yolanda Prefill", "YP-TICKET-99")  # in the link, apart from the POST: each checked


@pytest.mark.django_db
def test_a_failed_customer_start_is_mailed_without_what_the_customer_typed(client, site, issues, settings):
    """The portal logs no customer field (docs/decisions/0073-privacy-requests.md), and the error
    mail is a log handler whose report leaves the machine: a customer's POST, the prefilled
    query (in the URL, GET, QUERY_STRING and a Referer) are starred; their names stay."""
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.com")]
    name, email, details, ticket = CUSTOMER_TYPED
    query = urlencode(dict(zip(("name", "external_key"), PREFILLED, strict=True)))

    def refuse_record(execute, sql, params, many, context):
        if sql.startswith('INSERT INTO "portal_startrequest"'):
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    client.raise_request_exception = False
    with connection.execute_wrapper(refuse_record):
        response = client.post(
            f"/survey/?{query}",
            form_data(issue="printing", name=name, email=email, details=details, external_key=ticket),
            HTTP_REFERER=f"https://help.example.com/tickets?{query}",
        )
    assert response.status_code == 500
    [sent] = mail.outbox
    assert "disk full" in sent.body and "/survey/" in sent.body
    assert f"details = '{STARS}'" in sent.body  # the names stay, to tell which field it was
    for typed in (*CUSTOMER_TYPED, *PREFILLED):
        for form in (typed, quote_plus(typed), quote(typed)):
            assert form not in sent.body and form not in sent.subject, form


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["survey", "admin:portal_startrequest_changelist"])
def test_the_error_mail_stars_a_prefilled_query_on_every_page(rf, settings, page):
    """A prefill link's query, or the admin's customer records search: in the URL, GET,
    QUERY_STRING and a Referer. The mail as AdminEmailHandler makes it for a request's 500."""
    path = reverse(page)
    settings.DEBUG = False
    settings.ADMINS = [("Ops", "ops@example.com")]
    query = urlencode(dict(zip(("name", "q"), PREFILLED, strict=True)))
    request = rf.get(f"{path}?{query}", HTTP_REFERER=f"https://help.example.com/tickets?{query}#top")
    try:
        raise RuntimeError("disk full")
    except RuntimeError:
        exc_info = sys.exc_info()
    record = logging.makeLogRecord(
        {
            "name": "django.request",
            "levelno": logging.ERROR,
            "levelname": "ERROR",
            "msg": "Internal Server Error: %s",
            "args": (path,),
            "request": request,
            "exc_info": exc_info,
        }
    )
    AdminEmailHandler().emit(record)
    [sent] = mail.outbox
    assert "disk full" in sent.body and f"Request URL: http://testserver{path}?{STARS}" in sent.body
    assert f"name = '{STARS}'" in sent.body and f"QUERY_STRING = '{STARS}'" in sent.body
    assert f"HTTP_REFERER = 'https://help.example.com/tickets?{STARS}'" in sent.body
    for typed in PREFILLED:
        for form in (typed, quote_plus(typed), quote(typed)):
            assert form not in sent.body and form not in sent.subject, form
