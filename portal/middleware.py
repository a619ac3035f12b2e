"""Request plumbing: which site, which language, and who may frame the response."""

from __future__ import annotations

from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal import views
from portal.languages import LANGUAGE_CODES, negotiate_language
from portal.selectors import site_cache_version, site_for_host


class HeadMiddleware:
    """HEAD is answered as GET is, without the body (RFC 9110 §9.3.2), on every page.

    Uptime monitors probe with HEAD. The rest of the stack sees a GET (require_GET, the page
    cache, the API's method check, whitenoise), so status and headers, Content-Length
    included, are the GET's; only the body is dropped here. The raw REQUEST_METHOD (the
    access log) still says HEAD.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        try:
            response = self.get_response(request)
        finally:
            request.method = "HEAD"
        if response.streaming:
            # A file's closer stays registered: the server's close() still closes it.
            response.streaming_content = []
        else:
            response.content = b""
        return response


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before host validation (and, by SECURE_REDIRECT_EXEMPT,
    without the HTTPS redirect), but inside the header middlewares, so probes get them too.

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
    """Activates the customer's language without cookies or sessions
    (docs/decisions/0030-customer-language.md and docs/decisions/0020-cookie-free-public-forms.md).

    Customer pages carry the explicit choice in the URL (`?locale=`) or the form (`locale`);
    admin pages use Accept-Language among all languages.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        site = getattr(request, "site", None)
        in_admin = request.path_info.startswith(f"/{settings.ADMIN_URL}")  # DJANGO_ADMIN_URL
        if site is not None and not in_admin:
            enabled, default = site.languages, site.default_language
        else:
            enabled, default = LANGUAGE_CODES, settings.LANGUAGE_CODE
        explicit = request.GET.get("locale", "")
        # The API reads its own JSON body and answers in English: parsing its body as a form
        # here would turn a malformed multipart body into an HTML error page instead of 415.
        if request.method == "POST" and not in_admin and not request.path.startswith("/api/"):
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


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware: the strict baseline (settings.CONTENT_SECURITY_POLICY) on
    every response, admin, API, probes and static files included.

    Customer views (`portal.views.rendering.render_customer_page`) attach `portal_csp`, the directives
    their site changes: frame-ancestors lists the site's allowed embedding origins (those
    pages are exempt from X-Frame-Options, which cannot name origins), and form-action adds
    the backend's origins the start forms post and redirect to. Everything else keeps
    frame-ancestors 'none' and DENY from Django's XFrameOptionsMiddleware. The directives ride
    on the response object, so a page served from the page cache gets the same policy.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        site_directives = getattr(response, "portal_csp", None)
        if site_directives and not report_only:
            parts.replace = {**(parts.replace or {}), **site_directives}
        return parts


class CustomerPageCacheMiddleware:
    """Serves the customer pages from the shared cache (docs/decisions/0021-customer-page-cache.md).

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
        return (
            f"portal:page:{site_cache_version()}:{site.pk}:{request.LANGUAGE_CODE}:"
            f"{request.GET.get('embed') == '1'}:{request.path}"
        )

    def __call__(self, request):
        key = self.cache_key(request)
        if key is not None:
            cached = cache.get(key)
            if cached is not None:
                return cached
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if (
            key is not None
            and match is not None
            and match.url_name in self.CACHED_VIEWS
            and response.status_code == 200
            and not response.cookies
            and getattr(response, "portal_csp", None) is not None
            and "no-cache" not in response.get("Cache-Control", "")
        ):
            cache.set(key, response, self.PAGE_SECONDS)
        return response
