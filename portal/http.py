"""The request as the portal's middleware leaves it, for type annotations.

`portal.middleware.SiteMiddleware` sets `request.site` to the portal's `Site` for the Host
header, or None when no site answers to it. django-stubs declares `HttpRequest.site` as
`django.contrib.sites`' Site (what that app's middleware sets); the portal does not use that app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from portal.models import Site


class PortalRequest(HttpRequest):
    # Our Site, not contrib.sites': a different class, so the override is not a subtype.
    site: Site | None  # type: ignore[assignment]


class SiteRequest(PortalRequest):
    """A request a site answers: what a customer view sees once `site_ready` said yes
    (`portal.views.rendering.site_ready` narrows a `PortalRequest` to this)."""

    site: Site
