"""Admin for issues and their translations."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import models, translation_coverage
from portal.admin.choices import PreselectSingleChoiceMixin
from portal.admin.mixins import (
    AdminListMedia,
    CodeNameColumnMixin,
    MissingTranslationsMixin,
    without_single_site,
)
from portal.admin.vendor_fields import VendorFieldsAdmin, VendorFieldsForm


class IssueTranslationInline(admin.TabularInline):
    model = models.IssueTranslation
    extra = 0


class IssueForm(VendorFieldsForm):
    class Meta:
        model = models.Issue
        fields = "__all__"
        # Here rather than on the model: a help text there is a migration for a form's words.
        help_texts = {
            "code_name": _(
                "Names the issue in prefill links (issue=…); on BeyondTrust, the appliance's "
                "code name for it."
            ),
        }


@admin.register(models.Issue)
class IssueAdmin(
    PreselectSingleChoiceMixin,
    CodeNameColumnMixin,
    MissingTranslationsMixin,
    VendorFieldsAdmin,
    admin.ModelAdmin,
):
    form = IssueForm
    missing_languages = staticmethod(translation_coverage.missing_issue_languages)
    list_display = [
        "display_name",
        "code_name_column",
        "site",
        "priority",
        "vendor_id",
        "order",
        "active",
        "missing_translations",
    ]
    list_editable = ["order", "active"]
    list_filter = ["site", "active", "priority", "chat"]
    Media = AdminListMedia
    search_fields = ["display_name", "code_name", "description"]
    ordering = ["site", "order", "display_name"]
    inlines = [IssueTranslationInline]
    readonly_fields = ["missing_translations"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "site",
                    "display_name",
                    "code_name",
                    "description",
                    "order",
                    "active",
                    "missing_translations",
                ]
            },
        ),
        # Each backend's own: BeyondTrust's id, priority and chat, Take Control's department and
        # technician (portal/admin/vendor_fields.py leaves out what the site's backend does not use).
        (_("Routing"), {"fields": ["vendor_id", "priority", "chat", "department", "technician"]}),
        (_("Advanced"), {"classes": ["collapse"], "fields": ["skills", "chat_locale"]}),
    ]

    def backend_of(self, obj):
        return obj.site.backend

    def backend_in(self, data):
        site = str(data.get("site", ""))
        if not site.isdigit():
            return None
        found = models.Site.objects.select_related("backend").filter(pk=site).first()
        return found.backend if found is not None else None

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").prefetch_related("translations")
