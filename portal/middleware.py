"""Request plumbing: which site, which language, and who may frame the response."""

from __future__ import annotations

import functools

from csp import constants as csp_constants
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import translation
from django.utils.cache import patch_vary_headers

from portal import migration_state, views
from portal.api.errors import ApiError
from portal.http import is_admin_request, is_api_request
from portal.languages import LANGUAGE_CODES, negotiate_language
from portal.selectors import site_for_host


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


class MigratedDatabaseMiddleware:
    """Every request but the probes and static files, while the database lacks migrations
    (gunicorn started without `manage.py migrate`): the "not set up yet" page, 503, as on an
    empty database, and the API's JSON envelope, instead of a traceback for each request from
    the first table missing (portal/migration_state.py says it in the log)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not migration_state.missing_migrations():
            return self.get_response(request)
        if is_api_request(request):
            response = ApiError(503, "unavailable", "The portal is starting; try again later.").response()
        else:
            response = views.not_set_up(request)
        response["Retry-After"] = "30"
        # Said once per process (portal.migration_state), not on every request by django.request.
        response._has_been_logged = True
        return response


class SiteMiddleware:
    """Sets `request.site` from the Host header (a hostname belongs to one site).

    An API request gets None without the lookup: its site is its token's (`request.auth.site`),
    whatever the host, so the host's site would be a cached snapshot unpickled for nothing
    (docs/decisions/0091-api-requests-skip-the-hosts-site.md). Its host is still validated here
    (ALLOWED_HOSTS), as every request's is.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = request.get_host()
        request.site = None if is_api_request(request) else site_for_host(host)
        return self.get_response(request)


class RequestBodyMiddleware:
    """Refuses (400) a body larger than any form of the portal takes, before anything reads it.

    Django parses a body whenever `request.POST` is read, and streams a multipart body's file
    parts to temporary files whatever their size; CustomerLocaleMiddleware reads `request.POST`
    of every customer POST for its `locale`. Outside the admin a body may be as large as Django
    parses a form at all (DATA_UPLOAD_MAX_MEMORY_SIZE: far above a survey with every field full,
    so a customer's over-long paste still gets the form's own message); a larger Content-Length
    is refused unread, and a multipart body under it stays in memory
    (FILE_UPLOAD_MAX_MEMORY_SIZE is as large). The admin's forms take a site's logo, up to
    ADMIN_BODY_MAX_BYTES. The API reads its JSON itself and answers in its own envelope
    (`portal.api.api.read_json_object`). A chunked body has no Content-Length, and Django reads
    none of it.
    """

    ADMIN_BODY_MAX_BYTES = 8 * 1024 * 1024  # a logo is at most 512 KB (models.LOGO_MAX_BYTES)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body without a valid length either
        # Most requests have no body: the limit is looked up only for one.
        if length and not is_api_request(request) and length > self.limit(request):
            # Django's own refusal of a form too large, logged as one
            raise RequestDataTooBig("A body larger than any form of the portal takes.")
        return self.get_response(request)

    def limit(self, request) -> int:
        if is_admin_request(request):
            return self.ADMIN_BODY_MAX_BYTES
        return min(
            size
            for size in (settings.DATA_UPLOAD_MAX_MEMORY_SIZE, settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
            if size is not None  # None: Django sets no limit of its own
        )


class AdminQueryMiddleware:
    """Refuses (400) an admin request whose query carries a NUL, which PostgreSQL's text refuses
    with an error: the admin's list filters on text and choice fields pass their values to the
    query as they come (docs/decisions/0090-no-nul-reaches-postgresql.md)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_admin_request(request) and any(
            "\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()
        ):
            raise BadRequest("A NUL character in an admin query.")
        return self.get_response(request)


class CustomerLocaleMiddleware:
    """Activates the customer's language without cookies or sessions
    (docs/decisions/0030-customer-language.md and docs/decisions/0020-cookie-free-public-forms.md).

    Customer pages carry the explicit choice in the URL (`?locale=`) or the form (`locale`);
    admin pages use Accept-Language among all languages; the API speaks English only, and its
    JSON body is never read here as a form (docs/decisions/0091-api-requests-skip-the-hosts-site.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def language(self, request) -> tuple[str, bool]:
        """The request's language, and whether it was negotiated from Accept-Language."""
        if is_api_request(request):  # English, whatever the caller accepts
            return settings.LANGUAGE_CODE, False
        site = getattr(request, "site", None)
        in_admin = is_admin_request(request)
        if site is not None and not in_admin:
            enabled, default = site.languages, site.default_language
        else:
            enabled, default = LANGUAGE_CODES, settings.LANGUAGE_CODE
        explicit = request.GET.get("locale", "")
        if request.method == "POST" and not in_admin:
            explicit = request.POST.get("locale", "") or explicit
        language = negotiate_language(
            enabled=enabled,
            default=default,
            explicit=explicit,
            accept_language=request.headers.get("Accept-Language", ""),
        )
        return language, True

    def __call__(self, request):
        language, negotiated = self.language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        if negotiated:
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
    the backend's origins the start forms post and redirect to. Their error pages change
    frame-ancestors alone (`allow_site_frames`, docs/decisions/0115-error-pages-in-a-frame.md).
    Everything else keeps frame-ancestors 'none' and DENY from Django's XFrameOptionsMiddleware.
    The directives ride on the response object, so a page served from the page cache
    (portal/caching.py) gets the same policy.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        site_directives = getattr(response, "portal_csp", None)
        if site_directives and not report_only:
            parts.replace = {**(parts.replace or {}), **site_directives}
        return parts

    def process_response(self, request, response):
        """django-csp builds both policies from the settings on every response (a fifth of a
        cached page's time); here the headers are built once per set of site directives and
        reused. Anything django-csp's own per-response tools set (a nonce, its decorators'
        attributes) takes its full path, as does the DEBUG error page."""
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _CSP_PER_RESPONSE)
        ):
            return super().process_response(request, response)
        directives = getattr(response, "portal_csp", None) or {}
        policy, report_only = _policies(
            tuple((name, tuple(values)) for name, values in sorted(directives.items()))
        )
        for header, value, exempt, setting in (
            (csp_constants.HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                csp_constants.HEADER_REPORT_ONLY,
                report_only,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ())
            if (
                value
                and header not in response
                and not getattr(response, exempt, False)
                and not request.path_info.startswith(prefixes)
            ):
                response[header] = value
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


# What django-csp's decorators and helpers set on a response (csp.decorators).
_CSP_PER_RESPONSE = tuple(
    f"_csp_{kind}{suffix}" for kind in ("config", "update", "replace") for suffix in ("", "_ro")
)


@functools.lru_cache(maxsize=256)
def _policies(site_directives: tuple[tuple[str, tuple], ...]) -> tuple[str, str]:
    """The Content-Security-Policy and its report-only twin for a response that carries these
    site directives (`portal_csp`, as tuples) and nothing else of django-csp's."""
    replace = {name: list(values) for name, values in site_directives}
    return build_policy(replace=replace or None), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_policies(*, setting, **kwargs):
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _policies.cache_clear()
