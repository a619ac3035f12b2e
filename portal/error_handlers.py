"""Django's handler400, handler403, handler404 and handler500 (portal/urls.py).

Under the API's mount point every error keeps the API's JSON envelope, even one Django raises
before any API code runs: a Host header outside ALLOWED_HOSTS, or a server error
(docs/decisions/0052-api-errors-keep-their-envelope.md). Everywhere else, the translated,
branded error page (portal.views.errors).
"""

from __future__ import annotations

from django.http import HttpResponse

from portal.api import errors as api_errors
from portal.http import PortalRequest, is_api_request
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
