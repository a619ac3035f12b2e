"""What the portal does with a vendor's API for admins and integrations: test the connection,
import issues, create session keys and hand chats over to a human (BeyondTrust's command API),
and read the session history (Take Control). The admin (`portal/admin/`) and the API call these
functions, never a vendor client.

Vendor names stay in `portal.vendors.beyondtrust.client`; this module gets dataclasses and
`BeyondTrustError`s from it. Customer pages never come here
(docs/architecture.md#talking-to-vendors: the key and survey flows never call the vendor); the rep
list has its own cached selector.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.models import ApiToken, Backend, Issue, Site
from portal.selectors import vendor_breaker
from portal.vendors.base import VendorIssue
from portal.vendors.beyondtrust.client import (
    ApiInfo,
    BeyondTrustError,
    BeyondTrustUnavailable,
    CommandClient,
    Health,
    SessionKey,
    VirtualCustomer,
)
from portal.vendors.beyondtrust.client import (
    Queue as BeyondTrustQueue,
)
from portal.vendors.takecontrol import history as takecontrol_history
from portal.vendors.takecontrol.client import (
    SessionHistory,
    TakeControlClient,
    TakeControlError,
    TakeControlMisconfigured,
    TakeControlRateLimited,
    TakeControlRejected,
    TakeControlUnavailable,
)
from portal.vendors.takecontrol.start_url import TakeControlValueError


class ApplianceCircuitOpen(Exception):
    """The appliance failed repeatedly; it is not called until `retry_after` seconds pass."""

    def __init__(self, retry_after: int):
        super().__init__(f"the appliance failed repeatedly; not calling it for {retry_after} s")
        self.retry_after = retry_after


def _through_breaker(backend: Backend, call):
    """Run `call(client)` unless the breaker is open. Only "unavailable" failures count
    against the appliance: a refusal (`<error>`, HTTP 4xx) is an answer, not an outage, and one
    integration's bad input must not close the rep list for everybody."""
    breaker = vendor_breaker(backend)  # the rep list's breaker: one per appliance
    if breaker is None:
        raise ValueError(f"backend {backend.pk} has no command API")
    if not breaker.allow():
        raise ApplianceCircuitOpen(retry_after=math.ceil(breaker.reset_after))
    client = CommandClient.for_backend(backend)
    try:
        result = call(client)
    except BeyondTrustUnavailable:
        breaker.record_failure()
        raise
    breaker.record_success()
    return result


# ------------------------------------------------------------------------------
# Session keys and chat hand-offs (docs/architecture.md#integrations-api,
# docs/vendors/beyondtrust.md#generate_session_key and
# docs/vendors/beyondtrust.md#create_virtual_customer)
# ------------------------------------------------------------------------------
def create_session_key(
    *,
    backend: Backend,
    queue: str,
    external_key: str = "",
    custom: Mapping[str, str] | None = None,
    priority: int | None = None,
    skills: Sequence[str] = (),
    ttl: int | None = None,
) -> SessionKey:
    """A session key for `queue`; raises `BeyondTrustError`, `ApplianceCircuitOpen`, or
    `ValueError` for input the client refuses (callers validate first)."""
    return _through_breaker(
        backend,
        lambda client: client.generate_session_key(
            queue=queue,
            external_key=external_key,
            custom=custom or {},
            priority=priority,
            skills=skills,
            ttl=ttl,
        ),
    )


@dataclass(frozen=True)
class ChatHandoff:
    session_key: SessionKey
    customer: VirtualCustomer


def hand_off_chat(
    *,
    backend: Backend,
    name: str,
    ip_address: str,
    operating_system: str,
    computer_name: str,
    locale: str = "",
    queue: str = "general",
    external_key: str = "",
    custom: Mapping[str, str] | None = None,
    priority: int | None = None,
    skills: Sequence[str] = (),
    ttl: int | None = None,
) -> ChatHandoff:
    """`generate_session_key`, then `create_virtual_customer` for that key
    (docs/vendors/beyondtrust.md#create_virtual_customer): a chat-only customer waiting in `queue`
    for a human."""

    def call(client: CommandClient) -> ChatHandoff:
        key = client.generate_session_key(
            queue=queue,
            external_key=external_key,
            custom=custom or {},
            priority=priority,
            skills=skills,
            ttl=ttl,
        )
        customer = client.create_virtual_customer(
            short_key=key.short_key,
            name=name,
            ip_address=ip_address,
            operating_system=operating_system,
            computer_name=computer_name,
            locale=locale,
        )
        return ChatHandoff(session_key=key, customer=customer)

    return _through_breaker(backend, call)


# ------------------------------------------------------------------------------
# Test connection (admin action; docs/vendors/beyondtrust.md#get_api_info and
# docs/vendors/beyondtrust.md#check_health)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConnectionReport:
    """What the appliance said. `errors` are admin-facing texts, free of secrets."""

    api_info: ApiInfo | None = None
    health: Health | None = None
    probe_healthy: bool | None = None
    session_keys_in_use: bool = False
    errors: tuple[str, ...] = ()

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
    `GET /check_health`; each may fail on its own). Bypasses the circuit breaker: the admin asks
    about the appliance right now."""
    try:
        check = backend.adapter.check_connection()
    except ValueError as error:
        return ConnectionReport(errors=(str(error),))
    session_keys_in_use = ApiToken.objects.filter(site__backend=backend, revoked_at__isnull=True).exists()
    return ConnectionReport(
        api_info=check.api_info,
        health=check.health,
        probe_healthy=check.probe_healthy,
        session_keys_in_use=session_keys_in_use,
        errors=check.errors,
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
ApplianceError = BeyondTrustError
"""What `import_issues` and the BeyondTrust calls raise when the appliance refused or failed;
callers outside the vendor layer catch this name, not the client's."""
ApplianceUnavailable = BeyondTrustUnavailable
"""An `ApplianceError` that is an outage (no answer, a timeout, a 5xx), not a refusal."""
# The integrations API names a session key's queue with this (`Queue.rep(12)`, ...).
Queue = BeyondTrustQueue


def connection_problems(report: ConnectionReport) -> list[str]:
    """Why a connection test did not pass, in the words the admin action's messages use."""
    problems = list(report.errors)
    if report.api_info is None and not problems:
        problems.append(str(_("The appliance did not report its API version.")))
    if report.permission_too_low:
        problems.append(str(_("Command API permission too low for API tokens.")))
    if report.health is not None:
        problems += [
            unit.error_message or str(_("An appliance is not healthy."))
            for unit in report.health.appliances
            if not unit.success
        ]
    if report.probe_healthy is False:
        problems.append(str(_("Health probe /check_health: the appliance reports a problem.")))
    return problems


def record_connection_check(*, backend: Backend, report: ConnectionReport) -> None:
    """Keeps the last result for the set-up checklist on the admin index.
    Only the admin-facing texts are stored; they never carry a secret."""
    problems = connection_problems(report)
    backend.connection_checked_at = timezone.now()
    backend.connection_ok = not problems
    backend.connection_summary = "; ".join(problems)[:500]
    backend.save(update_fields=["connection_checked_at", "connection_ok", "connection_summary"])


# ------------------------------------------------------------------------------
# Take Control session history (admin page; docs/decisions/0019-takecontrol-session-history.md)
# ------------------------------------------------------------------------------
# The history's columns and how a cell and the CSV are written, for the admin page.
HISTORY_COLUMNS = takecontrol_history.HISTORY_COLUMNS
DEFAULT_HISTORY_COLUMNS = takecontrol_history.DEFAULT_HISTORY_COLUMNS
history_cell = takecontrol_history.cell_value
history_csv = takecontrol_history.history_csv

# The CSV holds the whole selection, read page by page; the cap bounds one download's time.
EXPORT_PAGE_SIZE = 500
EXPORT_MAX_PAGES = 20


class SessionHistoryError(Exception):
    """The history could not be read. `str()` is the admin-facing text; it never holds a key."""


def _history_error_message(error: Exception) -> str:
    if isinstance(error, TakeControlValueError):
        return gettext("These filters cannot be sent to Take Control. Please check them.")
    if isinstance(error, TakeControlMisconfigured):
        text = gettext(
            "Take Control refused the request. Check the API domain and the private "
            "key (its permissions, IP allow-list and expiry date)."
        )
    elif isinstance(error, TakeControlRateLimited):
        text = gettext("Take Control asks us to slow down. Please try again in a minute.")
    elif isinstance(error, TakeControlUnavailable):
        text = gettext("Take Control did not answer in time or failed. Please try again later.")
    elif isinstance(error, TakeControlRejected):
        text = gettext("Take Control could not read this request.")
    else:
        text = gettext("Take Control answered in a way the portal cannot read.")
    vendor_message = getattr(error, "vendor_message", "")
    return f"{text} ({vendor_message})" if vendor_message else text


def session_history(*, backend: Backend, filters: Mapping, page: int, page_size: int) -> SessionHistory:
    """One page of the backend's session history; `filters` are the client's keyword arguments
    (dates, columns as `variables`, the vendor's filters). Raises `SessionHistoryError`."""
    try:
        return TakeControlClient.for_backend(backend).session_history(
            **filters, page=page, page_size=page_size
        )
    except (TakeControlError, TakeControlValueError) as error:
        raise SessionHistoryError(_history_error_message(error)) from error


def export_session_history(*, backend: Backend, filters: Mapping) -> list:
    """Every row of the selection, page by page, for the CSV (at most EXPORT_MAX_PAGES pages).
    Raises `SessionHistoryError`.

    Paging on this endpoint is UNCONFIRMED: a short page ends the loop, and so does a page
    that repeats the previous one (a vendor that ignores the paging parameters).
    """
    client = TakeControlClient.for_backend(backend)
    rows: list[Mapping[str, Any]] = []
    previous = None
    try:
        for page in range(1, EXPORT_MAX_PAGES + 1):
            history = client.session_history(**filters, page=page, page_size=EXPORT_PAGE_SIZE)
            if history.rows == previous:
                break
            rows.extend(history.rows)
            if len(history.rows) < EXPORT_PAGE_SIZE or (
                history.total is not None and len(rows) >= history.total
            ):
                break
            previous = history.rows
    except (TakeControlError, TakeControlValueError) as error:
        raise SessionHistoryError(_history_error_message(error)) from error
    return rows
