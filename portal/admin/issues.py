"""Admin for issues and their translations."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal import models, translation_coverage
from portal.admin.choices import PreselectSingleChoiceMixin
from portal.admin.mixins import AdminListMedia, MissingTranslationsMixin, without_single_site


class IssueTranslationInline(admin.TabularInline):
    model = models.IssueTranslation
    extra = 0


@admin.register(models.Issue)
class IssueAdmin(PreselectSingleChoiceMixin, MissingTranslationsMixin, admin.ModelAdmin):
    missing_languages = staticmethod(translation_coverage.missing_issue_languages)
    list_display = [
        "display_name",
        "code_name",
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
        (_("Routing"), {"fields": ["vendor_id", "priority", "chat"]}),
        (_("Take Control"), {"classes": ["collapse"], "fields": ["department", "technician"]}),
        (_("Advanced"), {"classes": ["collapse"], "fields": ["skills", "chat_locale"]}),
    ]

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site").prefetch_related("translations")
