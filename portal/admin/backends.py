"""Admin for backends: the vendor connection, its write-only secrets, Take Control departments
and technicians, the appliance actions and the session-history page."""

from __future__ import annotations

from django.contrib import admin, messages
from django.urls import path
from django.utils.translation import gettext_lazy as _

from portal import appliance, models
from portal.admin.choices import ChoicesInUseFilter
from portal.admin.integrations import BACKEND_ACTIONS
from portal.admin.mixins import AdminListMedia
from portal.admin.secrets import WriteOnlySecretsAdmin, WriteOnlySecretsForm, clear_secret_field
from portal.admin.session_history import session_history_view
from portal.admin.vendor_fields import VendorFieldsAdmin, VendorFieldsForm


class BackendForm(VendorFieldsForm, WriteOnlySecretsForm):
    secret_fields = models.Backend.SECRET_FIELDS
    secrets_sent_to = "base_url"
    clear_client_secret = clear_secret_field()
    clear_tc_public_key = clear_secret_field()
    clear_tc_private_key = clear_secret_field()

    class Meta:
        model = models.Backend
        fields = "__all__"

    def clean_base_url(self):
        # In IDNA's xn-- form before the secrets compare it with the stored address: typed in
        # its own letters, the same host is no new receiver.
        return models.ascii_host_url(self.cleaned_data["base_url"])


class DepartmentInline(admin.TabularInline):
    model = models.Department
    extra = 0


class TechnicianInline(admin.TabularInline):
    model = models.Technician
    extra = 0


@admin.register(models.Backend)
class BackendAdmin(WriteOnlySecretsAdmin, VendorFieldsAdmin, admin.ModelAdmin):
    form = BackendForm
    secret_fields = models.Backend.SECRET_FIELDS
    list_display = ["name", "kind", "base_url", "secret_status", "updated_at"]
    list_filter = [("kind", ChoicesInUseFilter)]
    search_fields = ["name", "base_url"]
    inlines = [DepartmentInline, TechnicianInline]
    actions = BACKEND_ACTIONS
    Media = AdminListMedia
    readonly_fields = ["connection_checked_at", "connection_ok", "connection_result"]
    fieldsets = [
        (None, {"fields": ["name", "kind", "base_url"]}),
        (
            _("Test connection"),
            {
                # The test is an action of the list (portal/admin/integrations.py), not a button
                # here: say where to run it.
                "description": _(
                    "Run it from the backend list: tick this backend and choose the “Test connection” action."
                ),
                "fields": ["connection_checked_at", "connection_ok", "connection_result"],
            },
        ),
        (_("BeyondTrust"), {"fields": ["client_id", ("client_secret", "clear_client_secret")]}),
        (
            _("Take Control"),
            {
                "fields": [
                    "tc_mode",
                    "tc_uid",
                    ("tc_public_key", "clear_tc_public_key"),
                    ("tc_private_key", "clear_tc_private_key"),
                    "tc_pin_url_template",
                    "tc_ask_customer_info",
                    "tc_show_waiting_queue",
                ],
            },
        ),
        # BeyondTrust switches that only follow an appliance set up unlike its defaults.
        (
            _("Advanced"),
            {
                "classes": ["collapse"],
                "fields": ["allow_letters_in_key", "prompts_before_download", "send_platform"],
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if (
            obj.uses_command_api
            and not obj.has_api_credentials
            and models.ApiToken.objects.filter(site__backend=obj, revoked_at__isnull=True).exists()
        ):
            # Not refused: the tokens' prefill links work without the appliance.
            self.message_user(
                request,
                _(
                    "%(backend)s has no API client ID and secret: the integrations API of its sites "
                    "refuses session keys and chat hand-offs until they are added (prefill links "
                    "still work)."
                )
                % {"backend": obj.name},
                messages.WARNING,
            )

    def backend_of(self, obj):
        return obj

    def backend_in(self, data):
        kind = data.get("kind")
        return models.Backend(kind=kind) if kind in models.Backend.Kind.values else None

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        # A new backend has not been tested yet; a kind without a connection test (Preview)
        # never is: its "Last connection test: -" would only suggest a test to run.
        if obj is None or not obj.adapter.has_connection_test:
            fieldsets = [entry for entry in fieldsets if "connection_ok" not in entry[1]["fields"]]
        return fieldsets

    def has_import_issues_permission(self, request):
        """The *Import issues* action's: it creates and changes issues customers see at once."""
        return request.user.has_perms(["portal.add_issue", "portal.change_issue"])

    def get_urls(self):
        def view(request, object_id):
            return session_history_view(self, request, object_id)

        return [
            path(
                "<path:object_id>/session-history/",
                self.admin_site.admin_view(view),
                name="portal_backend_session_history",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("last connection test result"))
    def connection_result(self, obj):
        """The kept result in the reader's language, not the language of whoever ran the test.
        A read-only field shows what this returns as it is (`None` would read "None"), so an
        untested backend gets the admin's empty value itself."""
        return appliance.connection_result(obj) or self.get_empty_value_display()

    @admin.display(description=_("secrets"))
    def secret_status(self, obj):
        names = [
            str(obj._meta.get_field(name).verbose_name)
            for name in models.Backend.SECRET_FIELDS
            if getattr(obj, name)
        ]
        return ", ".join(names) + " ✓" if names else "—"
