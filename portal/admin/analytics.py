"""The start dashboard and the start records' CSV export
(docs/decisions/0082-analytics-dashboard.md).

Both hang under the start records' admin (`StartRequestAdmin.get_urls`), for staff with
`portal.view_startrequest`: starts per day as a server-drawn SVG chart with the same numbers
in a table, the funnel per flow, and the changelist's records as CSV with its filters.
"""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.analytics import chart, counters, selectors, services, tasks
from portal.models import Issue, Site, StartRequest
from portal.spreadsheet import cell_text

PERMISSION = "portal.view_startrequest"
PERIODS = (30, 90)
# The chart's heading for each split, as whole sentences for the translators.
HEADINGS = {
    "outcome": _("Starts per day by outcome"),
    "flow": _("Starts per day by flow"),
    "site": _("Starts per day by site"),
    "issue": _("Starts per day by issue"),
}
BREAKDOWN_CHOICES = [
    ("outcome", _("Outcome")),
    ("flow", _("Flow")),
    ("site", _("Site")),
    ("issue", _("Issue")),
]


class IssueChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.site.name} · {obj.display_name}"


class DashboardForm(forms.Form):
    period = forms.TypedChoiceField(
        label=_("Period"),
        choices=[(30, _("Last 30 days")), (90, _("Last 90 days"))],
        coerce=int,
        required=False,
        empty_value=None,
    )
    site = forms.ModelChoiceField(
        Site.objects.order_by("name"), label=_("Site"), required=False, empty_label=_("All")
    )
    flow = forms.ChoiceField(
        label=_("Flow"), choices=[("", _("All")), *StartRequest.Flow.choices], required=False
    )
    issue = IssueChoice(
        Issue.objects.select_related("site").order_by("site__name", "order", "display_name"),
        label=_("Issue"),
        required=False,
        empty_label=_("All"),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=[("", _("All")), *StartRequest.Outcome.choices], required=False
    )
    breakdown = forms.ChoiceField(label=_("Split by"), choices=BREAKDOWN_CHOICES, required=False)

    def filters(self) -> selectors.StartFilters:
        data = self.cleaned_data
        last = counters.today()
        return selectors.StartFilters(
            first_day=last - dt.timedelta(days=(data["period"] or PERIODS[0]) - 1),
            last_day=last,
            site=data["site"],
            flow=data["flow"],
            issue=data["issue"],
            outcome=data["outcome"],
        )


def changelist_query(filters: selectors.StartFilters) -> str:
    """The changelist's query string for the same records (its own filter parameters)."""
    query: dict[str, str | int] = {"created_at__gte": services.day_start(filters.first_day).isoformat()}
    if filters.site is not None:
        query["site__id__exact"] = filters.site.pk
    if filters.flow:
        query["flow__exact"] = filters.flow
    if filters.issue is not None:
        query["issue__id__exact"] = filters.issue.pk
    if filters.outcome:
        query["outcome__exact"] = filters.outcome
    return urlencode(query)


def percent(rate: float | None) -> str:
    return "—" if rate is None else formats.number_format(round(rate * 100, 1), 1) + " %"


def dashboard_view(model_admin, request):
    """The dashboard; `StartRequestAdmin.get_urls` wraps it in `admin_site.admin_view` (staff only)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = DashboardForm(request.GET or {"period": 30})
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Start analytics"),
        "opts": model_admin.model._meta,
        "form": form,
        "time_zone": timezone.get_default_timezone_name(),
    }
    if form.is_valid():
        filters = form.filters()
        # A few days at most on the request; the others (never folded: the worker has not run
        # since an upgrade) are left to the worker, and the page says so.
        uncounted = services.fold_recent_days(first_day=filters.first_day, last_day=filters.last_day)
        if uncounted:
            tasks.catch_up()
        services.fold_counters()
        breakdown = form.cleaned_data["breakdown"] or "outcome"
        series = chart.grouped(selectors.daily_starts(filters=filters, breakdown=breakdown))
        drawing = chart.chart(series)
        query = changelist_query(filters)
        context.update(
            filters=filters,
            uncounted_until=uncounted[-1] if uncounted else None,
            heading=HEADINGS[breakdown],
            series=series,
            chart=drawing,
            columns=[
                {"label": series.labels[key], "colour": colour["colour"], "total": series.series_total(key)}
                for key, colour in zip(series.keys, drawing["legend"], strict=True)
            ],
            rows=[
                {
                    "day": day,
                    "values": [series.value(day, key) for key in series.keys],
                    "total": series.day_total(day),
                }
                for day in series.days
            ],
            funnel=[
                {
                    "step": step,
                    "submission_rate": percent(step.submission_rate),
                    "start_rate": percent(step.start_rate),
                    "overall_rate": percent(step.overall_rate),
                }
                for step in selectors.funnel(filters=filters)
            ],
            records_url=reverse("admin:portal_startrequest_changelist") + "?" + query,
            export_url=reverse("admin:portal_startrequest_export") + "?" + query,
        )
    return TemplateResponse(request, "admin/portal/startrequest/dashboard.html", context)


# ------------------------------------------------------------------------------
# CSV export
# ------------------------------------------------------------------------------
CSV_COLUMNS = [
    ("id", "id"),
    ("created_at", "created_at"),
    ("site", "site__name"),
    ("flow", "flow"),
    ("issue", "issue__display_name"),
    ("outcome", "outcome"),
    ("locale", "locale"),
    ("embedded", "embedded"),
    ("chat", "chat"),
    ("backend", "backend_kind"),
    ("invalid_fields", "error_fields"),
]


class _Echo:
    """csv.writer's file: each written line is handed back instead of stored."""

    def write(self, value):
        return value


def csv_lines(queryset):
    """The records as CSV lines (RFC 4180, CRLF), read in chunks: a million rows stream without
    being held in memory. Customer data is left out: one customer's data is exported by a
    privacy request (portal/privacy/), not in bulk."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    zone = timezone.get_default_timezone()
    yield "\ufeff" + writer.writerow([name for name, _field in CSV_COLUMNS])  # BOM: Excel reads UTF-8
    fields = [field for _name, field in CSV_COLUMNS]
    for row in queryset.order_by("-created_at", "-id").values_list(*fields).iterator(chunk_size=2000):
        values = list(row)
        values[1] = values[1].astimezone(zone).isoformat(timespec="seconds")
        yield writer.writerow([cell_text(value) for value in values])


def csv_response(queryset) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        (line.encode("utf-8") for line in csv_lines(queryset)), content_type="text/csv; charset=utf-8"
    )
    name = f"start-records-{counters.today():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def export_view(model_admin, request):
    """The changelist's records, with its current filters, search and date drill-down, as CSV."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    try:
        changelist = model_admin.get_changelist_instance(request)
    except IncorrectLookupParameters:
        model_admin.message_user(
            request, gettext("These filters are not valid; nothing was exported."), messages.ERROR
        )
        return HttpResponseRedirect(reverse("admin:portal_startrequest_changelist"))
    return csv_response(changelist.get_queryset(request))
