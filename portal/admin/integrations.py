"""Admin for the integrations: API tokens, and the backend actions that talk to the appliance
(*Test connection*, *Import issues from appliance*; docs/decisions/0041-appliance-admin-actions.md).

`portal.admin.backends` lists these actions on the backend admin. The appliance is reached only
through `portal.appliance`, never through a vendor client here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal import appliance
from portal.admin.choices import PreselectSingleChoiceMixin
from portal.admin.secrets import SecretLookupsRefusedAdmin
from portal.models import ApiToken
from portal.tokens import revoke_api_token, save_new_token, validate_token_name

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


# ------------------------------------------------------------------------------
# API tokens
# ------------------------------------------------------------------------------
class TokenStatusFilter(admin.SimpleListFilter):
    """Active or revoked, in words (the revocation time's own filter said "Empty" and "Not empty")."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("active", capfirst(_("active"))), ("revoked", capfirst(_("revoked")))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


class ApiTokenForm(forms.ModelForm):
    """The name, as trimmed, held to `validate_token_name` when a token is added or renamed."""

    class Meta:
        model = ApiToken
        fields = ["name", "site"]

    def clean_name(self):
        name = self.cleaned_data["name"]
        validate_token_name(name)
        return name


@admin.register(ApiToken)
class ApiTokenAdmin(SecretLookupsRefusedAdmin, PreselectSingleChoiceMixin, admin.ModelAdmin):
    """The token is shown once, in the message after "add"; only its prefix afterwards."""

    form = ApiTokenForm
    # The token's SHA-256 hash is never shown, and no filter spells it out either
    # (`?token_hash__startswith=`): it opens nothing (256 random bits behind it), but a stored
    # credential stays where it is, as the secrets do (docs/decisions/0028-api-token-hashing.md).
    secret_fields = ("token_hash",)

    list_display = ["name", "prefix", "site", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["site", TokenStatusFilter]
    search_fields = ["name", "prefix"]
    actions = ["revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "site"]
        return ["name", "site", "prefix", "created_at", "last_used_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["site", "prefix", "created_at", "last_used_at", "revoked_at"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        new = save_new_token(token=obj)
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                _("Copy the new API token now: it is stored hashed and will not be shown again."),
                new.secret,
            ),
            messages.SUCCESS,
        )

    @admin.action(description=_("Revoke the selected API tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        now = timezone.now()
        revoked = sum(revoke_api_token(token=token, now=now) for token in queryset)
        self.message_user(
            request, ngettext("%d API token revoked.", "%d API tokens revoked.", revoked) % revoked
        )


# ------------------------------------------------------------------------------
# Backend actions
# ------------------------------------------------------------------------------
def _offering(capability: str, skipped: StrOrPromise):
    """The selected backends whose adapter offers `capability` (an adapter attribute such as
    `has_connection_test`); the others are skipped with `skipped`, which says what their kind
    lacks (not which vendor it is: Take Control has a connection test, and no issue import)."""

    def backends(modeladmin, request, queryset):
        for backend in queryset:
            adapter = backend.adapter
            if not getattr(adapter, capability):
                modeladmin.message_user(request, skipped % {"backend": backend}, messages.WARNING)
            elif adapter.needs_api_credentials and not backend.has_api_credentials:
                # The vendor's API refuses every call without them: say what to do instead.
                modeladmin.message_user(
                    request,
                    _("%(backend)s: no API client ID and secret: add them to the backend first.")
                    % {"backend": backend.name},
                    messages.ERROR,
                )
            else:
                yield backend

    return backends


_testable = _offering(
    "has_connection_test", _("%(backend)s: this kind of backend has no connection test, skipped.")
)
_importing = _offering(
    "imports_issues", _("%(backend)s: issues cannot be imported from this kind of backend, skipped.")
)


# Django offers an action without `permissions` to everyone who may view the list. The test
# writes the backend's kept result; the import changes customers' issue menus at once, so it
# asks `BackendAdmin.has_import_issues_permission` (may add and change issues).
@admin.action(description=_("Test connection"), permissions=["change"])
def test_connection(modeladmin, request, queryset):
    for backend in _testable(modeladmin, request, queryset):
        report = appliance.check_connection(backend=backend)

        def say(text, level=messages.INFO, backend=backend):
            modeladmin.message_user(request, f"{backend.name}: {text}", level)

        if report.api_info is not None:
            info = report.api_info
            say(
                _("API version %(version)s, company %(company)s.")
                % {"version": info.api_version or "?", "company": info.company_name or "?"},
                messages.SUCCESS,
            )
            permission = info.command_permission or _("not reported")
            if report.permission_too_low:
                say(
                    _(
                        "Command API permission is %(permission)s, but API tokens for this "
                        "backend's sites create session keys, which need full access. Give the "
                        "API account full command API access (/login > Management > API "
                        "Configuration)."
                    )
                    % {"permission": permission},
                    messages.WARNING,
                )
            elif info.can_generate_session_keys:
                say(_("Command API permission: full."), messages.SUCCESS)
            else:
                say(
                    _(
                        "Command API permission: %(permission)s. Enough for the representative "
                        "list and issue import; session keys need full access."
                    )
                    % {"permission": permission}
                )
        if report.health is not None:
            if not report.health.appliances:
                say(_("The appliance reported no health details."), messages.WARNING)
            for unit in report.health.appliances:
                details = {
                    "appliance": unit.hostname or "?",
                    "version": unit.version or "?",
                    "role": unit.failover_role or "?",
                    "error": unit.error_message or "?",
                }
                if unit.success:
                    say(
                        _("Appliance %(appliance)s (version %(version)s, failover role %(role)s) is healthy.")
                        % details,
                        messages.SUCCESS,
                    )
                else:
                    say(
                        _(
                            "Appliance %(appliance)s (version %(version)s, failover role "
                            "%(role)s) is NOT healthy: %(error)s"
                        )
                        % details,
                        messages.WARNING,
                    )
        if report.probe_healthy is True:
            say(_("Health probe /check_health: OK."), messages.SUCCESS)
        elif report.probe_healthy is False:
            say(_("Health probe /check_health: the appliance reports a problem."), messages.WARNING)
        for note in report.passed:
            say(appliance.note_text(note), messages.SUCCESS)
        for error in report.errors:
            say(appliance.note_text(error), messages.ERROR)
        if advice := appliance.unreachable_advice(report):
            say(appliance.note_text(advice), messages.ERROR)
        for note in report.untested:
            say(appliance.note_text(note), messages.WARNING)
        appliance.record_connection_check(backend=backend, report=report)


@admin.action(description=_("Import issues from appliance"), permissions=["import_issues"])
def import_issues(modeladmin, request, queryset):
    for backend in _importing(modeladmin, request, queryset):
        try:
            reports, skipped = appliance.import_issues(backend=backend)
        except (appliance.ApplianceError, ValueError) as error:
            failure = appliance.note_text(appliance.import_failure(error))
            modeladmin.message_user(request, f"{backend.name}: {failure}", messages.ERROR)
            continue
        if not reports:
            modeladmin.message_user(
                request,
                _("%(backend)s: no site uses this backend.") % {"backend": backend.name},
                messages.WARNING,
            )
        for report in reports:
            created = ", ".join(issue.code_name for issue in report.created)
            modeladmin.message_user(
                request,
                _("%(site)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged.")
                % {
                    "site": report.site.name,
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "unchanged": report.unchanged,
                }
                + (
                    " " + _("New and already shown to customers: %(codes)s.") % {"codes": created}
                    if created
                    else ""
                ),
                messages.SUCCESS,
            )
        if skipped:
            modeladmin.message_user(
                request,
                ngettext(
                    "%(backend)s: %(count)d appliance issue has no usable code name and was skipped.",
                    "%(backend)s: %(count)d appliance issues have no usable code name and were skipped.",
                    skipped,
                )
                % {"backend": backend.name, "count": skipped},
                messages.WARNING,
            )


BACKEND_ACTIONS = [test_connection, import_issues]
