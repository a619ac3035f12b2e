"""Admin for the start records: read-only, one row per start
(docs/decisions/0032-start-records-and-personal-data.md), with the start dashboard and the CSV
export beside the list (portal/admin/analytics.py)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from portal import models
from portal.admin.analytics import csv_response, dashboard_view, export_view
from portal.admin.mixins import AdminListMedia, without_single_site


@admin.register(models.StartRequest)
class StartRequestAdmin(admin.ModelAdmin):
    list_display = ["when", "site", "flow", "issue", "outcome", "locale", "embedded", "chat"]
    list_filter = ["outcome", "flow", "site", "issue", "embedded", "chat", "locale", "backend_kind"]
    # Links to the dashboard and to "Export CSV" with the list's current filters.
    change_list_template = "admin/portal/startrequest/change_list.html"
    actions = ["export_selected"]
    Media = AdminListMedia
    search_fields = ["issue__display_name", "error_fields"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in models.StartRequest._meta.fields]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "created_at",
                    "site",
                    "flow",
                    "issue",
                    "outcome",
                    "error_fields",
                    "locale",
                    "embedded",
                    "chat",
                ]
            },
        ),
        # The customer's details (only kept when the site asks for it) stay folded away.
        (_("Advanced"), {"classes": ["collapse"], "fields": ["backend_kind", "customer_data"]}),
    ]

    @admin.display(description=_("time"), ordering="created_at")
    def when(self, obj):
        # The short form ("12/02/2026 6:21 a.m.") leaves the outcome room at 1280 px.
        return formats.date_format(timezone.localtime(obj.created_at), "SHORT_DATETIME_FORMAT")

    def get_list_display(self, request):
        return without_single_site(super().get_list_display(request))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("site", "issue")

    def get_urls(self):
        return [
            path(
                "analytics/",
                self.admin_site.admin_view(lambda request: dashboard_view(self, request)),
                name="portal_startrequest_dashboard",
            ),
            path(
                "export/",
                self.admin_site.admin_view(lambda request: export_view(self, request)),
                name="portal_startrequest_export",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Export selected start requests as CSV"), permissions=["view"])
    def export_selected(self, request, queryset):
        return csv_response(queryset)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        """Start records are the statistics' source and may name a customer whose webhook
        events live elsewhere: they are erased (Privacy requests), never deleted here."""
        return False
