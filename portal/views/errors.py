"""Error pages: translated, branded, no stack traces, never a framework page. Also Django's
handler400/403/404/500 outside the API (portal/error_handlers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.core.exceptions import BadRequest, DisallowedHost, RequestDataTooBig, SuspiciousOperation
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from portal.http import PortalRequest, is_admin_request
from portal.languages import LANGUAGE_CODES, html_lang, negotiate_language
from portal.models import Site
from portal.views.rendering import allow_site_frames, is_embedded, language_links, nav_query, set_customer_csp

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def referer_query(request: PortalRequest) -> dict[str, list[str]]:
    """The query of the page a refused form was sent from (same host only). A body too large
    to read is refused before its fields are (`locale`, `embedded`), so the page it came from
    names the customer's language and whether it was framed; the referrer policy (same-origin)
    sends it on every form post. A Referer that is no URL (a client writes it: "http://[x")
    came from no page of ours."""
    try:
        referer = urlsplit(request.META.get("HTTP_REFERER", "")[:2000])
    except ValueError:  # an unbalanced IPv6 bracket
        return {}
    try:
        host = request.get_host()
    except DisallowedHost:  # a Host the portal does not serve: no page of ours sent it
        return {}
    if not referer.netloc or referer.netloc.lower() != host.lower():
        return {}
    return parse_qs(referer.query)


def referer_locale(request: PortalRequest) -> str:
    """The `locale` of the page a refused form was sent from (`referer_query`)."""
    return referer_query(request).get("locale", [""])[0]


def error_language(request: PortalRequest) -> str:
    """The page's language: the request's, or, for a request refused before the portal chose
    one (a Host it does not serve, a form over Django's field limits), the one the customer
    chose (the address's `locale`, else that of the page the form came from), else the
    browser's own."""
    language = getattr(request, "LANGUAGE_CODE", None)
    if language:
        return language
    site = getattr(request, "site", None)
    try:
        chosen = request.GET.get("locale", "")
    except SuspiciousOperation:  # a query over Django's field limit, refused on every reading
        chosen = ""
    return negotiate_language(
        enabled=site.languages if site is not None else LANGUAGE_CODES,
        default=site.default_language if site is not None else settings.LANGUAGE_CODE,
        explicit=chosen or referer_locale(request),
        accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    )


def framing_site(request: PortalRequest) -> Site | None:
    """The site whose frames may show this error page: the request's, as for a customer page,
    except in the admin, which no frame ever shows
    (docs/decisions/0024-iframe-embedding-and-top-level-start.md). None (a Host the portal does
    not serve, or one no site claims): nobody may frame it."""
    if is_admin_request(request):
        return None
    return getattr(request, "site", None)


def error_is_embedded(request: PortalRequest) -> bool:
    """Whether the error page is drawn for a frame: as a customer page is (`is_embedded`), or,
    for a form Django refused unread (too large, over its field limits: its `embedded` field
    went with it), as the page it was sent from was. A body Django refuses on every reading (a
    form in another charset than UTF-8) is the error this page may be answering: then only the
    addresses say."""
    try:
        if is_embedded(request):
            return True
    except (BadRequest, SuspiciousOperation, MultiPartParserError):  # Django's 400s for a body
        pass
    return request.method == "POST" and referer_query(request).get("embed") == ["1"]


def error_links_prefix(*, embedded: bool) -> str:
    """What an error page's language links begin with, before `locale`: a query-only reference,
    which the browser resolves against the page's own address (RFC 3986 5.2.2), so each link
    opens the same address in another language without the page repeating it. The path of a
    404 is whatever the visitor asked for: a 4 KB one written into its 16 language links, twice
    (the header's menu and the footer), made a 133 KB answer. The query keeps only the layout
    (`embed`): the other parameters of an address that is no page open nothing."""
    return "?embed=1&" if embedded else "?"


def _error_page(
    request: PortalRequest,
    status: int,
    title: StrOrPromise,
    message: StrOrPromise,
    *,
    languages: bool = False,
) -> HttpResponse:
    """`languages`: the page offers the site's languages, as every customer page does, where
    the request went through the site and language middlewares (a 404 of a link in the wrong
    language: the customer can read it in theirs, and go on in it)."""
    site = getattr(request, "site", None)
    language = error_language(request)
    offered = languages and getattr(request, "LANGUAGE_CODE", None) is not None
    framing = framing_site(request)
    embedded = framing is not None and error_is_embedded(request)
    with translation.override(language):
        response = render(
            request,
            "portal/error.html",
            {
                "site": site,
                "title": str(title),
                "message": str(message),
                "language": language,
                "embedded": embedded,
                "nav_query": nav_query(language, embedded=embedded),
                "html_lang": html_lang(language),
                "languages": (
                    language_links(request, site, prefix=error_links_prefix(embedded=embedded))
                    if offered and site is not None
                    else []
                ),
            },
            status=status,
        )
    allow_site_frames(response, framing)
    return response


def bad_request(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):  # going back and sending it again fails alike
        message = _("What you sent was too large. Please shorten your text and send it again.")
        return _error_page(request, 400, _("Bad request"), message)
    return _error_page(request, 400, _("Bad request"), _("Please go back and try again."))


def forbidden(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(request, 403, _("Not allowed"), _("Please open the support page directly."))


def not_found(request: PortalRequest, exception: Exception | None = None) -> HttpResponse:
    return _error_page(
        request,
        404,
        _("Page not found"),
        _("Please check the address or start again from the support page."),
        languages=True,
    )


def server_error(request: PortalRequest) -> HttpResponse:
    return _error_page(request, 500, _("Something went wrong"), _("Please try again in a moment."))


def not_set_up(request: PortalRequest) -> HttpResponse:
    """The "not set up yet" page (503) before the database has its tables (gunicorn started
    without `manage.py migrate`, portal.middleware.MigratedDatabaseMiddleware): as on an empty
    database, in the browser's language, touching no table (no site, no session, no user)."""
    language = error_language(request)
    with translation.override(language):
        response = render(
            request, "portal/not_configured.html", {"html_lang": html_lang(language)}, status=503
        )
    set_customer_csp(response, None)
    return response
