"""The one way the portal writes a time for a program to read (the integrations API, the privacy
export): UTC to the second, RFC 3339 with `+00:00` ("2026-12-07T09:08:42+00:00"). The webhooks
write `Z` (docs/integrations/webhooks.md); receivers of both exist, so neither changes."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_to_the_second(moment: datetime) -> str:
    """`moment` in UTC, its fractions of a second dropped (never rounded up past the moment)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")
