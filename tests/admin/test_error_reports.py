"""An error report never shows a secret an admin form posted (portal/error_reports.py,
docs/decisions/0040-production-security-defaults.md).

Each test saves a real admin change form with a new secret typed in, and the database refuses
the save (a fault at the UPDATE, the portal's code untouched): the report of that request, the
DEBUG page or the mail AdminEmailHandler sends with ADMINS set, shows the parameter with stars."""

from __future__ import annotations

import logging
import sys

import pytest
from django.core import mail
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from portal.webhooks.models import Endpoint
from tests.admin.test_translations import change_form_data
from tests.fakes.takecontrol import takecontrol_backend
from tests.parsed_html import elements

pytestmark = pytest.mark.django_db

STARS = "********************"
TYPED = "a-new-secret-typed-in-9f3c1e77"


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
    caught = {}

    def refuse_update(execute, sql, params, many, context):
        if sql.startswith(f'UPDATE "{table}"'):
            raise DatabaseError("disk full")
        return execute(sql, params, many, context)

    def keep(sender, request, **kwargs):
        caught.update(request=request, exc_info=sys.exc_info())

    admin_client.raise_request_exception = False
    got_request_exception.connect(keep)
    try:
        with connection.execute_wrapper(refuse_update):
            response = admin_client.post(url, data)
    finally:
        got_request_exception.disconnect(keep)
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
    AdminEmailHandler(include_html=True).emit(record)
    [message] = mail.outbox
    assert f"{field} = '{STARS}'" in message.body
    [(html, _type)] = message.alternatives
    assert "disk full" in message.body and "disk full" in html
    assert TYPED not in message.body and TYPED not in html
