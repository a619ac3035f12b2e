"""The request as the portal's middleware leaves it, for type annotations.

`portal.middleware.SiteMiddleware` sets `request.site` to the portal's `Site` for the Host
header, or None when no site answers to it. django-stubs declares `HttpRequest.site` as
`django.contrib.sites`' Site (what that app's middleware sets); the portal does not use that app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    from portal.models import Site


# The integrations API's mount point (portal/urls.py): its requests act for their Bearer token's
# site, speak English and get every error in the API's JSON envelope
# (docs/decisions/0091-api-requests-skip-the-hosts-site.md).
API_PREFIX = "/api/v1/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def is_admin_request(request: HttpRequest) -> bool:
    """Under the admin's URL, which DJANGO_ADMIN_URL moves."""
    return request.path_info.startswith(f"/{settings.ADMIN_URL}")


class PortalRequest(HttpRequest):
    # Our Site, not contrib.sites': a different class, so the override is not a subtype.
    site: Site | None  # type: ignore[assignment]


class SiteRequest(PortalRequest):
    """A request a site answers: what a customer view sees once `site_ready` said yes
    (`portal.views.rendering.site_ready` narrows a `PortalRequest` to this)."""

    site: Site
