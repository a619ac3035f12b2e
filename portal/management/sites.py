"""The `--site NAME|PK` argument shared by the portal's management commands."""

from __future__ import annotations

from django.core.management.base import CommandError

from portal.models import Site


def site_from_argument(value: str) -> Site:
    """A site by primary key (digits) or by exact name, case-insensitive; refuses ambiguity."""
    value = value.strip()
    sites = Site.objects.select_related("backend")
    if value.isdigit():
        site = sites.filter(pk=int(value)).first()
        if site is not None:
            return site
    matches = list(sites.filter(name__iexact=value)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandError(f"More than one site is named {value!r}: use its number (pk).")
    known = ", ".join(f"{s.pk}: {s.name}" for s in Site.objects.order_by("pk")) or "none"
    raise CommandError(f"No site {value!r}. Sites: {known}.")
