"""An error report never shows a secret an admin form posted (portal/error_reports.py,
docs/decisions/0040-production-security-defaults.md).

Each test saves a real admin change form with a new secret typed in, and the database refuses
the save (a fault at the UPDATE, the portal's code untouched): the report of that request, the
DEBUG page or the mail AdminEmailHandler sends with ADMINS set, shows the parameter with stars."""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from portal.models import ApiToken
from portal.webhooks.models import Endpoint
from tests.admin.test_translations import change_form_data
from tests.fakes.takecontrol import takecontrol_backend
from tests.parsed_html import elements

pytestmark = pytest.mark.django_db

STARS = "********************"
TYPED = "a-new-secret-typed-in-9f3c1e77"


@contextlib.contextmanager
def request_exception_kept() -> Iterator[dict]:
    """While it lasts, the request that fails and its exception, kept in the dict it gives."""
    caught: dict = {}

    def keep(sender, request, **kwargs):
        caught.update(request=request, exc_info=sys.exc_info())

    got_request_exception.connect(keep)
    try:
        yield caught
    finally:
        got_request_exception.disconnect(keep)


def mail_with_html(caught: dict):
    """The one mail Django's AdminEmailHandler sends, with its HTML part (each frame's
    variables), for the failure `request_exception_kept` kept."""
    record = logging.makeLogRecord(
        {
            "name": "django.request",
            "levelno": logging.ERROR,
            "levelname": "ERROR",
            "msg": "Internal Server Error: %s",
            "args": (caught["request"].path,),
            "request": caught["request"],
            "exc_info": caught["exc_info"],
        }
    )
    before = len(mail.outbox)
    AdminEmailHandler(include_html=True).emit(record)
    [message] = mail.outbox[before:]
    return message


def backend_page(site):
    site.backend.client_id = "portal-client"
    site.backend.save()
    return "portal_backend", reverse("admin:portal_backend_change", args=[site.backend.pk]), "client_secret"


def takecontrol_page(site):
    backend = takecontrol_backend("https://api.example.com/rest")
    return "portal_backend", reverse("admin:portal_backend_change", args=[backend.pk]), "tc_private_key"


def site_page(site):
    site.backend.client_id, site.backend.client_secret = "portal-client", "stored-client-secret"
    site.backend.save()  # the site's representative list asks for them
    return "portal_site", reverse("admin:portal_site_change", args=[site.pk]), "prefill_secret"


def endpoint_page(site):
    endpoint = Endpoint.objects.create(site=site, url="https://hooks.example.com/portal", secret="x" * 32)
    url = reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])
    return Endpoint._meta.db_table, url, "secret"


PAGES = [backend_page, takecontrol_page, site_page, endpoint_page]


def failing_save(admin_client, site, page):
    """POST the change form of `page` with TYPED in its secret while the database refuses the
    UPDATE of its table; the request, the exception and the 500 response."""
    table, url, field = page(site)
    data = change_form_data(admin_client, url, **{field: TYPED})

    def refuse_update(execute, sql, params, many, context):
        if sql.startswith(f'UPDATE "{table}"'):
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    admin_client.raise_request_exception = False
    with request_exception_kept() as caught, connection.execute_wrapper(refuse_update):
        response = admin_client.post(url, data)
    assert response.status_code == 500 and caught["exc_info"][0] is DatabaseError
    return field, caught, response


@pytest.mark.parametrize("page", PAGES)
def test_the_debug_page_shows_a_posted_secret_as_stars(admin_client, site, settings, page):
    settings.DEBUG = True
    field, _caught, response = failing_save(admin_client, site, page)
    html = response.content.decode()
    assert "disk full" in html  # Django's technical page, with the POST and each frame's variables
    assert TYPED not in html
    rows = {
        cells[0].text: cells[1].text for row in elements(html, "tr") if len(cells := elements(row, "td")) == 2
    }
    assert rows[field] == repr(STARS)
    assert rows["csrfmiddlewaretoken"] != repr(STARS)  # the others are shown as they are


@pytest.mark.parametrize("page", PAGES)
def test_the_admins_mail_shows_a_posted_secret_as_stars(admin_client, site, settings, page, caplog):
    settings.ADMINS = [("Ops", "ops@example.com")]
    caplog.set_level(logging.DEBUG)
    field, caught, _response = failing_save(admin_client, site, page)
    # The portal's own log of the failure, traceback included, never carries it either.
    logged = "\n".join(logging.Formatter().format(record) for record in caplog.records)
    assert "Internal Server Error" in logged and "disk full" in logged and TYPED not in logged
    # The mail settings.LOGGING sends (text only), then one with the HTML part too.
    [sent] = mail.outbox
    assert f"{field} = '{STARS}'" in sent.body and "disk full" in sent.body and TYPED not in sent.body
    assert sent.alternatives == []
    mail.outbox.clear()
    message = mail_with_html(caught)
    assert f"{field} = '{STARS}'" in message.body
    [(html, _type)] = message.alternatives
    assert "disk full" in message.body and "disk full" in html
    assert TYPED not in message.body and TYPED not in html


# ------------------------------------------------------------------------------
# Stored secrets nobody posted (docs/decisions/0126-values-stored-before-todays-rules.md): a
# save's UPDATE carries the stored value in its parameters (`params` in Django's SQL frames).
# ------------------------------------------------------------------------------
STORED = "a-stored-secret-nobody-typed-4d2a"


def stored_backend_page(site):
    site.backend.client_id, site.backend.client_secret = "portal-client", STORED
    site.backend.save()
    return "portal_backend", reverse("admin:portal_backend_change", args=[site.backend.pk])


def stored_takecontrol_page(site):
    backend = takecontrol_backend("https://api.example.com/rest", tc_public_key=STORED)
    return "portal_backend", reverse("admin:portal_backend_change", args=[backend.pk])


def stored_site_page(site):
    site.backend.client_id, site.backend.client_secret = "portal-client", "stored-client-secret"
    site.backend.save()  # the site's representative list asks for them
    site.prefill_secret = STORED
    site.save()
    return "portal_site", reverse("admin:portal_site_change", args=[site.pk])


def stored_endpoint_page(site):
    endpoint = Endpoint.objects.create(site=site, url="https://hooks.example.com/portal", secret=STORED)
    return Endpoint._meta.db_table, reverse("admin:webhooks_endpoint_change", args=[endpoint.pk])


def save_refused(client, url: str, table: str, data: dict):
    """POST `data` to `url` while the database refuses the UPDATE of `table`: the 500."""

    def refuse_update(execute, sql, params, many, context):
        if sql.startswith(f'UPDATE "{table}"'):
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    client.raise_request_exception = False
    with connection.execute_wrapper(refuse_update):
        response = client.post(url, data)
    assert response.status_code == 500
    return response


def frame_variables(html: str) -> dict[str, str]:
    """Every frame's local variables on the DEBUG page, by name (the last frame's wins)."""
    found = {}
    for table in elements(html, "table", class_="vars"):
        for row in elements(table, "tr"):
            cells = elements(row, "td")
            if len(cells) == 2:
                found[cells[0].text] = cells[1].text
    return found


def stored_token_page(site):
    from portal.tokens import create_api_token

    token = create_api_token(site=site, name="Zendesk").token
    ApiToken.objects.filter(pk=token.pk).update(token_hash=STORED)  # any stored hash
    return "portal_apitoken", reverse("admin:portal_apitoken_change", args=[token.pk])


@pytest.mark.parametrize(
    "page",
    [stored_backend_page, stored_takecontrol_page, stored_site_page, stored_endpoint_page, stored_token_page],
)
def test_the_debug_page_hides_a_stored_secret_nobody_posted(admin_client, site, settings, page):
    settings.DEBUG = True
    table, url = page(site)
    data = change_form_data(admin_client, url)  # every secret left empty: the stored one stays
    html = save_refused(admin_client, url, table, data).content.decode()
    assert "disk full" in html and 'class="vars"' in html
    assert STORED not in html
    assert frame_variables(html)["params"] == repr(STARS)  # the UPDATE's, which carried it
    assert "UPDATE" in frame_variables(html)["sql"]  # the rest is shown as it is


def test_the_admins_mail_hides_a_stored_secret_nobody_posted(admin_client, site, settings):
    settings.ADMINS = [("Ops", "ops@example.com")]
    table, url = stored_site_page(site)
    with request_exception_kept() as caught:
        save_refused(admin_client, url, table, change_form_data(admin_client, url))
    # The mail settings.LOGGING sends (text only), then one with the HTML part too.
    [sent] = mail.outbox
    assert "disk full" in sent.body and STORED not in sent.body
    mail.outbox.clear()
    message = mail_with_html(caught)
    [(html, _type)] = message.alternatives
    assert "disk full" in message.body and frame_variables(html)["params"] == repr(STARS)
    assert STORED not in message.body and STORED not in html


def test_the_admins_mail_hides_an_api_token_and_its_stored_hash(client, site, settings):
    """The API shows no frame variables with DEBUG on (django-ninja answers a plain traceback);
    with it off, an error reaches Django's handler and the mail lists them."""
    from portal.tokens import create_api_token, hash_token

    settings.ADMINS = [("Ops", "ops@example.com")]
    secret = create_api_token(site=site, name="Zendesk").secret

    def refuse_update(execute, sql, params, many, context):
        if sql.startswith('UPDATE "portal_apitoken"'):  # noting the token's use
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    client.raise_request_exception = False
    with request_exception_kept() as caught, connection.execute_wrapper(refuse_update):
        response = client.get("/api/v1/reps", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 500
    # The mail settings.LOGGING sends (text only), then one with the HTML part too.
    [sent] = mail.outbox
    assert "disk full" in sent.body
    assert hash_token(secret) not in sent.body and secret not in sent.body
    mail.outbox.clear()
    message = mail_with_html(caught)
    [(html, _type)] = message.alternatives
    assert "disk full" in message.body and frame_variables(html)["digest"] == repr(STARS)
    for text in (message.body, html):
        assert hash_token(secret) not in text and secret not in text


def test_an_unreadable_store_hides_every_frame_variable(admin_client, site, settings):
    settings.DEBUG = True
    table, url = stored_site_page(site)
    data = change_form_data(admin_client, url)

    gone = []

    def refuse_from_the_update_on(execute, sql, params, many, context):
        if gone or sql.startswith(f'UPDATE "{table}"'):  # the database went away there
            gone.append(sql)
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    admin_client.raise_request_exception = False
    with connection.execute_wrapper(refuse_from_the_update_on):
        response = admin_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 500 and "disk full" in html
    variables = frame_variables(html)
    assert len(gone) > 1  # the report asked for the stored secrets, and could not read them
    assert variables and set(variables.values()) == {repr(STARS)}
    assert STORED not in html
