"""What the portal reads: sites by host, issues and custom fields for a site and language,
the online representatives from the vendor cache."""

from __future__ import annotations

import functools
import logging
import time
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone, translation

from portal.models import (
    DEFAULT_CLOSED,
    DEFAULT_TEXTS,
    Backend,
    CustomField,
    Issue,
    Site,
    SiteTranslation,
    Technician,
)
from portal.vendors.beyondtrust.client import Rep
from portal.vendors.cache import CircuitBreaker, cached_with_refresh, default_timeout

logger = logging.getLogger(__name__)

SITE_CACHE_SECONDS = 60
SITE_CACHE_VERSION_KEY = "portal:site-version"


def site_cache_version() -> str:
    """Renewed by every admin change (signals.py), so cached lookups and pages expire at once.

    A random token, not a counter: if the cache loses it (eviction, a Redis restart), the new
    token can never name values cached before, as a counter restarting at 1 would.
    """
    version = cache.get(SITE_CACHE_VERSION_KEY)
    if version is None:
        cache.add(SITE_CACHE_VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(SITE_CACHE_VERSION_KEY) or "lost"
    return version


def renew_site_cache_version() -> None:
    cache.set(SITE_CACHE_VERSION_KEY, uuid.uuid4().hex, None)


# Shared by the threads of a gthread worker (gunicorn.conf.py): single dict reads and writes are
# atomic under the GIL, and a clear() racing a write only costs a recomputation. The values
# (sites, issues, fields) are complete when stored and never changed afterwards.
_memo: dict[str, tuple[float, object]] = {}
MEMO_MAX_ENTRIES = 512


def versioned(key: str, compute):
    """A value cached under a key that carries the site version: in this process first (no
    unpickling on the hot path), then in the shared cache, else computed and stored in both.

    The cache is shared by every worker (the embedded diskcache, or Redis), so a new version is
    a new key in every process at once. The copies also expire after SITE_CACHE_SECONDS, which
    bounds an admin change's delay if CACHE_URL names a per-process cache (locmem)."""
    now = time.monotonic()
    hit = _memo.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, SITE_CACHE_SECONDS)
    if len(_memo) >= MEMO_MAX_ENTRIES:
        _memo.clear()
    _memo[key] = (now + SITE_CACHE_SECONDS, value)
    return value


# Secrets stay out of the shared cache: they load from the database when a client needs them.
SITE_DEFERRED_SECRETS = ("prefill_secret", *(f"backend__{name}" for name in Backend.SECRET_FIELDS))


def site_for_host(host: str) -> Site | None:
    """The site claiming this hostname, else the default site, else None.

    Cached per hostname until the next admin change (signals.py bumps the version), so a
    customer page costs no query for the site.
    """
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.lower().rstrip(".")

    def lookup():
        sites = Site.objects.select_related("backend").defer(*SITE_DEFERRED_SECRETS)
        site = sites.filter(hostnames__hostname=hostname).first() or sites.filter(is_default=True).first()
        return site or False

    return versioned(f"portal:site-for-host:{site_cache_version()}:{hostname}", lookup) or None


def cached_per_site(name: str):
    """Caches a selector's result per site and language until the next admin change."""

    def decorator(selector):
        @functools.wraps(selector)
        def wrapper(*, site: Site, language: str):
            key = f"portal:{name}:{site_cache_version()}:{site.pk}:{language}"
            return versioned(key, lambda: selector(site=site, language=language))

        return wrapper

    return decorator


@dataclass(frozen=True)
class SiteTexts:
    """The site's own words in the customer's language (Sites > translations), else as set.

    Texts the portal supplies (models.DEFAULT_TEXTS) speak every language until an admin
    writes their own; `closed` is never empty, as the closed page always has something to say.
    """

    welcome: str = ""
    warning: str = ""
    notice: str = ""
    consent: str = ""
    closed: str = ""
    external_key_label: str = ""


def _normalized(text: str) -> str:
    return " ".join(text.split())


@functools.cache
def _builtin_renderings() -> dict[str, frozenset[str]]:
    """For each built-in text: its wording in the source and in each of the 16 languages.

    A site created through an admin in German stores the German default; it is still ours,
    not the admin's, so it is recognised in any language it was stored in.
    """
    renderings = {}
    for field, default in DEFAULT_TEXTS.items():
        wordings = set()
        for language in [None, *(code for code, _name in settings.LANGUAGES)]:
            with translation.override(language):
                wordings.add(_normalized(str(default)))
        renderings[field] = frozenset(wordings)
    return renderings


def is_builtin_text(field: str, text: str) -> bool:
    """Whether `text` is the portal's own default for this site text, in any language."""
    return _normalized(text) in _builtin_renderings().get(field, ()) if text.strip() else False


@cached_per_site("texts")
def site_texts(*, site: Site, language: str) -> SiteTexts:
    texts = {field: getattr(site, field) for field in SiteTranslation.TEXT_FIELDS}
    for row in site.translations.filter(language=language):
        texts.update(
            {field: value for field in SiteTranslation.TEXT_FIELDS if (value := getattr(row, field))}
        )
    for field, default in DEFAULT_TEXTS.items():
        if is_builtin_text(field, texts[field]):
            with translation.override(language):
                texts[field] = str(default)
    if not texts["closed_text"].strip():
        with translation.override(language):
            texts["closed_text"] = str(DEFAULT_CLOSED)
    return SiteTexts(
        welcome=texts["welcome_text"],
        warning=texts["warning_text"],
        notice=texts["notice_text"],
        consent=texts["consent_text"],
        closed=texts["closed_text"],
        external_key_label=texts["external_key_label"],
    )


@cached_per_site("issues")
def active_issues(*, site: Site, language: str) -> list[Issue]:
    """The site's active issues in menu order, named in the customer's language."""
    issues = list(
        site.issues.filter(active=True)
        .select_related("department", "technician")
        .prefetch_related("translations")
    )
    startable = site.backend.adapter.startable_issues(issues)
    if len(startable) < len(issues):
        # An issue the backend's start cannot name (a legacy .ns start needs the numeric ID,
        # docs/decisions/0001-beyondtrust-start-url-styles.md) is not offered.
        offered = {issue.pk for issue in startable}
        logger.warning(
            "Site %s: issues the backend cannot start are not offered: %s",
            site.pk,
            ", ".join(issue.code_name for issue in issues if issue.pk not in offered),
        )
        issues = startable
    for issue in issues:
        for row in issue.translations.all():
            if row.language == language:
                issue.display_name = row.display_name
                issue.description = row.description or issue.description
    return issues


@cached_per_site("custom-fields")
def custom_fields_for_site(*, site: Site, language: str) -> list[CustomField]:
    """Active custom fields with `issue_codes` (empty: every issue), labels in the language."""
    fields = list(
        site.custom_fields.filter(active=True).prefetch_related(
            Prefetch("issues", queryset=Issue.objects.filter(active=True).only("code_name")),
            "translations",
        )
    )
    for field in fields:
        field.issue_codes = sorted(issue.code_name for issue in field.issues.all())
        field.choice_labels = dict(field.choice_list)
        for row in field.translations.all():
            if row.language == language:
                field.label = row.label
                field.help_text = row.help_text or field.help_text
                for line in row.choices.splitlines():
                    value, sep, label = line.partition("|")
                    if sep and value.strip() in field.choice_labels:
                        field.choice_labels[value.strip()] = label.strip()
    return fields


def listed_technicians(*, backend) -> list[Technician]:
    """The Take Control technicians customers may pick, in the admin's order."""
    return list(backend.technicians.filter(listed=True))


def site_schedule(*, site: Site) -> tuple[list[tuple[int, object, object]], frozenset]:
    """(weekday, opens, closes) rows and holiday dates, read once per admin change."""

    def read():
        hours = list(site.opening_hours.values_list("weekday", "opens", "closes"))
        return hours, frozenset(site.holidays.values_list("date", flat=True))

    return versioned(f"portal:schedule:{site_cache_version()}:{site.pk}", read)


def is_open(*, site: Site, now=None) -> bool:
    """Inside the site's opening hours and not a holiday, in the site's time zone."""
    now = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(site.time_zone))
    hours, holidays = site_schedule(site=site)
    if now.date() in holidays:
        return False
    if not hours:
        return True
    moment = now.time()
    return any(weekday == now.weekday() and opens <= moment < closes for weekday, opens, closes in hours)


def notice_is_shown(*, site: Site, now=None) -> bool:
    now = now or timezone.now()
    if not site.notice_text.strip():
        return False
    return (site.notice_starts is None or site.notice_starts <= now) and (
        site.notice_ends is None or now < site.notice_ends
    )


# ------------------------------------------------------------------------------
# BeyondTrust representatives (docs/architecture.md#customer-flows and
# docs/architecture.md#talking-to-vendors; docs/decisions/0009-rep-list-by-public-name.md and
# docs/decisions/0010-reps-in-issue-menu.md)
# ------------------------------------------------------------------------------
# The list lives in the shared cache per backend (reps are per appliance); each site reads it
# with its own soft TTL. A stale list is served for at most this long after the appliance
# stopped answering (or the site's TTL, if longer): a rep who logged off meanwhile is caught
# by the vendor, a rep list that is minutes old is better than none.
REP_LIST_HARD_TTL = 300


@dataclass(frozen=True)
class RepListResult:
    """Who a customer may pick: reps showing on the public list, by public name.

    `unavailable`: the appliance could not be asked and nothing was cached. `pending`: nothing
    is cached yet and the appliance is being asked right now; the page says it is checking and
    asks again (an empty `reps` with neither flag means nobody is online). `stale`: the list is
    older than the site's TTL because a refresh is running or failed; for logs and the JSON,
    not customers.
    """

    reps: tuple[Rep, ...] = ()
    stale: bool = False
    unavailable: bool = False
    fetched_at: datetime | None = None
    pending: bool = False

    @property
    def state(self) -> str:
        """ "ok" (a list, maybe empty), "pending" or "unavailable": what /reps.json reports."""
        return "pending" if self.pending else "unavailable" if self.unavailable else "ok"


def rep_list_cache_key(backend: Backend) -> str:
    return backend.adapter.rep_list_cache_key()


def vendor_breaker(backend: Backend) -> CircuitBreaker | None:
    """The one circuit breaker per backend, shared by every caller of its vendor API (the rep
    list, the integrations API, the admin's actions); None where nothing is called."""
    return backend.adapter.breaker()


def online_reps(*, site: Site, wait: float | None = None, wait_for_others: float = 0.0) -> RepListResult:
    """The site's online representatives from the cache, refreshed after `site.rep_list_ttl`
    in the background (portal/vendors/cache.py).

    A customer request never waits on the appliance when a list is cached, stale or not; with
    nothing cached, the request that starts the refresh waits at most `wait` (default
    `PORTAL_VENDOR_WAIT`), others not at all (`wait_for_others`, for integrations that may
    wait), and the result is then `pending`. Never raises for a vendor problem; what went
    wrong is logged (docs/decisions/0011-command-api-errors.md), the result only says whether there
    is a list.
    """
    backend = site.backend
    adapter = backend.adapter
    sample = adapter.sample_reps()
    if sample is not None:  # the demo shows the flow with sample people
        return RepListResult(reps=tuple(sample))
    try:
        ask = adapter.rep_fetcher()
    except ValueError as error:
        # A configuration fault, not an outage: tell the admin every few minutes, not per visit.
        if cache.add(f"portal:rep-list-misconfigured:{backend.pk}", True, 300):
            logger.error("Backend %s: no representative list: %s", backend.pk, error)
        return RepListResult(unavailable=True)
    if ask is None:
        return RepListResult(unavailable=True)

    def fetch() -> tuple[Rep, ...]:
        listed = (rep for rep in ask() if rep.showing_on_rep_list)
        return tuple(sorted(listed, key=lambda rep: (rep.public_name.casefold(), rep.id)))

    soft_ttl = max(site.rep_list_ttl, 1)  # the admin keeps it in 5-600 s; never 0 here
    cached = cached_with_refresh(
        key=adapter.rep_list_cache_key(),
        fetch=fetch,
        soft_ttl=soft_ttl,
        hard_ttl=max(REP_LIST_HARD_TTL, soft_ttl),
        timeout=default_timeout(),
        wait=wait,
        wait_for_others=wait_for_others,
        breaker=adapter.breaker(),
    )
    # The refresh logs the vendor's failure once, where it happens
    # (docs/decisions/0011-command-api-errors.md); every request that is served the stale list
    # meanwhile would only repeat it.
    if cached.error and cached.value is None:
        logger.debug("Backend %s: no representative list to show (%s)", backend.pk, cached.error)
    if cached.pending:
        return RepListResult(pending=True)
    if cached.value is None:
        return RepListResult(unavailable=True)
    return RepListResult(reps=tuple(cached.value), stale=cached.stale, fetched_at=cached.fetched_at)
