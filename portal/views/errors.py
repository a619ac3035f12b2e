"""Error pages: translated, branded, no stack traces, never a framework page. Also Django's
handler400/403/404/500 outside the API (portal/error_handlers.py)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from portal.http import PortalRequest
from portal.languages import html_lang
from portal.views.rendering import set_customer_csp


def _error_page(request: PortalRequest, status: int, title: str, message: str) -> HttpResponse:
    site = getattr(request, "site", None)
    language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
    response = render(
        request,
        "portal/error.html",
        {
            "site": site,
            "title": title,
            "message": message,
            "language": language,
            "html_lang": html_lang(language),
        },
        status=status,
    )
    set_customer_csp(response, None)
    return response


def bad_request(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 400, _("Bad request"), _("Please go back and try again."))


def forbidden(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, _("Not allowed"), _("Please open the support page directly."))


def not_found(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request, 404, _("Page not found"), _("Please check the address or start again from the support page.")
    )


def server_error(request: PortalRequest) -> HttpResponse:
    return _error_page(request, 500, _("Something went wrong"), _("Please try again in a moment."))
