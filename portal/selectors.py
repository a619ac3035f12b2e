"""What the portal reads: sites by host, issues and custom fields for a site and language."""

from __future__ import annotations

import zoneinfo

from django.core.cache import cache
from django.utils import timezone
from django.db.models import Prefetch

from portal.models import CustomField, Issue, Site, SiteHostname

SITE_CACHE_SECONDS = 60
SITE_CACHE_VERSION_KEY = "portal:site-version"


def site_cache_version() -> int:
    """Bumped by every admin change to a site (signals.py), so cached lookups and pages expire."""
    return cache.get_or_set(SITE_CACHE_VERSION_KEY, 1, None)


def site_for_host(host: str) -> Site | None:
    """The site claiming this hostname, else the default site, else None."""
    hostname = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    hostname = hostname.lower().rstrip(".")
    key = f"portal:site-for-host:{site_cache_version()}:{hostname}"
    site_id = cache.get(key)
    if site_id is None:
        row = SiteHostname.objects.filter(hostname=hostname).values_list("site_id", flat=True).first()
        if row is None:
            row = Site.objects.filter(is_default=True).values_list("id", flat=True).first()
        site_id = row or 0
        cache.set(key, site_id, SITE_CACHE_SECONDS)
    if not site_id:
        return None
    return Site.objects.select_related("backend").filter(pk=site_id).first()


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
