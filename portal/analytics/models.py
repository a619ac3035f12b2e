"""Daily totals behind the start dashboard (docs/decisions/0080-analytics-daily-rollup.md).

Counts only: a day, a site, a flow, an issue, an outcome and a number. No customer data, so
`portal_purge` and privacy requests leave these rows alone (docs/privacy.md).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Issue, Site, StartRequest


class DailyStarts(models.Model):
    """How many start records one closed day had, per site, flow, issue and outcome."""

    day = models.DateField(_("day"))
    site = models.ForeignKey(Site, null=True, on_delete=models.SET_NULL, related_name="+")
    flow = models.CharField(_("flow"), max_length=10, choices=StartRequest.Flow.choices)
    issue = models.ForeignKey(Issue, null=True, on_delete=models.SET_NULL, related_name="+")
    outcome = models.CharField(_("outcome"), max_length=10, choices=StartRequest.Outcome.choices)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        verbose_name = _("daily start count")
        verbose_name_plural = _("daily start counts")
        indexes = [models.Index(fields=["day", "site"], name="analytics_starts_day_site")]

    def __str__(self):
        return f"{self.day} {self.flow} {self.outcome}: {self.count}"


class FoldedDay(models.Model):
    """A day whose start records are in `DailyStarts`: it is read from there, never again from
    the start records (which `portal_purge` may since have deleted)."""

    day = models.DateField(_("day"), unique=True)
    folded_at = models.DateTimeField(_("folded"), auto_now_add=True)

    class Meta:
        verbose_name = _("folded day")
        verbose_name_plural = _("folded days")

    def __str__(self):
        return str(self.day)


class DailyPageCounts(models.Model):
    """Page views and form submissions of one flow's pages on one day, folded from the
    shared cache's counters (docs/decisions/0081-cookie-free-view-counting.md)."""

    day = models.DateField(_("day"))
    site = models.ForeignKey(Site, null=True, on_delete=models.SET_NULL, related_name="+")
    flow = models.CharField(_("flow"), max_length=10, choices=StartRequest.Flow.choices)
    views = models.PositiveBigIntegerField(_("page views"), default=0)
    submissions = models.PositiveBigIntegerField(_("form submissions"), default=0)

    class Meta:
        verbose_name = _("daily page count")
        verbose_name_plural = _("daily page counts")
        indexes = [models.Index(fields=["day", "site"], name="analytics_pages_day_site")]

    def __str__(self):
        return f"{self.day} {self.flow}: {self.views} / {self.submissions}"
