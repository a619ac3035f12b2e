"""Page views and form submissions counted in the shared cache, without a cookie and without a
database write (docs/decisions/0081-cookie-free-view-counting.md).

One counter per kind, day, site and flow, raised with the cache's atomic `incr`; folding moves
what a counter holds into `DailyPageCounts` (portal/analytics/services.py). A counter lives
COUNTER_DAYS days: what was not folded by then is lost, as is everything not yet folded when
the cache is flushed.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache
from django.utils import timezone

KINDS = ("views", "submissions")
# The worker folds every 5 minutes; this long covers a worker down for a week.
COUNTER_DAYS = 8


def today() -> dt.date:
    """The portal's day (settings.TIME_ZONE), which the dashboard's days are too."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


def counter_key(*, kind: str, day: dt.date, site_id: int, flow: str) -> str:
    return f"portal:analytics:{kind}:{day.isoformat()}:{site_id}:{flow}"


def count(*, kind: str, site_id: int, flow: str) -> None:
    """One more view or submission today: one cache round trip but a day's first."""
    key = counter_key(kind=kind, day=today(), site_id=site_id, flow=flow)
    try:
        cache.incr(key)
    except ValueError:  # the day's first (or the cache was flushed)
        if not cache.add(key, 1, COUNTER_DAYS * 86400):
            cache.incr(key)


def take(key: str) -> int:
    """Takes what the counter holds, atomically, and returns it (0 if nothing).

    `decr` by the amount read takes exactly those units and leaves any counted since; if a
    concurrent fold took them first the counter goes below zero, and the units go back.
    """
    held = cache.get(key) or 0
    if held <= 0:
        return 0
    try:
        left = cache.decr(key, held)
    except ValueError:  # expired between the read and the decrement
        return 0
    if left < 0:
        cache.incr(key, held)
        return 0
    return held


def give_back(key: str, amount: int) -> None:
    """Returns taken units whose database write failed."""
    try:
        cache.incr(key, amount)
    except ValueError:
        cache.add(key, amount, COUNTER_DAYS * 86400)


def held(keys: list[str]) -> list[str]:
    """Those of `keys` whose counter holds something (one `get_many` round trip)."""
    return [key for key, value in cache.get_many(keys).items() if value and value > 0]
