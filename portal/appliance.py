"""What the portal does with a vendor's API for admins and integrations: test the connection,
import issues, create session keys and hand chats over to a human, and read the session
history. The admin (`portal/admin/`) and the API call these functions, never a vendor client;
these functions ask the backend's adapter (`Backend.adapter`,
docs/decisions/0055-vendor-adapters-and-registry.md), whose capabilities say what a kind offers.

Customer pages never come here (docs/architecture.md#talking-to-vendors: the key and survey
flows never call the vendor); the rep list has its own cached selector.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from portal.models import ApiToken, Backend, Issue, Site
from portal.selectors import vendor_breaker
from portal.vendors import registry
from portal.vendors.base import (
    AdminNote,
    ChatHandoff,
    HistoryPage,
    KeyRefusedByKeyPage,
    SessionHistoryError,
    SessionKeyGrant,
    SessionQueue,
    VendorAdapter,
    VendorError,
    VendorIssue,
    VendorUnavailable,
)

__all__ = ["AdminNote", "ChatHandoff", "HistoryPage", "SessionHistoryError", "SessionKeyGrant"]


class ApplianceCircuitOpen(Exception):
    """The appliance failed repeatedly; it is not called until `retry_after` seconds pass."""

    def __init__(self, retry_after: int):
        super().__init__(f"the appliance failed repeatedly; not calling it for {retry_after} s")
        self.retry_after = retry_after


def _through_breaker(backend: Backend, call):
    """Run `call(adapter)` unless the breaker is open. Only "unavailable" failures count
    against the appliance: a refusal (`<error>`, HTTP 4xx) is an answer, not an outage, and one
    integration's bad input must not close the rep list for everybody."""
    adapter = backend.adapter
    if not adapter.offers_session_keys:
        raise ValueError(f"{adapter.kind} backends make no session keys")
    breaker = vendor_breaker(backend)  # the rep list's breaker: one per appliance
    if breaker is None:
        raise ValueError(f"backend {backend.pk} has no command API")
    if not breaker.allow():
        raise ApplianceCircuitOpen(retry_after=math.ceil(breaker.reset_after))
    try:
        result = call(adapter)
    except VendorUnavailable:
        breaker.record_failure()
        raise
    breaker.record_success()
    return result


# ------------------------------------------------------------------------------
# Session keys and chat hand-offs (docs/architecture.md#integrations-api; the adapter's
# `generate_session_key` and `hand_off_chat`)
# ------------------------------------------------------------------------------
def create_session_key(
    *,
    backend: Backend,
    queue: SessionQueue,
    external_key: str = "",
    custom: Mapping[str, str] | None = None,
    priority: int | None = None,
    skills: Sequence[str] = (),
    ttl: int | None = None,
) -> SessionKeyGrant:
    """A session key for `queue`; raises `ApplianceError`, `ApplianceCircuitOpen`, or
    `ValueError` for input the vendor's client refuses (callers validate first)."""

    def call(adapter: VendorAdapter) -> SessionKeyGrant:
        return adapter.generate_session_key(
            queue=queue, external_key=external_key, custom=custom, priority=priority, skills=skills, ttl=ttl
        )

    return _through_breaker(backend, call)


def hand_off_chat(
    *,
    backend: Backend,
    name: str,
    ip_address: str,
    operating_system: str,
    computer_name: str,
    locale: str = "",
    queue: SessionQueue | None = None,
    external_key: str = "",
    custom: Mapping[str, str] | None = None,
    priority: int | None = None,
    skills: Sequence[str] = (),
    ttl: int | None = None,
) -> ChatHandoff:
    """A chat-only customer waiting in `queue` (default: the general queue) for a human; raises
    as `create_session_key`."""

    def call(adapter: VendorAdapter) -> ChatHandoff:
        return adapter.hand_off_chat(
            name=name,
            ip_address=ip_address,
            operating_system=operating_system,
            computer_name=computer_name,
            locale=locale,
            queue=queue or SessionQueue.general(),
            external_key=external_key,
            custom=custom,
            priority=priority,
            skills=skills,
            ttl=ttl,
        )

    return _through_breaker(backend, call)


# ------------------------------------------------------------------------------
# Test connection (admin action; docs/vendors/beyondtrust.md#get_api_info and
# docs/vendors/beyondtrust.md#check_health; on Take Control,
# docs/decisions/0112-takecontrol-connection-test.md)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionReport:
    """What the appliance said. `errors` are admin-facing notes, free of secrets."""

    api_info: Any = None  # the vendor's answers, as `ConnectionCheck` has them
    health: Any = None
    probe_healthy: bool | None = None
    session_keys_in_use: bool = False
    errors: tuple[AdminNote, ...] = ()
    unreachable: bool = False  # no connection at all: the problems say what to check
    passed: tuple[AdminNote, ...] = ()  # what the test proved (`ConnectionCheck.passed`)
    untested: tuple[AdminNote, ...] = ()  # what it could not prove, kept as warnings

    @property
    def permission_too_low(self) -> bool:
        """API tokens make session keys, which need full command access
        (docs/vendors/beyondtrust.md#oauth)."""
        return (
            self.session_keys_in_use
            and self.api_info is not None
            and not self.api_info.can_generate_session_keys
        )


def check_connection(*, backend: Backend) -> ConnectionReport:
    """The backend's adapter asks the vendor (on BeyondTrust `get_api_info`, `check_health` and
    `GET /check_health`, each may fail on its own; on Take Control the start settings and one
    history read). Bypasses the circuit breaker: the admin asks about the appliance right now."""
    try:
        check = backend.adapter.check_connection()
    except ValueError:  # the client cannot be built from the backend's settings
        return ConnectionReport(errors=(_note("portal.settings_incomplete"),))
    session_keys_in_use = ApiToken.objects.filter(site__backend=backend, revoked_at__isnull=True).exists()
    # Calls that share a step fail alike (`get_api_info` and `check_health` both need the OAuth
    # token): the admin reads each problem once.
    errors: list[AdminNote] = []
    for note in check.errors:
        if note not in errors:
            errors.append(note)
    return ConnectionReport(
        api_info=check.api_info,
        health=check.health,
        probe_healthy=check.probe_healthy,
        session_keys_in_use=session_keys_in_use,
        errors=tuple(errors),
        unreachable=check.unreachable,
        passed=check.passed,
        untested=check.untested,
    )


# ------------------------------------------------------------------------------
# Import issues (admin action and `portal_import_issues`;
# docs/vendors/beyondtrust.md#get_support_teams)
# ------------------------------------------------------------------------------
@dataclass
class IssueImport:
    """What an import did to one site's issues. `changes` per updated code name:
    field -> (old, new)."""

    site: Site
    created: list[Issue] = field(default_factory=list)
    updated: dict[str, dict[str, tuple]] = field(default_factory=dict)
    unchanged: int = 0


ApplianceIssue = VendorIssue


def appliance_issues(*, backend: Backend) -> tuple[list[ApplianceIssue], int]:
    """The appliance's issues, de-duplicated by code name, in team order, and how many were
    skipped for lacking a usable code name (the backend's adapter asks the vendor)."""
    return backend.adapter.vendor_issues()


def import_issues(*, backend: Backend, sites: Iterable[Site] | None = None) -> tuple[list[IssueImport], int]:
    """Create or update issues by code name for `sites` (default: every site on `backend`).

    Never deletes and never touches what the portal owns (active, order, priority, skills,
    translations, custom fields): the appliance's display name and numeric id win, because the
    appliance is where issues are defined; per-language names live in issue translations.
    New issues are active and go after the site's existing ones. Returns the per-site reports
    and the number of appliance issues skipped for lacking a usable code name.
    """
    found, skipped = appliance_issues(backend=backend)
    sites = list(backend.sites.all() if sites is None else sites)
    return [_import_into(site=site, found=found) for site in sites], skipped


def _import_into(*, site: Site, found: list[ApplianceIssue]) -> IssueImport:
    report = IssueImport(site=site)
    with transaction.atomic():
        existing = {issue.code_name: issue for issue in site.issues.select_for_update()}
        order = (site.issues.aggregate(top=Max("order"))["top"] or 0) + 1
        for incoming in found:
            issue = existing.get(incoming.code_name)
            if issue is None:
                report.created.append(
                    Issue.objects.create(
                        site=site,
                        code_name=incoming.code_name,
                        display_name=incoming.display_name,
                        vendor_id=incoming.vendor_id,
                        order=order,
                    )
                )
                order += 1
                continue
            changes = {
                name: (getattr(issue, name), value)
                for name, value in (
                    ("display_name", incoming.display_name),
                    ("vendor_id", incoming.vendor_id),
                )
                if getattr(issue, name) != value and value is not None
            }
            if not changes:
                report.unchanged += 1
                continue
            for name, (_old, value) in changes.items():
                setattr(issue, name, value)
            issue.save(update_fields=[*changes, "updated_at"])
            report.updated[issue.code_name] = changes
    return report


# ------------------------------------------------------------------------------
# What the admin keeps of a test (the set-up checklist reads it, portal/admin/checklist.py)
# ------------------------------------------------------------------------------
ApplianceError = VendorError
"""What `import_issues` and the session-key calls raise when the vendor refused or failed;
callers outside the vendor layer catch this name, not a client's."""
ApplianceUnavailable = VendorUnavailable
"""An `ApplianceError` that is an outage (no answer, a timeout, a 5xx), not a refusal."""
ApplianceKeyRefused = KeyRefusedByKeyPage
"""An `ApplianceError`: the appliance's new key is one the backend's key page refuses."""


# The portal's own notes on a test, by code (the vendors' codes: `registry.admin_note_templates`).
NOTE_TEMPLATES = {
    "portal.no_api_version": gettext_noop("The appliance did not report its API version."),
    "portal.permission_too_low": gettext_noop("Command API permission too low for API tokens."),
    "portal.appliance_unhealthy": gettext_noop("An appliance is not healthy."),
    "portal.probe_failed": gettext_noop("Health probe /check_health: the appliance reports a problem."),
    "portal.backup_unhealthy": gettext_noop("Backup appliance %(appliance)s is not healthy: %(error)s"),
    "portal.no_reason": gettext_noop("no reason given"),
    # After the client's "cannot connect" notes, once: what the admin can check.
    "portal.unreachable": gettext_noop(
        "Check the backend's address, and that this server can reach it (DNS, firewall, proxy)."
    ),
    "portal.settings_incomplete": gettext_noop(
        "The backend's address, API client ID or secret is missing: add them to the backend first."
    ),
    # An import that failed (`import_failure`): what failed, that nothing changed, what to do;
    # %(error)s is the vendor client's note or the appliance's own words.
    "portal.import_unavailable": gettext_noop(
        "Issues were not imported and nothing was changed (%(error)s). Try again when the "
        "appliance answers; “Test connection” shows what it reports."
    ),
    "portal.import_refused": gettext_noop(
        "Issues were not imported and nothing was changed (%(error)s). Run “Test connection” to "
        "check the backend's address and API account."
    ),
}


def _note(code: str, **params: Any) -> AdminNote:
    return AdminNote.of(code, NOTE_TEMPLATES[code], **params)


def connection_problems(report: ConnectionReport) -> list[AdminNote]:
    """Why a connection test did not pass. An appliance's own `error_message` is the vendor's
    text, the same in every language; the rest is coded."""
    problems = list(report.errors)
    if advice := unreachable_advice(report):
        problems.append(advice)
    if report.api_info is None and not problems and not report.passed:
        problems.append(_note("portal.no_api_version"))
    if report.permission_too_low:
        problems.append(_note("portal.permission_too_low"))
    if report.health is not None:
        problems += [
            AdminNote(text=unit.error_message) if unit.error_message else _note("portal.appliance_unhealthy")
            for unit in report.health.appliances
            if not unit.success and not _spare(unit, report.health)
        ]
    if report.probe_healthy is False:
        problems.append(_note("portal.probe_failed"))
    return problems


def unreachable_advice(report: ConnectionReport) -> AdminNote | None:
    """What to check when a call found no connection at all, said once after the calls'
    own notes: the test's messages and the kept result alike."""
    return _note("portal.unreachable") if report.unreachable else None


def _spare(unit, health) -> bool:
    """A failover pair's backup, while another appliance that is not a backup is healthy: it
    serves no customer until it is promoted (docs/vendors/beyondtrust.md#check_health). With
    no healthy primary (mid-failover, or the primary down) its problems are the backend's."""
    return unit.failover_role == "backup" and any(
        other.success and other.failover_role != "backup" for other in health.appliances
    )


def connection_warnings(report: ConnectionReport) -> list[AdminNote]:
    """What a passed test still has to say: a backup appliance that is not healthy (customers
    are served by the primary, so the backend is reachable, but a failover would fail), and
    what the test could not prove (`ConnectionReport.untested`)."""
    if report.health is None:
        return list(report.untested)
    return [
        _note(
            "portal.backup_unhealthy",
            appliance=unit.hostname or "?",
            error=AdminNote(text=unit.error_message) if unit.error_message else _note("portal.no_reason"),
        )
        for unit in report.health.appliances
        if not unit.success and _spare(unit, report.health)
    ] + list(report.untested)


def import_failure(error: VendorError | ValueError) -> AdminNote:
    """What an admin (or the operator running `portal_import_issues`) reads when
    `import_issues` raised: an outage asks to try again, a refusal to check the settings, and
    settings the client cannot use (ValueError) say which are missing."""
    if not isinstance(error, VendorError):
        return _note("portal.settings_incomplete")
    code = "portal.import_unavailable" if isinstance(error, VendorUnavailable) else "portal.import_refused"
    return _note(code, error=error.note)


def note_text(note: AdminNote) -> str:
    """`note` in the active language: its code's template translated and filled in, or its
    text (a vendor's own words, or a note whose code no longer exists)."""
    template = NOTE_TEMPLATES.get(note.code) or registry.admin_note_templates().get(note.code)
    if template is None:
        return note.text
    params = {
        name: note_text(value) if isinstance(value, AdminNote) else value
        for name, value in note.params.items()
    }
    try:
        return gettext(template) % params
    except (KeyError, TypeError, ValueError):  # params kept under an older template
        return note.text


def connection_result(backend: Backend) -> str:
    """The last test's problems or warnings, in the reader's language ("" when none). A result
    kept before notes had codes is shown as it was stored, in the language of whoever ran it."""
    if not backend.connection_notes:
        return backend.connection_summary
    return "; ".join(note_text(AdminNote.from_json(note)) for note in backend.connection_notes)


def record_connection_check(*, backend: Backend, report: ConnectionReport) -> None:
    """Keeps the last result for the set-up checklist on the admin index and the backend's
    page: failed with its problems, or passed with its warnings (none: an empty list). They are
    kept as notes, which every reader reads in their own language
    (docs/decisions/0041-appliance-admin-actions.md), and never carry a secret.
    `connection_summary` keeps the runner's wording as well, for whatever reads the column."""
    notes = connection_problems(report)
    backend.connection_checked_at = timezone.now()
    backend.connection_ok = not notes
    notes = notes or connection_warnings(report)
    backend.connection_notes = [note.as_json() for note in notes]
    backend.connection_summary = "; ".join(note_text(note) for note in notes)[:500]
    backend.save(
        update_fields=["connection_checked_at", "connection_ok", "connection_notes", "connection_summary"]
    )


# ------------------------------------------------------------------------------
# Session history (admin page; docs/decisions/0019-takecontrol-session-history.md): the
# adapter reads a page, names the columns and writes a cell and the CSV.
# ------------------------------------------------------------------------------
# The CSV holds the whole selection, read page by page; the cap bounds one download's time.
EXPORT_PAGE_SIZE = 500
EXPORT_MAX_PAGES = 20


def session_history(*, backend: Backend, filters: Mapping, page: int, page_size: int) -> HistoryPage:
    """One page of the backend's session history; `filters` are the admin form's (dates,
    `columns`, the vendor's filters). Raises `SessionHistoryError`."""
    return backend.adapter.session_history(filters=filters, page=page, page_size=page_size)


def export_session_history(*, backend: Backend, filters: Mapping) -> list:
    """Every row of the selection, page by page, for the CSV (at most EXPORT_MAX_PAGES pages).
    Raises `SessionHistoryError`.

    Paging on this endpoint is UNCONFIRMED: a short page ends the loop, and so does a page
    that repeats the previous one (a vendor that ignores the paging parameters).
    """
    adapter = backend.adapter
    rows: list[Mapping[str, Any]] = []
    previous = None
    for page in range(1, EXPORT_MAX_PAGES + 1):
        history = adapter.session_history(filters=filters, page=page, page_size=EXPORT_PAGE_SIZE)
        if history.rows == previous:
            break
        rows.extend(history.rows)
        if len(history.rows) < EXPORT_PAGE_SIZE or (history.total is not None and len(rows) >= history.total):
            break
        previous = history.rows
    return rows
