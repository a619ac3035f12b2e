"""Files the customer pages load: the site's theme CSS and uploaded logos."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, HttpResponseBase
from django.views.decorators.http import require_GET
from django.views.static import serve

from portal import branding
from portal.http import PortalRequest


@require_GET
def theme_css(request: PortalRequest) -> HttpResponse:
    """The site's colours and colour scheme as CSS custom properties: a file, so the CSP needs no
    inline style. Its address carries a hash of what it holds (branding.theme_version)."""
    css = branding.site_theme_css(request.site) if request.site is not None else ""
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def media(request: PortalRequest, path: str) -> HttpResponseBase:
    """Uploaded logos, with long cache headers (the file name changes when the logo does)."""
    response = serve(request, path, document_root=str(settings.MEDIA_ROOT))
    response["Cache-Control"] = "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
