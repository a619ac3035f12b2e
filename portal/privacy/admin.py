"""Admin: "Customer records" (start records holding customer data) with the privacy actions
*Export everything about these customers (JSON)* and *Erase everything about these
customers*, which act on every holder, webhook events included (docs/privacy.md)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.privacy import services
from portal.privacy.holders import Subject
from portal.privacy.models import CustomerRecord


def subjects_of(queryset) -> list[Subject]:
    seen, subjects = set(), []
    for data in queryset.values_list("customer_data", flat=True):
        data = data or {}
        subject = (data.get("email", "").strip().lower(), data.get("external_key", "").strip())
        if any(subject) and subject not in seen:
            seen.add(subject)
            subjects.append(Subject(email=subject[0], external_key=subject[1]))
    return subjects


@admin.register(CustomerRecord)
class CustomerRecordAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "site",
        "flow",
        "outcome",
        "customer_name",
        "customer_email",
        "external_key",
    ]
    list_filter = ["site"]
    search_fields = ["customer_data__email", "customer_data__external_key", "customer_data__name"]
    actions = ["export_json", "erase"]
    list_select_related = ["site"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(customer_data__isnull=False)

    def _field(self, record, name):
        return (record.customer_data or {}).get(name, "")

    @admin.display(description=_("name"))
    def customer_name(self, record):
        return self._field(record, "name")

    @admin.display(description=_("email"))
    def customer_email(self, record):
        return self._field(record, "email")

    @admin.display(description=_("external key"))
    def external_key(self, record):
        return self._field(record, "external_key")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    # Django's deletion (the "Delete selected" action, a record's delete page) would drop whole
    # start records, and with them the anonymous counts, while the customer's webhook events
    # stayed and the customer vanished from this list. Only *Erase everything about these
    # customers* answers an erasure request: it clears every holder and keeps the anonymous row.
    def has_delete_permission(self, request, obj=None):
        return obj is None and super().has_delete_permission(request)  # the erase action's

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def _subjects(self, request, queryset):
        """The customers the selected records name; a warning when they name none."""
        subjects = subjects_of(queryset)
        if not subjects:
            self.message_user(
                request,
                _("The selected records have no email address or external key to look for."),
                messages.WARNING,
            )
        return subjects

    @admin.action(description=_("Export everything about these customers (JSON)"), permissions=["view"])
    def export_json(self, request, queryset):
        subjects = self._subjects(request, queryset)
        if not subjects:
            return None
        document = [services.export(subject) for subject in subjects]
        response = HttpResponse(
            json.dumps(document, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="privacy-export-{stamp}.json"'
        return response

    @admin.action(description=_("Erase everything about these customers"), permissions=["delete"])
    def erase(self, request, queryset):
        subjects = self._subjects(request, queryset)
        if not subjects:
            return None
        if request.POST.get("confirm") != "yes":
            return TemplateResponse(
                request,
                "privacy/confirm_erase.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Erase everything about these customers?"),
                    "subjects": subjects,
                    "queryset": queryset,
                    "opts": self.model._meta,
                    "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                },
            )
        totals: dict[str, int] = {}
        with transaction.atomic():
            for subject in subjects:
                for name, count in services.erase(subject).items():
                    totals[name] = totals.get(name, 0) + count
        self.message_user(request, services.erased_text(totals), messages.SUCCESS)
        return None
