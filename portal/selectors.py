"""What the portal reads: sites by host, issues and custom fields for a site and language."""

from __future__ import annotations

import functools
import zoneinfo

from django.core.cache import cache
from django.utils import timezone
from django.db.models import Prefetch

from portal.models import Backend, CustomField, Issue, Site, Technician

SITE_CACHE_SECONDS = 60
SITE_CACHE_VERSION_KEY = "portal:site-version"


def site_cache_version() -> int:
    """Bumped by every admin change to a site (signals.py), so cached lookups and pages expire."""
    return cache.get_or_set(SITE_CACHE_VERSION_KEY, 1, None)


# Secrets stay out of the shared cache: they load from the database when a client needs them.
SITE_DEFERRED_SECRETS = ("prefill_secret", *(f"backend__{name}" for name in Backend.SECRET_FIELDS))


def site_for_host(host: str) -> Site | None:
    """The site claiming this hostname, else the default site, else None.

    Cached per hostname until the next admin change (signals.py bumps the version), so a
    customer page costs no query for the site.
    """
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.lower().rstrip(".")
    key = f"portal:site-for-host:{site_cache_version()}:{hostname}"
    site = cache.get(key)
    if site is None:
        sites = Site.objects.select_related("backend").defer(*SITE_DEFERRED_SECRETS)
        site = sites.filter(hostnames__hostname=hostname).first() or sites.filter(is_default=True).first()
        cache.set(key, site or False, SITE_CACHE_SECONDS)
    return site or None


def cached_per_site(name: str):
    """Caches a selector's result per site and language until the next admin change."""

    def decorator(selector):
        @functools.wraps(selector)
        def wrapper(*, site: Site, language: str):
            key = f"portal:{name}:{site_cache_version()}:{site.pk}:{language}"
            value = cache.get(key)
            if value is None:
                value = selector(site=site, language=language)
                cache.set(key, value, SITE_CACHE_SECONDS)
            return value

        return wrapper

    return decorator


@cached_per_site("issues")
def active_issues(*, site: Site, language: str) -> list[Issue]:
    """The site's active issues in menu order, named in the customer's language."""
    issues = list(
        site.issues.filter(active=True)
        .select_related("department", "technician")
        .prefetch_related("translations")
    )
    for issue in issues:
        for translation in issue.translations.all():
            if translation.language == language:
                issue.display_name = translation.display_name
                issue.description = translation.description or issue.description
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
        for translation in field.translations.all():
            if translation.language == language:
                field.label = translation.label
                field.help_text = translation.help_text or field.help_text
                for line in translation.choices.splitlines():
                    value, sep, label = line.partition("|")
                    if sep and value.strip() in field.choice_labels:
                        field.choice_labels[value.strip()] = label.strip()
    return fields


def listed_technicians(*, backend) -> list[Technician]:
    """The Take Control technicians customers may pick, in the admin's order."""
    return list(backend.technicians.filter(listed=True))


def fields_for_issue(fields: list[CustomField], issue_code: str) -> list[CustomField]:
    return [f for f in fields if not f.issue_codes or issue_code in f.issue_codes]




def is_open(*, site: Site, now=None) -> bool:
    """Inside the site's opening hours and not a holiday, in the site's time zone."""
    now = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(site.time_zone))
    if site.holidays.filter(date=now.date()).exists():
        return False
    hours = list(site.opening_hours.all())
    if not hours:
        return True
    moment = now.time()
    return any(h.weekday == now.weekday() and h.opens <= moment < h.closes for h in hours)


def notice_is_shown(*, site: Site, now=None) -> bool:
    now = now or timezone.now()
    if not site.notice_text.strip():
        return False
    return (site.notice_starts is None or site.notice_starts <= now) and (
        site.notice_ends is None or now < site.notice_ends
    )
