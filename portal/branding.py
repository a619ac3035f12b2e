"""Site branding checks: colour contrast (WCAG 2.2, 1.4.3) and the embedding snippet."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http.request import split_domain_port
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from portal import selectors
from portal.models import color_validator

MIN_TEXT_CONTRAST = 4.5
WHITE = "#ffffff"


def is_colour(value: object) -> bool:
    """Whether `value` is a colour the checks below can read: what the sites' own validator
    takes (#rrggbb)."""
    if not isinstance(value, str):
        return False
    try:
        color_validator(value)
    except ValidationError:
        return False
    return True


def relative_luminance(color: str) -> float:
    """WCAG relative luminance of a #rrggbb colour."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def contrast_warnings(*, primary: str, text: str, background: str) -> list[str]:
    """Pairs the portal actually draws: text on the page, white on buttons, links on cards."""
    pairs = [
        (text, background, _("Text colour on the background colour")),
        (text, WHITE, _("Text colour on white cards")),
        (WHITE, primary, _("White button text on the primary colour")),
        (primary, WHITE, _("Primary colour (links) on white cards")),
    ]
    warnings = []
    for foreground, back, what in pairs:
        ratio = contrast_ratio(foreground, back)
        if ratio < MIN_TEXT_CONTRAST:
            warnings.append(
                _("%(what)s has a contrast of %(ratio).1f:1; at least 4.5:1 is needed to be readable.")
                % {"what": what, "ratio": ratio}
            )
    return warnings


def embed_snippet(*, origin: str, site_name: str) -> str:
    """The copy-paste HTML a help-desk page needs to embed the portal
    (docs/decisions/0024-iframe-embedding-and-top-level-start.md).

    One template (templates/portal/embed_snippet.html) for the admin's site page and the
    README's example; tests/test_admin_setup.py checks the README shows this very output.
    No inline style or script: the host page's Content-Security-Policy needs nothing for it.
    """
    static_url = settings.STATIC_URL
    if "://" not in static_url:  # served by the portal itself, under its own origin
        static_url = origin + "/" + static_url.lstrip("/")
    return render_to_string(
        "portal/embed_snippet.html",
        {
            "origin": origin,
            "title": site_name,
            "script_url": static_url + "portal/embed.js",
        },
    ).strip()


def site_origin(site, request=None) -> str | None:
    """Where customers reach the site, as `scheme://host[:port]`: for the admin's embedding
    snippet, the API's links and the prefill link command alike.

    The site's first hostname; https unless the portal serves plain http (PORTAL_HTTPS=false,
    where the request's scheme says what a proxy in front of it speaks, and plain http without a
    request); the request's port when the request came to that very hostname. A site without
    hostnames is the default site, which answers any host: the request's own origin, else None
    (no address is known, and a guessed one would be a dead link)."""
    hostname = selectors.first_hostname(site)
    if not hostname:
        return request.build_absolute_uri("/").rstrip("/") if request is not None else None
    scheme = "https" if settings.HTTPS else (request.scheme if request is not None else "http")
    if request is not None:
        requested, port = split_domain_port(request.get_host())
        if port and requested == hostname.lower():
            return f"{scheme}://{hostname}:{port}"
    return f"{scheme}://{hostname}"
