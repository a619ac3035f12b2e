"""Django's handler400, handler403, handler404 and handler500 (portal/urls.py), and its CSRF
failure view (settings.CSRF_FAILURE_VIEW).

Under the API's mount point every error keeps the API's JSON envelope, even one Django raises
before any API code runs: a Host header outside ALLOWED_HOSTS, or a server error
(docs/decisions/0052-api-errors-keep-their-envelope.md). Everywhere else, the translated,
branded error page (portal.views.errors).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.views import csrf

from portal.api import errors as api_errors
from portal.http import PortalRequest, is_admin_request, is_api_request
from portal.views import errors as pages


def bad_request(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return api_errors.ApiError(
            400,
            "bad_request",
            "The request was refused before the API read it: its Host header is not one this "
            "portal answers to, or it is malformed.",
        ).response()
    return pages.bad_request(request, exception)


def forbidden(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return api_errors.ApiError(403, "forbidden", "Not allowed.").response()
    return pages.forbidden(request, exception)


def csrf_failure(request: PortalRequest, reason: str = "") -> HttpResponse:
    """settings.CSRF_FAILURE_VIEW. The customer forms are exempt (cookie-free,
    docs/decisions/0020-cookie-free-public-forms.md), but a POST to another customer path (the
    start page, the style sheet) meets the check: it gets the 403 page, in the customer's
    language and framed as the site allows, not Django's English one. The admin keeps Django's
    page, which tells its staff why."""
    if is_admin_request(request):
        return csrf.csrf_failure(request, reason)
    return forbidden(request)


def not_found(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return api_errors.not_found().response()
    return pages.not_found(request, exception)


def server_error(request: PortalRequest) -> HttpResponse:
    if is_api_request(request):
        return api_errors.ApiError(
            500, "server_error", "Something went wrong on the portal's side; try again later."
        ).response()
    return pages.server_error(request)
