"""What the start dashboard shows: starts per day and series, and the funnel per flow
(docs/decisions/0080-analytics-daily-rollup.md).

Folded days come from `DailyStarts` (a few rows per day), the open days (today, and
yesterday in its first minutes) from the start records themselves, through the `created_at`
index. Closed days not folded yet are not read: the worker folds them, and the dashboard says
which are still being counted (docs/decisions/0083-analytics-fold-on-the-worker.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from portal.analytics.models import DailyPageCounts, DailyStarts
from portal.analytics.services import COUNTED_FLOWS, day_start, last_closed_day
from portal.models import Issue, Site, StartRequest

# The dimension a chart's series split by -> the field that holds it.
BREAKDOWNS = {"outcome": "outcome", "flow": "flow", "site": "site_id", "issue": "issue_id"}
SUCCESS = (StartRequest.Outcome.STARTED, StartRequest.Outcome.PREVIEW)


@dataclass(frozen=True)
class StartFilters:
    first_day: dt.date
    last_day: dt.date
    site: Site | None = None
    flow: str = ""
    issue: Issue | None = None
    outcome: str = ""

    def lookups(self) -> dict[str, object]:
        found: dict[str, object] = {}
        if self.site is not None:
            found["site"] = self.site
        if self.flow:
            found["flow"] = self.flow
        if self.issue is not None:
            found["issue"] = self.issue
        if self.outcome:
            found["outcome"] = self.outcome
        return found

    @property
    def days(self) -> list[dt.date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + dt.timedelta(days=n) for n in range(count)]


@dataclass
class DailySeries:
    """Counts per day (in order) for each series key, with the series' labels."""

    days: list[dt.date]
    keys: list = field(default_factory=list)
    labels: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)  # (day, key) -> count

    def value(self, day, key) -> int:
        return self.counts.get((day, key), 0)

    def day_total(self, day) -> int:
        return sum(self.value(day, key) for key in self.keys)

    def series_total(self, key) -> int:
        return sum(self.value(day, key) for day in self.days)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _open_days(filters: StartFilters) -> list[dt.date]:
    """The days of the period that are not closed yet (and, in a day's first minutes after
    midnight, yesterday until it is folded): read live, through the `created_at` index."""
    closed = last_closed_day()
    return [day for day in filters.days if day > closed]


def start_counts(*, filters: StartFilters, breakdown: str) -> dict[tuple[dt.date, object], int]:
    """(day, series key) -> number of start records, for the filtered days."""
    by = BREAKDOWNS[breakdown]
    counts: dict[tuple[dt.date, object], int] = defaultdict(int)
    rolled = (
        DailyStarts.objects.filter(day__gte=filters.first_day, day__lte=filters.last_day, **filters.lookups())
        .order_by()
        .values("day", by)
        .annotate(n=Sum("count"))
    )
    for row in rolled:
        counts[(row["day"], row[by])] += row["n"]
    for day in _open_days(filters):
        live = (
            StartRequest.objects.filter(
                created_at__gte=day_start(day),
                created_at__lt=day_start(day + dt.timedelta(1)),
                **filters.lookups(),
            )
            .order_by()
            .values(by)
            .annotate(n=Count("id"))
        )
        for row in live:
            counts[(day, row[by])] += row["n"]
    return dict(counts)


def series_labels(*, breakdown: str, keys) -> dict:
    names: dict[object, str]
    if breakdown == "outcome":
        names = {value: str(label) for value, label in StartRequest.Outcome.choices}
    elif breakdown == "flow":
        names = {value: str(label) for value, label in StartRequest.Flow.choices}
    elif breakdown == "site":
        names = dict(Site.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))
        names[None] = _("(deleted site)")
    else:
        names = dict(Issue.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "display_name"))
        names[None] = _("(no issue)")
    return {key: names.get(key, str(key)) for key in keys}


def daily_starts(*, filters: StartFilters, breakdown: str) -> DailySeries:
    counts = start_counts(filters=filters, breakdown=breakdown)
    totals: dict = defaultdict(int)
    for (_day, key), n in counts.items():
        totals[key] += n
    if breakdown in ("outcome", "flow"):
        choices = StartRequest.Outcome if breakdown == "outcome" else StartRequest.Flow
        keys = [value for value in choices.values if value in totals]
    else:  # the biggest first
        keys = sorted(totals, key=lambda key: (-totals[key], str(key)))
    return DailySeries(
        days=filters.days, keys=keys, labels=series_labels(breakdown=breakdown, keys=keys), counts=counts
    )


@dataclass(frozen=True)
class FunnelStep:
    flow: str
    label: str
    views: int
    submissions: int
    starts: int

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def submission_rate(self) -> float | None:
        return self.rate(self.submissions, self.views)

    @property
    def start_rate(self) -> float | None:
        return self.rate(self.starts, self.submissions)

    @property
    def overall_rate(self) -> float | None:
        return self.rate(self.starts, self.views)


def funnel(*, filters: StartFilters) -> list[FunnelStep]:
    """Views -> submissions -> starts (sent to the vendor, or previewed) per customer flow.

    Views and submissions are counted per site and flow only, so the issue and outcome filters
    do not apply here; the site and flow filters do.
    """
    pages = DailyPageCounts.objects.filter(day__gte=filters.first_day, day__lte=filters.last_day)
    if filters.site is not None:
        pages = pages.filter(site=filters.site)
    page_counts: dict[str, dict] = {
        row["flow"]: dict(row)
        for row in pages.order_by()
        .values("flow")
        .annotate(views=Sum("views"), submissions=Sum("submissions"))
    }
    starts: dict[str, int] = defaultdict(int)
    for outcome in SUCCESS:
        only = StartFilters(
            first_day=filters.first_day, last_day=filters.last_day, site=filters.site, outcome=outcome
        )
        for (_day, flow), n in start_counts(filters=only, breakdown="flow").items():
            starts[str(flow)] += n
    labels = dict(StartRequest.Flow.choices)
    return [
        FunnelStep(
            flow=flow,
            label=str(labels[flow]),
            views=(page_counts.get(flow) or {}).get("views") or 0,
            submissions=(page_counts.get(flow) or {}).get("submissions") or 0,
            starts=starts[flow],
        )
        for flow in COUNTED_FLOWS
        if not filters.flow or filters.flow == flow
    ]
