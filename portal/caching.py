"""The portal's caches, in one module (docs/decisions/0061-one-caching-module.md).

- **The site version**: one random token in the shared cache that every admin change renews
  (signals.py); every key below carries it, so one change retires every cached page and read.
- **The per-process memo**: one bounded, thread-safe cachetools `TTLCache` for values this
  process reads on every request (sites by host, texts, issues, fields, schedules, API tokens):
  no unpickling on the hot path.
- **Versioned reads** (`versioned`, `cached_per_site`): memo first, then the shared cache, else
  computed and stored in both. They hold frozen values (selectors.py) or pickled snapshots, never
  a model instance two requests could share, change or save.
- **The customer page cache** (`customer_page_cache`): one decorator on every cached customer
  view, with a response attribute to opt out (`exempt_from_page_cache`), in the manner of
  Django's `xframe_options_exempt`.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils.cache import add_never_cache_headers

from portal.http import PortalRequest

T = TypeVar("T")

# ------------------------------------------------------------------------------
# The site version
# ------------------------------------------------------------------------------
SITE_CACHE_SECONDS = 60
SITE_CACHE_VERSION_KEY = "portal:site-version"


# The version a request has read, for the rest of that request: a survey start reads six cached
# values, and each read of the version is a round trip to the shared cache (a SQLite file by
# default). One per request thread; outside a request (commands, workers) every call reads.
_request = threading.local()


def _request_began(**kwargs: Any) -> None:
    _request.active, _request.version = True, None


def _request_ended(**kwargs: Any) -> None:
    _request.active, _request.version = False, None


request_started.connect(_request_began, dispatch_uid="portal-site-version-request-began")
request_finished.connect(_request_ended, dispatch_uid="portal-site-version-request-ended")


def site_cache_version() -> str:
    """Renewed by every admin change (signals.py), so cached reads and pages expire at once.
    Read once per request (docs/decisions/0067-one-site-version-read-per-request.md).

    A random token, not a counter: if the cache loses it (eviction, a Redis restart), the new
    token can never name values cached before, as a counter restarting at 1 would.
    """
    in_request = getattr(_request, "active", False)
    if in_request and _request.version is not None:
        return _request.version
    version = cache.get(SITE_CACHE_VERSION_KEY)
    if version is None:
        cache.add(SITE_CACHE_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(SITE_CACHE_VERSION_KEY) or "lost"
    if in_request:
        _request.version = version
    return version


def renew_site_cache_version() -> None:
    version = uuid.uuid4().hex
    cache.set(SITE_CACHE_VERSION_KEY, version, None)
    if getattr(_request, "active", False):  # the request that made the change sees it at once
        _request.version = version


# ------------------------------------------------------------------------------
# The per-process memo
# ------------------------------------------------------------------------------
class ProcessMemo:
    """A bounded (size and age) per-process memo, safe for the threads of a gthread worker
    (cachetools caches are not thread-safe on their own).

    The age bound is what an admin change can cost when the shared cache is per process
    (CACHE_URL=locmem://) or loses an invalidation; the size bound keeps a flood of hostnames
    or tokens from growing the worker.
    """

    def __init__(self, *, maxsize: int, ttl: float) -> None:
        self._entries: TTLCache = TTLCache(maxsize=maxsize, ttl=ttl)
        self._lock = threading.Lock()

    def get(self, key: Hashable, default: Any = None) -> Any:
        with self._lock:
            return self._entries.get(key, default)

    def set(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._entries[key] = value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


MEMO_SIZE = 4096
memo = ProcessMemo(maxsize=MEMO_SIZE, ttl=SITE_CACHE_SECONDS)

_MISSING = object()


def versioned(key: str, compute: Callable[[], T]) -> T:
    """A value cached under a key that carries the site version: in this process first, then
    in the shared cache (every worker), else computed and stored in both for
    SITE_CACHE_SECONDS. `compute` returns a frozen value (or a picklable snapshot the caller
    unpickles); what is stored here is shared by every request of the process."""
    value = memo.get(key, _MISSING)
    if value is not _MISSING:
        return value
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, SITE_CACHE_SECONDS)
    memo.set(key, value)
    return value


def load_secrets(instance: Any, fields: tuple[str, ...]) -> None:
    """Fills the deferred secret fields of a cached site or backend (selectors.site_for_host
    defers them) from this process's memo, else from the database in one query, kept in the
    memo until the next admin change. Secrets never go to the shared cache; a request that
    needs one (a signed prefill link, the rep list's client) no longer costs a query each."""
    deferred = tuple(field for field in fields if field in instance.get_deferred_fields())
    if not deferred:
        return
    key = ("secrets", site_cache_version(), instance._meta.label, instance.pk, deferred)
    values = memo.get(key)
    if values is None:
        instance.refresh_from_db(fields=list(deferred))
        values = tuple(getattr(instance, field) for field in deferred)
        memo.set(key, values)
    else:
        for field, value in zip(deferred, values, strict=True):
            setattr(instance, field, value)


def cached_per_site(name: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Caches a selector's result per site and language until the next admin change."""

    def decorator(selector: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(selector)
        def wrapper(*, site: Any, language: str) -> T:
            key = f"portal:{name}:{site_cache_version()}:{site.pk}:{language}"
            return versioned(key, lambda: selector(site=site, language=language))

        return wrapper

    return decorator


# ------------------------------------------------------------------------------
# The customer page cache (docs/decisions/0061-one-caching-module.md, which supersedes the
# page-cache part of docs/decisions/0021-customer-page-cache.md)
# ------------------------------------------------------------------------------
PAGE_SECONDS = 30
NEUTRAL_PARAMETERS = frozenset({"locale", "embed"})  # every other parameter is the customer's

# What a page depends on besides site, language, embed flag and path, and how long it may be
# kept: the rep list's page names the list it shows and keeps for its TTL.
PageVariant = tuple[str, int]


# Prefilled pages compiled per shape (views/prefilled.py): their own bound, so a flood of
# parameter combinations can evict only other compiled pages, never the sites and tokens.
COMPILED_PAGES = 256
compiled_pages = ProcessMemo(maxsize=COMPILED_PAGES, ttl=PAGE_SECONDS)


def exempt_from_page_cache(response: HttpResponse) -> HttpResponse:
    """Neither the page cache nor a browser keeps this response: what it shows changes by the
    minute (who is online) or must show at once (the closed page)."""
    add_never_cache_headers(response)
    response.customer_page_cache_exempt = True  # type: ignore[attr-defined]  # read by page_is_cacheable
    return response


def page_cache_key(request: HttpRequest, variant: str = "") -> str | None:
    """The key of a plain GET of a customer page, None for anything carrying the customer's
    own values (a prefill link) or not for a site."""
    site = getattr(request, "site", None)
    if request.method != "GET" or site is None or not NEUTRAL_PARAMETERS.issuperset(request.GET):
        return None
    return (
        f"portal:page:{site_cache_version()}:{site.pk}:{request.LANGUAGE_CODE}:"
        f"{request.GET.get('embed') == '1'}:{request.path}:{variant}"
    )


def page_is_cacheable(response: HttpResponseBase) -> bool:
    return (
        response.status_code == 200
        and not response.cookies
        and getattr(response, "portal_csp", None) is not None  # a customer page, with its CSP
        and not getattr(response, "customer_page_cache_exempt", False)
    )


PageLookup = tuple[str | None, int, HttpResponseBase | None]  # key, seconds, cached page


def _page_lookup(
    request: PortalRequest, variant: Callable[[PortalRequest], PageVariant] | None
) -> PageLookup:
    """(key, seconds, cached page) for a customer view's request; asked once per request."""
    seconds, name = PAGE_SECONDS, ""
    if variant is not None and page_cache_key(request) is not None:
        name, seconds = variant(request)
    key = page_cache_key(request, name)
    return key, seconds, (cache.get(key) if key is not None else None)


def customer_page_cache(
    view: Callable[..., HttpResponseBase] | None = None,
    *,
    variant: Callable[[PortalRequest], PageVariant] | None = None,
) -> Any:
    """Serve a customer view's plain GETs from the shared cache.

    A customer page is the same for every visitor of one site and language: it carries no
    cookie and no per-visitor token (the signed timestamp only says when it was rendered). So
    a GET with no parameters but `locale` and `embed` is kept per site version, site,
    language, embed flag and path for PAGE_SECONDS, or what `variant(request)` says. HEAD
    arrives here as GET (HeadMiddleware) and is served from the same entry. The response's
    CSP directives (`portal_csp`) and framing exemption ride on the pickled response, so a
    cached page gets its site's policy. Prefill links are never cached here; their values are
    the customer's (views/prefilled.py compiles those pages instead).

    The decorated view is marked (`page_cache_variant`) so that PageCacheHitMiddleware can
    answer a hit before the session, CSRF, auth and messages middlewares, which a page without
    cookies never needs; what it looked up rides on the request, so a miss is asked once.
    """

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @functools.wraps(view)
        def cached_view(request: PortalRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            looked_up: tuple[Any, PageLookup] | None = getattr(request, "_portal_page_lookup", None)
            if looked_up is not None and looked_up[0] is cached_view:  # PageCacheHitMiddleware's
                key, seconds, page = looked_up[1]
            else:
                key, seconds, page = _page_lookup(request, variant)
            if page is not None:
                return page
            response = view(request, *args, **kwargs)
            # A view may answer with another cached view's page (home with a single flow):
            # that page is kept once, under the key (and for the time) its own view chose.
            if key is not None and page_is_cacheable(response) and not hasattr(response, "page_cache_key"):
                response.page_cache_key = key  # type: ignore[attr-defined]  # marks it kept once
                cache.set(key, response, seconds)
            return response

        cached_view.page_cache_variant = (variant,)  # type: ignore[attr-defined]  # read by the middleware
        return cached_view

    return decorator if view is None else decorator(view)


class PageCacheHitMiddleware:
    """Answers a plain GET of a `customer_page_cache` view from the page cache right below
    the site, language and view-count middlewares (settings.MIDDLEWARE), so a hit skips the
    session, CSRF, auth, messages and axes middlewares: a cached page sets no cookie and reads
    no session or user (page_is_cacheable). The header middlewares above it still apply (CSP
    per site, Permissions-Policy, nosniff, Referrer-Policy, X-Frame-Options), as do HEAD and
    the view count; Content-Length is set as the skipped CommonMiddleware would. The
    decorator is the opt-in: a view without it, or a request that misses, goes on as before.

    A GET with the customer's own values (a prefill link) is never in the page cache; a view
    class may answer it here instead with its `early_page(initkwargs, request, *args, **kwargs)`, under the
    same terms (StartFlowView: the link's compiled page, docs/decisions/0062-compiled-prefilled-pages.md).
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # What CommonMiddleware would refuse or redirect before the view: then no early answer.
        self.enabled = not (settings.PREPEND_WWW or settings.DISALLOWED_USER_AGENTS)

        self._cached_views: tuple[str, dict[str, Callable[..., Any]] | None] | None = None

    def cached_views(self) -> dict[str, Callable[..., Any]] | None:
        """Path -> view of every page-cached view of the project's URL conf, found on the first
        request (the URLs are loaded then): a GET of any other path (the API, the admin, static
        files) costs a dict lookup here instead of a second resolve. None when a cached view's
        route takes parameters or is not a plain route; then every GET is resolved."""
        urlconf = settings.ROOT_URLCONF
        if self._cached_views is None or self._cached_views[0] != urlconf:  # tests swap URL confs
            self._cached_views = (urlconf, _cached_views_by_path())
        return self._cached_views[1]

    def match(self, request) -> tuple[Callable[..., Any], tuple, dict] | None:
        """The page-cached view this GET is for, with its arguments; None for any other view."""
        urlconf = getattr(request, "urlconf", None)  # a middleware's own URL conf: resolve it
        views = self.cached_views() if urlconf is None else None
        if views is not None:
            view = views.get(request.path_info)
            return None if view is None else (view, (), {})
        try:
            match = resolve(request.path_info, urlconf)
        except Resolver404:
            return None
        if getattr(match.func, "page_cache_variant", None) is None:
            return None
        return match.func, match.args, match.kwargs

    def __call__(self, request):
        if self.enabled and request.method == "GET" and getattr(request, "site", None) is not None:
            match = self.match(request)
            if match is not None:
                view, args, kwargs = match
                lookup = _page_lookup(request, view.page_cache_variant[0])
                page = lookup[2]
                if page is None and lookup[0] is None:  # the customer's values: a prefill link
                    early_page = getattr(getattr(view, "view_class", None), "early_page", None)
                    if early_page is not None:  # a class-based view, as as_view() built it
                        initkwargs = getattr(view, "view_initkwargs", {})
                        page = early_page(initkwargs, request, *args, **kwargs)
                if page is not None:
                    if not page.has_header("Content-Length"):  # as CommonMiddleware
                        page.headers["Content-Length"] = str(len(page.content))
                    return page
                # The view's own decorator asks no second time (another cached view it calls does).
                request._portal_page_lookup = (view, lookup)
        return self.get_response(request)


def _cached_views_by_path() -> dict[str, Callable[..., Any]] | None:
    """Path -> view of every `customer_page_cache` view in settings.ROOT_URLCONF, or None if one
    of them is reached through a route with parameters or a regular expression."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.resolvers import RoutePattern

    found: dict[str, Callable[..., Any]] = {}

    def walk(patterns, prefix: str) -> bool:
        for entry in patterns:
            pattern = entry.pattern
            plain = (
                isinstance(pattern, RoutePattern)
                and not pattern.converters
                and not getattr(entry, "default_args", None)  # a route's own kwargs (path(..., {...}))
                and not getattr(entry, "default_kwargs", None)  # an include's
            )
            if isinstance(entry, URLResolver):
                if not walk(entry.url_patterns, prefix + str(pattern) if plain else "\0"):
                    return False
            elif isinstance(entry, URLPattern) and hasattr(entry.callback, "page_cache_variant"):
                if not plain or "\0" in prefix:
                    return False
                found.setdefault(prefix + str(pattern), entry.callback)  # the first route wins
        return True

    if not walk(get_resolver().url_patterns, "/"):
        return None
    # As the resolver would answer: a path another route takes first is not the cached view's.
    for path, view in found.items():
        try:
            if resolve(path).func is not view:
                return None
        except Resolver404:
            return None
    return found
