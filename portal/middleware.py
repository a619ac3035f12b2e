"""Request plumbing: which site, which language, and who may frame the response."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal import views
from portal.languages import LANGUAGE_CODES, negotiate_language
from portal.selectors import site_cache_version, site_for_host


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
        # The API reads its own JSON body and answers in English: parsing its body as a form
        # here would turn a malformed multipart body into an HTML error page instead of 415.
        if request.method == "POST" and not request.path.startswith(("/admin/", "/api/")):
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

    Customer views (`portal.pages.render_customer_page`) attach `portal_csp`, whose
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


class CustomerPageCacheMiddleware:
    """Serves the customer pages from the shared cache (product spec §9).

    A customer page is the same for every visitor of one site and language: it carries no
    cookie and no per-visitor token (the signed timestamp only says when it was rendered). So
    a GET with no query parameters other than `locale` and `embed` is cached per site,
    language, path and embed flag for PAGE_SECONDS; every admin change bumps the site
    version (signals.py), which retires the whole set at once. Prefill links are never
    cached: their values are the customer's. Neither is a response whose view said
    `Cache-Control: no-cache` (`never_cache`): pages that show who is online now, whose
    freshness the representative list's own cache decides.
    """

    PAGE_SECONDS = 30
    CACHED_VIEWS = {"home", "session_key", "survey", "technicians"}
    NEUTRAL_PARAMETERS = {"locale", "embed"}

    def __init__(self, get_response):
        self.get_response = get_response

    def cache_key(self, request) -> str | None:
        site = getattr(request, "site", None)
        if request.method != "GET" or site is None or not set(request.GET) <= self.NEUTRAL_PARAMETERS:
            return None
        return (f"portal:page:{site_cache_version()}:{site.pk}:{request.LANGUAGE_CODE}:"
                f"{request.GET.get('embed') == '1'}:{request.path}")

    def __call__(self, request):
        key = self.cache_key(request)
        if key is not None:
            cached = cache.get(key)
            if cached is not None:
                return cached
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (key is not None and match is not None and match.url_name in self.CACHED_VIEWS
                and response.status_code == 200 and not response.cookies
                and getattr(response, "portal_csp", None)
                and "no-cache" not in response.get("Cache-Control", "")):
            cache.set(key, response, self.PAGE_SECONDS)
        return response
