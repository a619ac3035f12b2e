"""Take Control session history in admin (docs/decisions/0019-takecontrol-session-history.md).

A page under a Take Control backend's change page, for staff with the
`portal.view_session_history` permission: a filter form (date range and the vendor's other
filters), the columns to show, paging, and a CSV download. The history is read with the
backend's private key on the server, through `portal.appliance` and the backend's adapter,
which names the columns and writes the cells and the CSV (this module never builds a vendor
client); the key never reaches a page, a message or the CSV.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal import appliance

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

PERMISSION = "portal.view_session_history"
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_DAYS = 7

TRI_STATE = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
TRI_STATE_VALUES = {"": None, "yes": True, "no": False}


class SessionHistoryForm(forms.Form):
    # An <input type="date"> takes year-month-day only, whatever the admin's language (its
    # localized format, 22.02.2026 in German, reads as empty); ISO is accepted in every one.
    date_from = forms.DateField(
        label=_("From"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    session_id = forms.CharField(label=_("Session ID"), required=False, max_length=64)
    customer_name = forms.CharField(label=_("Customer name"), required=False, max_length=128)
    customer_email = forms.CharField(label=_("Customer email"), required=False, max_length=64)
    computer_name = forms.CharField(label=_("Computer"), required=False, max_length=128)
    technician_username = forms.CharField(label=_("Technician username"), required=False, max_length=254)
    start_method = forms.CharField(label=_("Start method"), required=False, max_length=64)
    processed = forms.ChoiceField(label=_("Answered"), choices=TRI_STATE, required=False)
    has_videos = forms.ChoiceField(label=_("Recorded"), choices=TRI_STATE, required=False)
    columns = forms.MultipleChoiceField(
        label=_("Columns"),
        choices=[],  # the backend's adapter's `history_columns`
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one column.")},
    )
    page = forms.IntegerField(label=_("Page"), min_value=1, max_value=100_000, required=False)
    page_size = forms.TypedChoiceField(
        label=_("Rows per page"),
        coerce=int,
        required=False,
        choices=[(n, n) for n in PAGE_SIZES],
        empty_value=50,  # type: ignore[arg-type]  # any value may stand for "empty"; the stub says str
    )

    def __init__(self, *args, columns: Mapping[str, StrOrPromise], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["columns"].choices = list(columns.items())  # type: ignore[attr-defined]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The range must end on or after its first day."))
        return cleaned

    def history_filters(self) -> dict:
        """The filters `appliance.session_history` takes."""
        data = self.cleaned_data
        return {
            "date_from": data["date_from"],
            "date_to": data["date_to"],
            "columns": list(data["columns"]),
            "session_id": data["session_id"].strip(),
            "customer_name": data["customer_name"].strip(),
            "customer_email": data["customer_email"].strip(),
            "computer_name": data["computer_name"].strip(),
            "technician_username": data["technician_username"].strip(),
            "start_method": data["start_method"].strip(),
            "processed": TRI_STATE_VALUES[data["processed"]],
            "has_videos": TRI_STATE_VALUES[data["has_videos"]],
        }


def initial_values(adapter) -> dict:
    today = timezone.localdate()
    return {
        "date_from": today - timedelta(days=DEFAULT_DAYS),
        "date_to": today,
        "columns": list(adapter.default_history_columns),
        "page": 1,
        "page_size": 50,
    }


def csv_response(adapter, rows, columns, filters) -> HttpResponse:
    # The BOM makes Excel read the file as UTF-8; history_csv defuses formula cells.
    body = "\ufeff" + adapter.history_csv(rows, columns)
    response = HttpResponse(body.encode("utf-8"), content_type="text/csv; charset=utf-8")
    name = f"session-history-{filters['date_from']:%Y-%m-%d}-{filters['date_to']:%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def page_links(request, history: appliance.HistoryPage, page: int, page_size: int) -> dict:
    query = request.GET.copy()
    query.pop("export", None)

    def link(number):
        query["page"] = str(number)
        return "?" + query.urlencode()

    more = (page * page_size < history.total) if history.total is not None else len(history.rows) >= page_size
    return {"previous": link(page - 1) if page > 1 else "", "next": link(page + 1) if more else ""}


def session_history_view(model_admin, request, object_id: str):
    """The admin page; `BackendAdmin.get_urls` wraps it in `admin_site.admin_view` (staff only)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    backend = model_admin.get_object(request, object_id)
    if backend is None or not backend.adapter.has_session_history:
        raise Http404
    adapter = backend.adapter
    submitted = "date_from" in request.GET
    form = SessionHistoryForm(
        request.GET if submitted else None, initial=initial_values(adapter), columns=adapter.history_columns
    )
    context = {
        **model_admin.admin_site.each_context(request),
        "title": gettext("Session history: %s") % backend.name,
        "opts": model_admin.model._meta,
        "original": backend,
        "form": form,
        "has_private_key": bool(backend.tc_private_key),
        "columns": [],
        "rows": [],
        "history": None,
        "links": {},
        "export_url": "",
    }
    # Without a key no request can be made: the page's note says what to do, and a vendor error
    # after it would claim a refusal that never happened.
    if submitted and form.is_valid() and context["has_private_key"]:
        filters = form.history_filters()
        page = form.cleaned_data["page"] or 1
        page_size = form.cleaned_data["page_size"] or 50
        try:
            if request.GET.get("export") == "csv":
                rows = appliance.export_session_history(backend=backend, filters=filters)
                return csv_response(adapter, rows, filters["columns"], filters)
            history = appliance.session_history(
                backend=backend, filters=filters, page=page, page_size=page_size
            )
        except appliance.SessionHistoryError as error:
            model_admin.message_user(request, appliance.note_text(error.note), messages.ERROR)
        else:
            query = request.GET.copy()
            query["export"] = "csv"
            query.pop("page", None)
            context.update(
                columns=[(code, adapter.history_columns[code]) for code in filters["columns"]],
                rows=[
                    [adapter.history_cell(row, code) for code in filters["columns"]] for row in history.rows
                ],
                history=history,
                links=page_links(request, history, page, page_size),
                export_url="?" + query.urlencode(),
                page=page,
            )
    return TemplateResponse(request, "admin/portal/session_history.html", context)
