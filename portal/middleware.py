"""Request plumbing: which site, which language, and who may frame the response."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal.languages import LANGUAGE_CODES, negotiate_language
from portal.selectors import site_for_host


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
    """Every response refuses framing unless a customer view set its own policy.

    Customer views (`portal.views.render_customer_page`) attach `portal_csp`, whose
    frame-ancestors lists the site's allowed origins; they send no X-Frame-Options, which
    cannot name origins. Everything else, admin included, gets frame-ancestors 'none' and DENY.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(response, "portal_csp", None):
            response.headers.setdefault("Content-Security-Policy", response.portal_csp)
        else:
            response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response
