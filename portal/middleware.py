"""Request plumbing: which site, which language, and who may frame the response."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal import views
from portal.languages import LANGUAGE_CODES, negotiate_language
from portal.selectors import site_for_host


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before host validation and the HTTPS redirect.

    Load balancers and Docker's HEALTHCHECK probe by IP address over plain HTTP; neither is a
    customer request, and a probe must not fail because its Host is not a site's hostname.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return views.healthz(request)
        if request.path_info == "/readyz":
            return views.readyz(request)
        return self.get_response(request)


class SiteMiddleware:
    """Sets `request.site` from the Host header (a hostname belongs to one site)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.site = site_for_host(request.get_host())
        return self.get_response(request)


class CustomerLocaleMiddleware:
    """Activates the customer's language without cookies or sessions (product spec §5, §7).

    Customer pages carry the explicit choice in the URL (`?locale=`) or the form (`locale`);
    admin pages use Accept-Language among all languages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        site = getattr(request, "site", None)
        if site is not None and not request.path.startswith("/admin/"):
            enabled, default = site.languages, site.default_language
        else:
            enabled, default = LANGUAGE_CODES, settings.LANGUAGE_CODE
        explicit = request.GET.get("locale", "")
        if request.method == "POST" and not request.path.startswith("/admin/"):
            explicit = request.POST.get("locale", "") or explicit
        language = negotiate_language(
            enabled=enabled,
            default=default,
            explicit=explicit,
            accept_language=request.headers.get("Accept-Language", ""),
        )
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", language)
        translation.deactivate()
        return response


class FramingMiddleware:
    """Every response refuses framing through CSP too, unless a customer view set its own policy.

    Customer views (`portal.views.render_customer_page`) attach `portal_csp`, whose
    frame-ancestors lists the site's allowed origins, and are exempt from X-Frame-Options
    (which cannot name origins). Everything else, admin included, gets frame-ancestors 'none'
    here and DENY from Django's XFrameOptionsMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(response, "portal_csp", None) or "frame-ancestors 'none'"
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
