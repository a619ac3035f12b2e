"""Folding: closed days' start records into `DailyStarts`, the cache's view counters into
`DailyPageCounts` (docs/decisions/0080-analytics-daily-rollup.md).

Both run on the worker every few minutes (portal/analytics/tasks.py,
docs/decisions/0083-analytics-fold-on-the-worker.md), from `manage.py portal_analytics_fold`
(at each worker start, and `portal_purge` before it deletes old start records); a dashboard
request folds at most FOLD_DAYS_PER_REQUEST days itself. All are safe to run concurrently.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min
from django.utils import timezone

from portal.analytics import counters
from portal.analytics.models import DailyPageCounts, DailyStarts, FoldedDay
from portal.models import Site, StartRequest

# A start created just before midnight may commit just after it: a day is folded only this
# long after it ended.
SETTLE = dt.timedelta(minutes=5)
# A dashboard request folds at most this many closed days itself (the newest first, each tens
# of milliseconds with 11,000 records a day); the others are left to the worker.
FOLD_DAYS_PER_REQUEST = 3
COUNTED_FLOWS = (StartRequest.Flow.KEY, StartRequest.Flow.SURVEY, StartRequest.Flow.REP)


def day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in settings.TIME_ZONE."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def last_closed_day(*, now: dt.datetime | None = None) -> dt.date:
    now = now or timezone.now()
    return timezone.localtime(now - SETTLE, timezone.get_default_timezone()).date() - dt.timedelta(days=1)


def fold_day(*, day: dt.date) -> bool:
    """Counts one closed day's start records into `DailyStarts`; False if it was folded already."""
    rows = (
        StartRequest.objects.filter(
            created_at__gte=day_start(day), created_at__lt=day_start(day + dt.timedelta(1))
        )
        .order_by()
        .values("site_id", "flow", "issue_id", "outcome")
        .annotate(count=Count("id"))
    )
    try:
        with transaction.atomic():
            # The unique day is the claim: a concurrent fold of the same day fails here.
            FoldedDay.objects.create(day=day)
            DailyStarts.objects.bulk_create(
                DailyStarts(
                    day=day,
                    site_id=row["site_id"],
                    flow=row["flow"],
                    issue_id=row["issue_id"],
                    outcome=row["outcome"],
                    count=row["count"],
                )
                for row in rows
            )
    except IntegrityError:
        return False
    return True


def fold_closed_days(*, since: dt.date | None = None, now: dt.datetime | None = None) -> int:
    """Folds every closed day from `since` (default: the oldest start record's) that is not
    folded yet; returns how many days it folded."""
    last = last_closed_day(now=now)
    if since is None:
        since = oldest_day()
        if since is None:
            return 0
    if since > last:
        return 0
    done = set(FoldedDay.objects.filter(day__gte=since, day__lte=last).values_list("day", flat=True))
    folded = 0
    day = since
    while day <= last:
        if day not in done and fold_day(day=day):
            folded += 1
        day += dt.timedelta(days=1)
    return folded


def oldest_day() -> dt.date | None:
    """The day of the oldest start record (one step down the `created_at` index)."""
    oldest = StartRequest.objects.aggregate(oldest=Min("created_at"))["oldest"]
    return None if oldest is None else timezone.localtime(oldest, timezone.get_default_timezone()).date()


def fold_recent_days(
    *, first_day: dt.date, last_day: dt.date, limit: int = FOLD_DAYS_PER_REQUEST
) -> list[dt.date]:
    """Folds at most `limit` of the closed, unfolded days from `first_day` to `last_day`, the
    newest first, and returns the ones still unfolded (oldest first): their start records are
    not counted yet. Days before the oldest start record have none and are never returned."""
    last = min(last_day, last_closed_day())
    since = oldest_day()
    if since is None or max(first_day, since) > last:
        return []
    first = max(first_day, since)
    done = set(FoldedDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True))
    count = (last - first).days + 1
    unfolded = [day for day in (last - dt.timedelta(days=n) for n in range(count)) if day not in done]
    for day in unfolded[:limit]:
        fold_day(day=day)
    return sorted(unfolded[limit:])


def fold_counters() -> int:
    """Moves the cache's view and submission counters (the last COUNTER_DAYS days) into
    `DailyPageCounts`; returns how many it moved. Units are taken from the cache first and
    given back if the database write fails, so none is counted twice. This process's own
    tally goes to the cache first; other processes' arrive within counters.FLUSH_SECONDS."""
    counters.flush()
    today = counters.today()
    keys = {
        counters.counter_key(kind=kind, day=today - dt.timedelta(days=back), site_id=site_id, flow=flow): (
            kind,
            today - dt.timedelta(days=back),
            site_id,
            flow,
        )
        for back in range(counters.COUNTER_DAYS)
        for site_id in Site.objects.values_list("pk", flat=True)
        for flow in COUNTED_FLOWS
        for kind in counters.KINDS
    }
    moved = 0
    for key in counters.held(list(keys)):
        kind, day, site_id, flow = keys[key]
        amount = counters.take(key)
        if not amount:
            continue
        try:
            with transaction.atomic():
                row = (
                    DailyPageCounts.objects.select_for_update()
                    .filter(day=day, site_id=site_id, flow=flow)
                    .first()
                )
                if row is None:
                    DailyPageCounts.objects.create(day=day, site_id=site_id, flow=flow, **{kind: amount})
                else:
                    DailyPageCounts.objects.filter(pk=row.pk).update(**{kind: F(kind) + amount})
        except Exception:
            counters.give_back(key, amount)
            raise
        moved += amount
    return moved


def fold_all(*, now: dt.datetime | None = None) -> tuple[int, int]:
    """Both folds: (days folded, views and submissions moved)."""
    return fold_closed_days(now=now), fold_counters()
