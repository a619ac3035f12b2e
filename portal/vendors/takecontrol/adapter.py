"""The N-able Take Control adapter (kind "takecontrol"): the PIN, the admin's technician list,
the New Session URL or the REST start, session history
(docs/decisions/README.md#take-control, docs/decisions/0055-vendor-adapters-and-registry.md).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from portal.vendors import limits
from portal.vendors.base import (
    AdminNote,
    ConnectionCheck,
    CustomerField,
    CustomerValues,
    HistoryPage,
    InvalidKey,
    KeyRule,
    SessionHistoryError,
    StartFlow,
    StartOrder,
    StartOutcome,
    VendorAdapter,
)
from portal.vendors.takecontrol import history
from portal.vendors.takecontrol.client import (
    TakeControlClient,
    TakeControlError,
    TakeControlMisconfigured,
    TakeControlRateLimited,
    TakeControlRejected,
    TakeControlUnavailable,
    TakeControlUnreachable,
)
from portal.vendors.takecontrol.start_url import (
    PIN_PLACEHOLDER,
    InvalidPin,
    Route,
    TakeControlValueError,
    account_base_url,
    new_session_url,
    normalise_pin,
    pin_url,
    route_for_start,
)

if TYPE_CHECKING:
    from portal.models import Site, Technician

logger = logging.getLogger(__name__)

# Characters, an email address, no custom fields, no external key and no chat-only mode
# (docs/decisions/0014-takecontrol-redirect-start.md).
CUSTOMER_FIELDS: tuple[CustomerField, ...] = (
    CustomerField("name", "name_field", _("Your name"), "name", max_chars=limits.TC_NAME_MAX_CHARS),
    CustomerField(
        "email", "email_field", _("Email address"), "email", max_chars=limits.TC_EMAIL_MAX_CHARS, email=True
    ),
    CustomerField(
        "customer_number",
        "customer_number_field",
        _("Customer number"),
        "off",
        max_chars=limits.TC_NUMBER_MAX_CHARS,
    ),
    CustomerField(
        "details",
        "details_field",
        _("Describe the problem"),
        "off",
        max_chars=limits.TC_DESCRIPTION_MAX_CHARS,
        multiline=True,
    ),
)

REDIRECT, REST = "redirect", "rest"  # Backend.TakeControlMode

# What the admin reads when the history could not be read, by code: the note mechanism of
# docs/decisions/0041-appliance-admin-actions.md, so the admin reads it in their language. Each
# says what failed and what to do; the vendor's own words, which never hold the key, follow as
# they are ("takecontrol.vendor_said").
NOTE_TEMPLATES = {
    "takecontrol.history_filters": gettext_noop(
        "These filters cannot be sent to Take Control. Please check them."
    ),
    "takecontrol.history_refused": gettext_noop(
        "Take Control refused the request. Check the API domain and the private key (its "
        "permissions, IP allow-list and expiry date)."
    ),
    "takecontrol.history_rate_limited": gettext_noop(
        "Take Control asks us to slow down. Please try again in a minute."
    ),
    "takecontrol.history_unavailable": gettext_noop(
        "Take Control did not answer in time or failed. Please try again later."
    ),
    "takecontrol.history_rejected": gettext_noop(
        "Take Control could not read this request. Change or clear the text filters and try again."
    ),
    "takecontrol.history_unreadable": gettext_noop(
        "Take Control answered in a way the portal cannot read. Please try again later; if it "
        "keeps happening, check that the API domain is the one shown under Profile > APIs in "
        "Take Control."
    ),
    # Translators: %(problem)s is one of the sentences above; %(words)s is Take Control's own
    # message, in Take Control's language.
    "takecontrol.vendor_said": gettext_noop("%(problem)s Take Control said: %(words)s"),
    # *Test connection* (docs/decisions/0112-takecontrol-connection-test.md): a setting the
    # start mode needs (the first two are the backend form's own sentences), ...
    "takecontrol.needs_uid": gettext_noop(
        "Redirect mode needs the New Session API uid (Profile > APIs): without it every start fails."
    ),
    "takecontrol.needs_public_key": gettext_noop(
        "REST mode needs the public integration key (Management > API Keys): without it every start fails."
    ),
    "takecontrol.needs_pin_placeholder": gettext_noop(
        "The PIN URL template must contain {pin}: without it every PIN start fails."
    ),
    "takecontrol.api_domain_invalid": gettext_noop(
        "The API domain must be an address like https://api.us0.swi-rc.com/rest, as shown under "
        "Profile > APIs in Take Control."
    ),
    # ... what the test proved ...
    "takecontrol.settings_complete": gettext_noop("Every setting the start mode needs is set."),
    "takecontrol.history_read": gettext_noop(
        "The API domain and the private key work: Take Control answered a session history request."
    ),
    # ... and what it cannot prove.
    "takecontrol.no_private_key": gettext_noop(
        "No private integration key is set, so Take Control was not asked and the API domain was "
        "not tested. Add the private key (Management > API Keys) to test it."
    ),
    "takecontrol.public_key_untested": gettext_noop(
        "The public integration key was not tested: Take Control can only check it by starting a "
        "session. Start a test session from the portal to check it."
    ),
    "takecontrol.uid_untested": gettext_noop(
        "The New Session API uid was not tested: Take Control can only check it by starting a "
        "session. Start a test session from the portal to check it."
    ),
}
# The connection test reads the smallest page the session-history page asks for
# (portal/admin/session_history.py), of one column, for today.
CONNECTION_TEST_PAGE_SIZE = 25
CONNECTION_TEST_COLUMNS = ("ID",)


class TakeControlAdapter(VendorAdapter):
    kind = "takecontrol"
    vendor = "Take Control"
    address_example = "https://api.us0.swi-rc.com/rest"  # the API domain (Profile > APIs)
    person_flow = "technicians"
    has_connection_test = True
    customer_fields = CUSTOMER_FIELDS
    chat_only_refused = _("A Take Control start cannot be chat only: choose full client only.")
    custom_fields_refused = (
        _("A Take Control start cannot carry custom fields: this one would never reach the technician."),
        _("A Take Control start cannot carry custom fields: deactivate them."),
    )
    has_session_history = True
    admin_note_templates = NOTE_TEMPLATES
    history_columns = history.HISTORY_COLUMNS
    default_history_columns = history.DEFAULT_HISTORY_COLUMNS
    # What a Take Control start never reads (docs/decisions/0103-admin-fields-by-vendor.md):
    # the BeyondTrust API and start switches; the representative list's refresh (the technician
    # list is the admin's, nothing is fetched), reps in the issue menu, chat only and a chat
    # language (no chat-only start); an issue's numeric id, priority and skills (a start is
    # routed by department and technician).
    unused_fields = {
        "backend": frozenset(
            {"client_id", "client_secret", "allow_letters_in_key", "prompts_before_download", "send_platform"}
        ),
        "site": frozenset({"show_reps_in_issue_menu", "rep_list_ttl", "chat_mode", "chat_locale"}),
        "issue": frozenset({"vendor_id", "priority", "skills", "chat", "chat_locale"}),
    }
    # Its people are technicians, listed from the admin's own list.
    field_labels = {"site": {"show_rep_list": _("show the technician list")}}
    people_kept_in_admin = True
    empty_people_list = (
        _("Technician list"),
        _(
            "“Show the technician list” is on, but %(backend)s lists no technician: customers "
            "read “No technicians are listed right now”. Add technicians to the backend with "
            "“shown in the technician list” ticked, or turn the list off on the site."
        ),
    )

    def key_rule(self) -> KeyRule:
        """docs/decisions/0017-takecontrol-pin.md: the 9-digit PIN; its URL carries nothing else."""
        return KeyRule(length=limits.TC_PIN_LENGTH, pin=True, external_key=False)

    def normalise_key(self, raw: str) -> str:
        try:
            return normalise_pin(raw)
        except InvalidPin as error:
            raise InvalidKey(str(error), code=error.code) from None

    # -- validation (docs/decisions/0013-takecontrol-backend-settings.md) ----------------
    def site_problems(self, site: Site) -> dict[str, Any]:
        problems = super().site_problems(site)  # chat only, custom fields
        if site.show_reps_in_issue_menu:
            problems["show_reps_in_issue_menu"] = _(
                "Representatives in the issue menu are a BeyondTrust feature: turn this off for Take Control."
            )
        return problems

    def backend_problems(self) -> dict[str, Any]:
        errors: dict[str, Any] = {
            field: _(NOTE_TEMPLATES[f"takecontrol.{code}"])
            for field, code in self._missing_start_settings().items()
        }
        if "tc_pin_url_template" in errors:  # beside the field, "the template" is clear
            errors["tc_pin_url_template"] = _("The template must contain {pin}.")
        return errors

    def _missing_start_settings(self) -> dict[str, str]:
        """What the backend's start mode needs and lacks: field -> note code. The redirect
        start needs the uid, the REST start the public key, the PIN start `{pin}`."""
        backend, missing = self.backend, {}
        if backend.tc_mode == REDIRECT and not backend.tc_uid:
            missing["tc_uid"] = "needs_uid"
        if backend.tc_mode == REST and not backend.tc_public_key:
            missing["tc_public_key"] = "needs_public_key"
        try:
            pin_url(template=backend.tc_pin_url_template, pin="0" * limits.TC_PIN_LENGTH)
        except TakeControlValueError:
            missing["tc_pin_url_template"] = "needs_pin_placeholder"
        try:
            account_base_url(backend.base_url)  # both starts build on it
        except TakeControlValueError:
            missing["base_url"] = "api_domain_invalid"
        return missing

    # -- starts -------------------------------------------------------------------------
    def redirect_origins(self) -> list[str]:
        return [self.backend.base_url, self.backend.tc_pin_url_template.replace(PIN_PLACEHOLDER, "0")]

    def start(self, order: StartOrder) -> StartOutcome:
        """The PIN URL (docs/decisions/0017-takecontrol-pin.md), else a survey or technician start
        in the backend's start mode (docs/decisions/0014-takecontrol-redirect-start.md,
        docs/decisions/0015-takecontrol-rest-start.md and docs/decisions/0016-takecontrol-routing.md).

        Routing comes from admin configuration only: the issue's department and technician, or
        the technician picked from the list (which the caller found among the listed ones).
        """
        backend = self.backend
        if order.flow == StartFlow.KEY:
            try:
                return StartOutcome(url=pin_url(template=backend.tc_pin_url_template, pin=order.key))
            except TakeControlValueError as error:  # only a broken template: the form checked the PIN
                logger.error("Take Control PIN start: %s. Admin: check the PIN URL template.", error)
                return StartOutcome(failure="unavailable")
        if order.flow not in {StartFlow.ISSUE, StartFlow.TECHNICIAN}:
            raise ValueError(f"Take Control backends have no {order.flow} start")
        customer = order.customer
        route = route_for_start(issue=order.issue, technician=order.technician)
        if backend.tc_mode != REST:
            try:
                return StartOutcome(url=self.redirect_url(route=route, customer=customer))
            except TakeControlValueError as error:  # the form checked the customer's values
                logger.error(
                    "Take Control start: %s (%s). Admin: check the backend's uid and API domain.",
                    error,
                    error.field,
                )
                return StartOutcome(failure="unavailable")
        try:
            queued = TakeControlClient.for_backend(backend).create_session(
                department_id=route.department_id,
                technician_username=route.technician_username,
                locale=order.locale,
                customer_name=customer.name,
                customer_email=customer.email,
                customer_number=customer.number,
                problem_description=customer.details,
            )
        except TakeControlRejected:
            # Our validation missed something (the client logged the vendor's reason): apologise
            # and offer the redirect path, which the vendor may still accept.
            try:
                fallback = self.redirect_url(route=route, customer=customer)
            except TakeControlValueError:
                fallback = ""
            return StartOutcome(url=fallback, failure="rejected")
        except (TakeControlError, TakeControlValueError) as error:
            if isinstance(error, TakeControlValueError) or (
                isinstance(error, TakeControlMisconfigured) and error.status is None
            ):
                # The client logs what the vendor refused; a setting missing here is ours to log.
                logger.error(
                    "Take Control REST start at %s: %s. Admin: check the backend settings.",
                    urlsplit(backend.base_url).hostname,
                    error,
                )
            return StartOutcome(failure="unavailable")
        return StartOutcome(url=queued.applet_url, queued=queued)

    def redirect_url(self, *, route: Route, customer: CustomerValues) -> str:
        """docs/decisions/0014-takecontrol-redirect-start.md: the New Session URL the customer's
        browser opens (the portal never fetches it).

        It has no language parameter: the applet follows the customer's system language; REST
        starts send `language` (docs/decisions/0018-takecontrol-language.md).
        """
        backend = self.backend
        return new_session_url(
            api_domain=backend.base_url,
            uid=backend.tc_uid,
            department_id=route.department_id,
            technician_username=route.technician_username,
            customer_name=customer.name,
            customer_email=customer.email,
            customer_number=customer.number,
            problem_description=customer.details,
            ask_customer_info=backend.tc_ask_customer_info,
        )

    def last_known_people(self) -> list[Technician]:
        """The admin's listed technicians: the list is the portal's own, always known."""
        return self.backend.listed_technicians()

    def client(self) -> TakeControlClient:
        return TakeControlClient.for_backend(self.backend)

    # -- admin actions (docs/decisions/0112-takecontrol-connection-test.md) ---------------
    def check_connection(self) -> ConnectionCheck:
        """The settings the start mode needs, checked here; then, with a private key, one
        history read (`GET /session/history`, today, one column, the smallest page) that proves
        the API domain and the private key. The key starts use is never sent: Take Control's only
        call that takes it (`POST /session`) or the uid (the New Session URL) starts a session."""
        backend = self.backend
        missing = self._missing_start_settings()
        errors = [_note(code) for code in missing.values()]
        passed = [] if errors else [_note("settings_complete")]
        untested = []
        if not backend.tc_private_key:
            untested.append(_note("no_private_key"))
        if not missing.keys() & {"tc_uid", "tc_public_key"}:  # set, but only a start would tell
            untested.append(_note("public_key_untested" if backend.tc_mode == REST else "uid_untested"))
        unreachable = False
        if backend.tc_private_key and "base_url" not in missing:
            today = timezone.localdate()
            try:
                self.client().session_history(
                    date_from=today,
                    date_to=today,
                    variables=CONNECTION_TEST_COLUMNS,
                    page=1,
                    page_size=CONNECTION_TEST_PAGE_SIZE,
                )
            except TakeControlError as error:
                errors.append(history_error_note(error, rejected="history_unreadable"))
                unreachable = isinstance(error, TakeControlUnreachable)
            else:
                passed.append(_note("history_read"))
        return ConnectionCheck(
            errors=tuple(errors), unreachable=unreachable, passed=tuple(passed), untested=tuple(untested)
        )

    # -- session history (docs/decisions/0019-takecontrol-session-history.md) -------------
    def session_history(self, *, filters: Mapping[str, Any], page: int, page_size: int) -> HistoryPage:
        """`GET /session/history`; the admin form's `columns` are the vendor's `variables`."""
        arguments = {name: value for name, value in filters.items() if name != "columns"}
        try:
            answer = self.client().session_history(
                **arguments, variables=list(filters["columns"]), page=page, page_size=page_size
            )
        except (TakeControlError, TakeControlValueError) as error:
            raise SessionHistoryError(history_error_note(error)) from error
        return HistoryPage(rows=answer.rows, total=answer.total)

    def history_cell(self, row: Mapping[str, Any], column: str) -> object:
        return history.cell_value(row, column)

    def history_csv(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
        return history.history_csv(rows, columns)


def history_error_note(error: Exception, *, rejected: str = "history_rejected") -> AdminNote:
    """Why the history could not be read, and what to do, as a note
    (`TakeControlAdapter.admin_note_templates`). `rejected`: the note for a 400, whose advice
    (change the filters) fits the admin's own request, not the connection test's."""
    if isinstance(error, TakeControlValueError):
        return _note("history_filters")
    if isinstance(error, TakeControlMisconfigured):
        problem = _note("history_refused")
    elif isinstance(error, TakeControlRateLimited):
        problem = _note("history_rate_limited")
    elif isinstance(error, TakeControlUnavailable):
        problem = _note("history_unavailable")
    elif isinstance(error, TakeControlRejected):
        problem = _note(rejected)
    else:
        problem = _note("history_unreadable")
    vendor_message = getattr(error, "vendor_message", "")
    if not vendor_message:
        return problem
    return _note("vendor_said", problem=problem, words=AdminNote(text=vendor_message))


def _note(code: str, **params: Any) -> AdminNote:
    return AdminNote.of(f"takecontrol.{code}", NOTE_TEMPLATES[f"takecontrol.{code}"], **params)
