"""The legacy Bomgar adapter (kind "legacy"): the old `download_customer_connector.ns` start
(docs/decisions/0001-beyondtrust-start-url-styles.md) on the same command API.

The one home of what the `.ns` start cannot carry: an issue's code name (issues need the
appliance's numeric id), custom fields, chat only, a chat language, an issue's priority and
skills, the platform. The builder itself sits beside the modern one in `start_url.py`, as both
take the same `StartParams`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.models import Issue, Site
from portal.vendors import limits
from portal.vendors.base import CustomerField
from portal.vendors.beyondtrust.adapter import CUSTOMER_FIELDS, BeyondTrustAdapter
from portal.vendors.beyondtrust.start_url import StartParams, legacy_start_url

# `download_customer_connector.ns`: its guide limits `customer_desc` to 1024 characters (not
# bytes, as `customer.details` is); the rest as on BeyondTrust.
LEGACY_CUSTOMER_FIELDS = tuple(
    CustomerField(
        f.name, f.mode_attr, f.label, f.autocomplete, max_chars=limits.LEGACY_DESC_MAX_CHARS, multiline=True
    )
    if f.name == "details"
    else f
    for f in CUSTOMER_FIELDS
)

CHAT_ONLY_REFUSED = _("A legacy Bomgar start cannot be chat only: choose full client only.")


def is_startable(issue: Issue) -> bool:
    """The `.ns` URL names an issue by its numeric id only: an issue with a code name alone
    cannot be started there."""
    return issue.vendor_id is not None


class LegacyBomgarAdapter(BeyondTrustAdapter):
    kind = "legacy"
    offers_chat_only = False
    carries_custom_fields = False
    chat_only_refused = CHAT_ONLY_REFUSED
    custom_fields_refused = (
        _("A legacy Bomgar start cannot carry custom fields: this one would never reach the representative."),
        _("A legacy Bomgar start cannot carry custom fields: deactivate them."),
    )
    customer_fields = LEGACY_CUSTOMER_FIELDS
    # What the `.ns` start cannot carry (refused below when set) is not offered in the admin
    # either (docs/decisions/0103-admin-fields-by-vendor.md): a chat mode whose only valid
    # answer is "full client only" is no choice (docs/decisions/0035-no-pointless-choices.md).
    unused_fields = {
        "backend": BeyondTrustAdapter.unused_fields["backend"] | {"send_platform"},
        "site": frozenset({"chat_mode", "chat_locale"}),
        "issue": BeyondTrustAdapter.unused_fields["issue"] | {"priority", "skills", "chat", "chat_locale"},
    }

    def start_url(self, params: StartParams) -> str:
        return legacy_start_url(self.backend.base_url, params, key_only=self.backend.prompts_before_download)

    # -- validation ---------------------------------------------------------------------
    def backend_problems(self) -> dict[str, Any]:
        errors = super().backend_problems()
        if self.backend.send_platform:
            errors["send_platform"] = _(
                "The legacy .ns start has no platform parameter: turn "
                "this off, or use the BeyondTrust Remote Support kind."
            )
        return errors

    def site_problems(self, site: Site) -> dict[str, Any]:
        problems = super().site_problems(site)
        if site.chat_locale:
            problems["chat_locale"] = _("A legacy Bomgar start has no chat language: leave this empty.")
        if site.pk:
            carried = (
                Q(priority__isnull=False) | ~Q(skills="") | ~Q(chat_locale="") | Q(chat=Issue.Chat.ALWAYS)
            )
            if site.issues.filter(active=True).filter(carried).exists():
                problems["issues"] = _(
                    "A legacy Bomgar start cannot carry an issue's "
                    "priority, skills, chat language or chat only: "
                    "clear them on the issues."
                )
        return problems

    def issue_problems(self, issue: Issue) -> dict[str, Any]:
        errors = super().issue_problems(issue)  # chat only
        if not is_startable(issue):
            errors["vendor_id"] = _(
                "A legacy Bomgar backend starts issues by their numeric ID: enter the appliance's issue ID."
            )
        unsupported = _("A legacy Bomgar start cannot carry this: leave it empty.")
        if issue.priority is not None:
            errors["priority"] = unsupported
        if issue.skill_list:
            errors["skills"] = unsupported
        if issue.chat_locale:
            errors["chat_locale"] = unsupported
        return errors

    def startable_issues(self, issues: Sequence[Issue]) -> list[Issue]:
        return [issue for issue in issues if is_startable(issue)]
