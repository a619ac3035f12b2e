"""What the portal reads: sites by host, issues and custom fields for a site and language,
the online representatives from the vendor cache."""

from __future__ import annotations

import functools
import logging
import pickle
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import time as epoch_seconds

from django.conf import settings
from django.core.cache import cache
from django.db.models import Prefetch
from django.utils import timezone, translation

from portal.caching import cached_per_site, load_secrets, memo, site_cache_version, versioned
from portal.languages import written_in
from portal.models import (
    DEFAULT_CLOSED,
    DEFAULT_TEXTS,
    FORMER_DEFAULT_TEXTS,
    Backend,
    Issue,
    Site,
    SiteHostname,
    SiteTranslation,
    closes_at_midnight,
)
from portal.vendors.base import Person
from portal.vendors.cache import CircuitBreaker, cached_with_refresh, default_timeout

logger = logging.getLogger(__name__)

# Secrets stay out of the shared cache: they load from the database when a client needs them.
SITE_DEFERRED_SECRETS = ("prefill_secret", *(f"backend__{name}" for name in Backend.SECRET_FIELDS))


def site_for_host(host: str) -> Site | None:
    """The site claiming this hostname, else the default site, else None.

    Cached per claimed hostname (one entry for all others) until the next admin change
    (signals.py bumps the version), so a customer page costs no query for the site. The cache
    holds a pickled snapshot and each request gets its own instance of it: nothing one request
    sets on its site (a lazily loaded secret, a changed field) reaches another, and nothing
    cached is a shared instance a later `.save()` could write back
    (docs/decisions/0061-one-caching-module.md).
    """
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.lower().rstrip(".")
    # Every name no site claims is the default site's, under one entry: a portal answering a
    # wildcard (DJANGO_ALLOWED_HOSTS=.example.com) would otherwise cost a query, a shared-cache
    # entry and a memo entry for each name a client invents, evicting the sites and tokens.
    if hostname not in versioned(f"portal:site-hostnames:{site_cache_version()}", claimed_hostnames):
        hostname = ""

    def lookup() -> bytes:
        sites = Site.objects.select_related("backend").defer(*SITE_DEFERRED_SECRETS)
        claimant = sites.filter(hostnames__hostname=hostname).first() if hostname else None
        return pickle.dumps(claimant or sites.filter(is_default=True).first())

    return pickle.loads(versioned(f"portal:site-for-host:{site_cache_version()}:{hostname}", lookup))


def claimed_hostnames() -> frozenset[str]:
    """The hostnames the sites claim (Sites > hostnames), as stored: lower case, no port."""
    return frozenset(SiteHostname.objects.values_list("hostname", flat=True))


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
    not the admin's, so it is recognised in any language it was stored in, and in the earlier
    wordings of its translations (models.FORMER_DEFAULT_TEXTS).
    """
    renderings = {}
    for field, default in DEFAULT_TEXTS.items():
        wordings = set()
        for language in [None, *(code for code, _name in settings.LANGUAGES)]:
            with translation.override(language):
                wordings.add(_normalized(str(default)))
        wordings.update(_normalized(former) for former in FORMER_DEFAULT_TEXTS.get(field, ()))
        renderings[field] = frozenset(wordings)
    return renderings


def is_builtin_text(field: str, text: str) -> bool:
    """Whether `text` is the portal's own default for this site text, in any language."""
    return _normalized(text) in _builtin_renderings().get(field, ()) if text.strip() else False


def first_hostname(site: Site) -> str:
    """The site's first hostname, "" without one (the default site then answers any host).
    Cached under the site version (a hostname change renews it): links, the embedding snippet
    and webhook events all name the site by it, and a start with an event reads nothing here
    while it holds the database's write lock (docs/decisions/0066-lean-start-record.md)."""

    def read() -> str:
        return site.hostnames.order_by("pk").values_list("hostname", flat=True).first() or ""

    return versioned(f"portal:site-first-hostname:{site_cache_version()}:{site.pk}", read)


def admins_own_words(site: Site, language: str) -> Callable[[str], str]:
    """A text as the admin wrote it, in the site's default language: marked so
    (languages.written_in) on a page in `language` when that is another."""
    return functools.partial(written_in, language=site.default_language, page_language=language)


@cached_per_site("texts")
def site_texts(*, site: Site, language: str) -> SiteTexts:
    """The site's texts in `language`: its translation's, else its own, which are in the site's
    default language and marked so (languages.InLanguage) on a page in another."""
    own = admins_own_words(site, language)
    texts = {field: own(getattr(site, field)) for field in SiteTranslation.TEXT_FIELDS}
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


@dataclass(frozen=True)
class IssueRoute:
    """Take Control routing an issue carries (docs/decisions/0016-takecontrol-routing.md): the
    vendor's department number, or a technician's username."""

    department_id: int | None = None
    username: str = ""


@dataclass(frozen=True)
class LocalizedIssue:
    """An active issue as a customer sees it, named in their language: a frozen copy, so a
    translation can never be saved over the issue's own name."""

    pk: int
    code_name: str
    display_name: str
    description: str = ""
    vendor_id: int | None = None
    priority: int | None = None
    skill_list: tuple[str, ...] = ()
    chat: str = Issue.Chat.SITE
    chat_locale: str = ""
    department: IssueRoute | None = None  # .department_id: the vendor's number
    technician: IssueRoute | None = None  # .username


@cached_per_site("issues")
def active_issues(*, site: Site, language: str) -> tuple[LocalizedIssue, ...]:
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
    localized = []
    own = admins_own_words(site, language)

    for issue in issues:
        translated = next((row for row in issue.translations.all() if row.language == language), None)
        localized.append(
            LocalizedIssue(
                pk=issue.pk,
                code_name=issue.code_name,
                display_name=translated.display_name if translated else own(issue.display_name),
                description=(translated.description if translated else "") or own(issue.description),
                vendor_id=issue.vendor_id,
                priority=issue.priority,
                skill_list=tuple(issue.skill_list),
                chat=issue.chat,
                chat_locale=issue.chat_locale,
                department=IssueRoute(department_id=issue.department.department_id)
                if issue.department is not None
                else None,
                technician=IssueRoute(username=issue.technician.username)
                if issue.technician is not None
                else None,
            )
        )
    return tuple(localized)


@dataclass(frozen=True)
class LocalizedCustomField:
    """An active custom field as a customer sees it, labelled in their language (a frozen copy;
    see LocalizedIssue). `choices`: (value, label) pairs, labels translated."""

    pk: int
    code_name: str
    label: str
    field_type: str
    help_text: str = ""
    required: bool = False
    max_length: int | None = None
    choices: tuple[tuple[str, str], ...] = ()
    issue_codes: tuple[str, ...] = ()  # empty: every issue
    prefill_allowed: bool = False
    prefill_locks: bool = False

    @property
    def choice_list(self) -> list[tuple[str, str]]:
        return list(self.choices)

    @property
    def choice_labels(self) -> dict[str, str]:
        return dict(self.choices)


@cached_per_site("custom-fields")
def custom_fields_for_site(*, site: Site, language: str) -> tuple[LocalizedCustomField, ...]:
    """Active custom fields with `issue_codes` (empty: every issue), labels in the language."""
    fields = list(
        site.custom_fields.filter(active=True).prefetch_related(
            Prefetch("issues", queryset=Issue.objects.filter(active=True).only("code_name")),
            "translations",
        )
    )
    localized = []
    own = admins_own_words(site, language)

    for field in fields:
        label, help_text = own(field.label), own(field.help_text)
        labels = {value: own(text) for value, text in field.choice_list}
        for row in field.translations.all():
            if row.language == language:
                label = row.label
                help_text = row.help_text or help_text
                for line in row.choices.splitlines():
                    value, sep, text = line.partition("|")
                    if sep and value.strip() in labels:
                        labels[value.strip()] = text.strip()
        localized.append(
            LocalizedCustomField(
                pk=field.pk,
                code_name=field.code_name,
                label=label,
                field_type=field.field_type,
                help_text=help_text,
                required=field.required,
                max_length=field.max_length,
                choices=tuple(labels.items()),
                issue_codes=tuple(sorted(issue.code_name for issue in field.issues.all())),
                prefill_allowed=field.prefill_allowed,
                prefill_locks=field.prefill_locks,
            )
        )
    return tuple(localized)


def reps_in_issue_menu(site: Site) -> bool:
    """docs/decisions/0010-reps-in-issue-menu.md: the survey's menu lists online reps instead of
    issues."""
    return site.show_reps_in_issue_menu and site.backend.is_beyondtrust


def survey_custom_fields(site: Site, language: str) -> list[LocalizedCustomField]:
    """The custom fields the survey shows: with reps in its menu (no issue chosen), only those
    asked for every issue."""
    fields = list(custom_fields_for_site(site=site, language=language))
    if reps_in_issue_menu(site):
        fields = [field for field in fields if not field.issue_codes]
    return fields


@dataclass(frozen=True)
class SiteSchedule:
    """When a site is open: (weekday, opens, closes) rows and holiday dates."""

    hours: tuple[tuple[int, time, time], ...] = ()
    holidays: frozenset[date] = frozenset()


def site_schedule(*, site: Site) -> SiteSchedule:
    """The site's opening hours and holidays, read once per admin change."""

    def read() -> SiteSchedule:
        hours = tuple(site.opening_hours.values_list("weekday", "opens", "closes"))
        return SiteSchedule(hours=hours, holidays=frozenset(site.holidays.values_list("date", flat=True)))

    return versioned(f"portal:schedule:{site_cache_version()}:{site.pk}", read)


def is_open(*, site: Site, now=None) -> bool:
    """Inside the site's opening hours and not a holiday, in the site's time zone."""
    now = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(site.time_zone))
    schedule = site_schedule(site=site)
    if now.date() in schedule.holidays:
        return False
    if not schedule.hours:
        return True
    moment = now.time()
    return any(
        weekday == now.weekday() and opens <= moment and (moment < closes or closes_at_midnight(closes))
        for weekday, opens, closes in schedule.hours
    )


NEXT_OPENING_DAYS = 14  # looked ahead for the closed page; a longer closure is the site's text to tell


def is_holiday(*, site: Site, now=None) -> bool:
    """Whether today, in the site's time zone, is one of its holidays: closed all day, whatever
    its opening hours say."""
    now = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(site.time_zone))
    return now.date() in site_schedule(site=site).holidays


def next_opening(*, site: Site, now=None) -> datetime | None:
    """When a closed site opens again, in its time zone: the next opening time on a day that is
    no holiday, within NEXT_OPENING_DAYS; without opening hours, the start of the next day that
    is no holiday. None if open now or nothing opens in that time."""
    zone = zoneinfo.ZoneInfo(site.time_zone)
    now = (now or timezone.now()).astimezone(zone)
    if is_open(site=site, now=now):
        return None
    schedule = site_schedule(site=site)
    for ahead in range(NEXT_OPENING_DAYS + 1):
        day = now.date() + timedelta(days=ahead)
        if day in schedule.holidays:
            continue
        if not schedule.hours:  # open all day on a day that is no holiday (not today: closed)
            return datetime.combine(day, time.min, tzinfo=zone)
        for opens in sorted(opens for weekday, opens, _closes in schedule.hours if weekday == day.weekday()):
            # Through UTC and back: an opening time inside a spring-forward gap (02:30 on the
            # night the clocks jump from 02:00 to 03:00) is shown as the time that exists.
            start = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC).astimezone(zone)
            if start > now:
                return start
    return None


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
# A fresh list read from the shared cache is kept in this process for at most this long (and
# never past the site's TTL): the API and the rep list page then read the shared cache about
# once a second per worker, not once per request, and a list is at most this much older in one
# worker than in the shared cache (docs/decisions/0088-rep-list-in-the-process-memo.md).
REP_LIST_PROCESS_SECONDS = 1.0


@dataclass(frozen=True)
class RepListResult:
    """Who a customer may pick: reps showing on the public list, by public name.

    `unavailable`: the appliance could not be asked and nothing was cached. `pending`: nothing
    is cached yet and the appliance is being asked right now; the page says it is checking and
    asks again (an empty `reps` with neither flag means nobody is online). `stale`: the list is
    older than the site's TTL because a refresh is running or failed; for logs and the JSON,
    not customers.
    """

    reps: tuple[Person, ...] = ()
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
    # Per appliance, as in the shared cache, and under the site version, as every memo entry
    # is: an admin change drops it at once. Sites on one appliance share the copy, each with
    # its own TTL, so the TTL is checked on every read, by the site that reads.
    key = adapter.rep_list_cache_key()
    soft_ttl = max(site.rep_list_ttl, 1)  # the admin keeps it in 5-600 s; never 0 here
    local_key = ("rep-list", key, site_cache_version())
    held = memo.get(local_key)
    if held is not None:
        result, held_until = held
        now = epoch_seconds()
        if now < held_until and now < result.fetched_at.timestamp() + soft_ttl:
            return result
    result = _shared_rep_list(site, key=key, soft_ttl=soft_ttl, wait=wait, wait_for_others=wait_for_others)
    if result.fetched_at is not None and not result.stale:  # only a fresh list, never a fault
        memo.set(local_key, (result, epoch_seconds() + REP_LIST_PROCESS_SECONDS))
    return result


def _shared_rep_list(
    site: Site, *, key: str, soft_ttl: float, wait: float | None, wait_for_others: float
) -> RepListResult:
    """The list as the shared cache has it under `key`, refreshed in the background after
    `soft_ttl` (the site's TTL)."""
    backend = site.backend
    adapter = backend.adapter
    load_secrets(backend, Backend.SECRET_FIELDS)  # the client reads them; no query per page
    try:
        ask = adapter.rep_fetcher()
    except ValueError as error:
        # A configuration fault, not an outage: tell the admin every few minutes, not per visit.
        if cache.add(f"portal:rep-list-misconfigured:{backend.pk}", True, 300):
            logger.error("Backend %s: no representative list: %s", backend.pk, error)
        return RepListResult(unavailable=True)
    if ask is None:
        return RepListResult(unavailable=True)

    def fetch() -> tuple[Person, ...]:
        listed = (rep for rep in ask() if rep.showing_on_rep_list)
        return tuple(sorted(listed, key=lambda rep: (rep.public_name.casefold(), rep.id)))

    cached = cached_with_refresh(
        key=key,
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
