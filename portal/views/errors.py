"""Error pages: translated, branded, no stack traces, never a framework page. Also Django's
handler400/403/404/500 outside the API (portal/error_handlers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.http import PortalRequest
from portal.languages import LANGUAGE_CODES, html_lang, negotiate_language
from portal.views.rendering import set_customer_csp

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def error_language(request: PortalRequest) -> str:
    """The page's language: the request's, or, for a request refused before the portal chose
    one (a Host it does not serve, a form over Django's field limits), the browser's own."""
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        return language
    return negotiate_language(
        enabled=LANGUAGE_CODES,
        default=settings.LANGUAGE_CODE,
        accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def _error_page(
    request: PortalRequest, status: int, title: StrOrPromise, message: StrOrPromise
) -> HttpResponse:
    site = getattr(request, "site", None)
    language = error_language(request)
    with translation.override(language):
        response = render(
            request,
            "portal/error.html",
            {
                "site": site,
                "title": str(title),
                "message": str(message),
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
