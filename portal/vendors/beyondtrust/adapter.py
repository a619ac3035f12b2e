"""The BeyondTrust Remote Support adapter (kind "modern"): `/api/start_session` start URLs, the
command API's rep list, test connection and issue import
(docs/decisions/0055-vendor-adapters-and-registry.md).

The legacy Bomgar kind is this adapter with the `.ns` URL and its restrictions
(`portal.vendors.beyondtrust.legacy`); Preview shows this adapter's URLs
(`portal.vendors.preview`).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from portal.vendors import limits
from portal.vendors.base import (
    AdminNote,
    ChatHandoff,
    ConnectionCheck,
    CustomerField,
    KeyRule,
    SessionKeyGrant,
    SessionQueue,
    StartFlow,
    StartOrder,
    StartOutcome,
    VendorAdapter,
    VendorIssue,
    VendorUnreachable,
)
from portal.vendors.beyondtrust.client import (
    NOTE_TEMPLATES,
    BeyondTrustError,
    CommandClient,
    Queue,
    Rep,
    SessionKey,
)
from portal.vendors.beyondtrust.start_url import StartParams, modern_start_url, platform_for_user_agent
from portal.vendors.cache import CircuitBreaker

# The customer fields a BeyondTrust start takes, with its limits
# (docs/decisions/0005-beyondtrust-limits.md).
CUSTOMER_FIELDS: tuple[CustomerField, ...] = (
    CustomerField("name", "name_field", _("Your name"), "name", max_chars=limits.CUSTOMER_TEXT_MAX_CHARS),
    CustomerField(
        "company", "company_field", _("Company"), "organization", max_chars=limits.CUSTOMER_TEXT_MAX_CHARS
    ),
    CustomerField(
        "company_code",
        "company_code_field",
        _("Company code"),
        "off",
        max_chars=limits.CUSTOMER_TEXT_MAX_CHARS,
    ),
    CustomerField(
        "details",
        "details_field",
        _("Describe the problem"),
        "off",
        max_bytes=limits.DETAILS_MAX_BYTES,
        multiline=True,
    ),
    CustomerField(
        "external_key",
        "external_key_field",
        _("Ticket number"),
        "off",
        max_chars=limits.CUSTOM_FIELD_MAX_CHARS,
    ),
)

logger = logging.getLogger(__name__)

BREAKER_FAILURES = 5  # consecutive failed calls before the portal stops calling the appliance
BREAKER_RESET_SECONDS = 30  # then one trial call after this long


class BeyondTrustAdapter(VendorAdapter):
    kind = "modern"
    vendor = "BeyondTrust"
    address_example = "https://support.example.com"  # the public site
    person_flow = "reps"
    offers_chat_only = True
    carries_custom_fields = True
    customer_fields = CUSTOMER_FIELDS
    beyondtrust_api = True
    offers_session_keys = True
    needs_api_credentials = True
    has_connection_test = True
    imports_issues = True
    admin_note_templates = NOTE_TEMPLATES
    # docs/decisions/0103-admin-fields-by-vendor.md: a BeyondTrust start is routed by the issue's
    # code name or id, priority and skills, never by a Take Control connection, department or
    # technician.
    unused_fields = {
        "backend": frozenset(
            {
                "tc_mode",
                "tc_uid",
                "tc_public_key",
                "tc_private_key",
                "tc_pin_url_template",
                "tc_ask_customer_info",
                "tc_show_waiting_queue",
                "departments",
                "technicians",
            }
        ),
        "issue": frozenset({"department", "technician"}),
    }

    # The list is the appliance's, of who is logged in now: an empty one may be a quiet hour,
    # or nobody may ever show (docs/decisions/0118-checklist-empty-person-list.md).
    empty_people_list = (
        _("Representative list"),
        _(
            "“Show the representative list” is on, but when the portal last asked, %(backend)s "
            "had no representative logged in with “Showing On Representative List” ticked: "
            "customers read “Nobody is available right now”. Have your representatives tick it "
            "in the representative console, or turn the list off on the site."
        ),
    )

    def key_rule(self) -> KeyRule:
        return KeyRule(length=limits.SESSION_KEY_LENGTH, letters=self.backend.allow_letters_in_key)

    # -- validation ---------------------------------------------------------------------
    def backend_problems(self) -> dict[str, Any]:
        backend, errors = self.backend, {}
        if backend.base_url and url_path(backend.base_url):
            # The start URL and the API are paths on the public site's address.
            errors["base_url"] = _(
                "Enter the public site's address only, like https://support.example.com, without a path."
            )
        if self.needs_api_credentials:
            if backend.client_id and not backend.client_secret:
                errors["client_secret"] = _(
                    "Enter the client secret too: the API needs the client ID and its secret together."
                )
            elif backend.client_secret and not backend.client_id:
                errors["client_id"] = _(
                    "Enter the client ID too: the API needs the client ID and its secret together."
                )
        return errors

    def site_problems(self, site) -> dict[str, Any]:
        problems = super().site_problems(site)
        if self.needs_api_credentials and not self.backend.has_api_credentials:
            if site.show_rep_list:
                problems["show_rep_list"] = _(
                    "The representative list needs the backend's API "
                    "client ID and secret: add them, or turn the list off."
                )
            elif site.show_reps_in_issue_menu:
                problems["show_reps_in_issue_menu"] = _(
                    "Representatives in the issue menu need the backend's API client ID and "
                    "secret: add them, or turn this off."
                )
        return problems

    # -- starts -------------------------------------------------------------------------
    def start(self, order: StartOrder) -> StartOutcome:
        """docs/decisions/0002-one-queue-selector.md to docs/decisions/0010-reps-in-issue-menu.md:
        one queue selector, the customer's fields, the browser's facts."""
        backend, customer, issue = self.backend, order.customer, order.issue
        common: dict[str, Any] = {
            "locale": order.locale,
            "chat_locale": order.chat_locale,
            "platform": platform_for_user_agent(order.user_agent) if backend.send_platform else "",
            "timezone_offset": order.timezone_offset,
            "external_key": customer.external_key,
        }
        typed: dict[str, Any] = {
            "customer_name": customer.name,
            "customer_company": customer.company,
            "customer_company_code": customer.company_code,
            "customer_details": customer.details,
            "custom": customer.custom,
        }
        if order.flow == StartFlow.KEY:
            params = StartParams(short_key=order.key, **common)
        elif order.flow == StartFlow.REP:
            params = StartParams(rep_id=order.rep_id, rep_name=order.rep_name, chat=order.chat, **common)
        elif order.flow == StartFlow.REP_IN_ISSUE_MENU:
            params = StartParams(issue_id=order.rep_id, chat=order.chat, **typed, **common)
        elif order.flow == StartFlow.ISSUE and issue is not None:
            # codeName, or the numeric id when the admin set one.
            params = StartParams(
                issue_code_name="" if issue.vendor_id is not None else issue.code_name,
                issue_id=issue.vendor_id,
                priority=issue.priority,
                skills=tuple(issue.skill_list),
                chat=order.chat,
                **typed,
                **common,
            )
        else:
            raise ValueError(f"{self.kind} backends have no {order.flow} start")
        try:
            return StartOutcome(url=self.start_url(params))
        except ValueError as error:
            # A value that slipped past the forms (`start_url.check_values`, e.g. an issue saved
            # without the admin's checks): no vendor error page and no server error for the
            # customer, who reads "temporarily unavailable"; the log says what to fix.
            logger.error("BeyondTrust start: %s. Admin: check the site's issues and custom fields.", error)
            return StartOutcome(failure="unavailable")

    def start_url(self, params: StartParams) -> str:
        """The URL style (docs/decisions/0001-beyondtrust-start-url-styles.md)."""
        return modern_start_url(self.backend.base_url, params, key_only=self.backend.prompts_before_download)

    # -- admin actions (docs/decisions/0041-appliance-admin-actions.md) -------------------
    def check_connection(self) -> ConnectionCheck:
        """`get_api_info`, `check_health` and `GET /check_health`; each may fail on its own
        (docs/vendors/beyondtrust.md#get_api_info, docs/vendors/beyondtrust.md#check_health)."""
        client = self.client()  # ValueError without an address or credentials
        errors: list[AdminNote] = []
        unreachable: list[bool] = []

        def ask(call: Callable[[], Any]) -> Any:
            try:
                return call()
            except BeyondTrustError as error:
                errors.append(error.note)
                unreachable.append(isinstance(error, VendorUnreachable))
                return None

        return ConnectionCheck(
            api_info=ask(client.api_info),
            health=ask(client.check_health),
            probe_healthy=ask(client.probe_health),
            errors=tuple(errors),
            unreachable=any(unreachable),
        )

    def vendor_issues(self) -> tuple[list[VendorIssue], int]:
        """`get_support_teams` (docs/vendors/beyondtrust.md#get_support_teams): issues in team
        order; the client drops invalid code names (docs/decisions/0012-xml-by-local-name.md)."""
        issues: dict[str, VendorIssue] = {}
        skipped = 0
        for team in self.client().support_teams():
            for issue in team.issues:
                if not issue.code_name:
                    skipped += 1
                    continue
                issues.setdefault(
                    issue.code_name,
                    VendorIssue(
                        code_name=issue.code_name,
                        display_name=issue.display_name[:100] or issue.code_name,
                        vendor_id=issue.id if issue.id > 0 else None,
                    ),
                )
        return list(issues.values()), skipped

    # -- integrations (docs/vendors/beyondtrust.md#generate_session_key and
    # docs/vendors/beyondtrust.md#create_virtual_customer) ---------------------------------
    def generate_session_key(
        self,
        *,
        queue: SessionQueue,
        external_key: str = "",
        custom: Mapping[str, str] | None = None,
        priority: int | None = None,
        skills: Sequence[str] = (),
        ttl: int | None = None,
    ) -> SessionKeyGrant:
        return _grant(
            self._checked_key(
                self.client(),
                queue=queue,
                external_key=external_key,
                custom=custom,
                priority=priority,
                skills=skills,
                ttl=ttl,
            )
        )

    def _checked_key(
        self,
        client: CommandClient,
        *,
        queue: SessionQueue,
        external_key: str,
        custom: Mapping[str, str] | None,
        priority: int | None,
        skills: Sequence[str],
        ttl: int | None,
    ) -> SessionKey:
        """`generate_session_key`, and the key page's own check of the key it answered
        (`check_generated_key`): no integration is handed a key the key page refuses."""
        key = client.generate_session_key(
            queue=queue_id(queue),
            external_key=external_key,
            custom=custom or {},
            priority=priority,
            skills=skills,
            ttl=ttl,
        )
        self.check_generated_key(key.short_key)
        return key

    def hand_off_chat(
        self,
        *,
        name: str,
        ip_address: str,
        operating_system: str,
        computer_name: str,
        locale: str = "",
        queue: SessionQueue,
        external_key: str = "",
        custom: Mapping[str, str] | None = None,
        priority: int | None = None,
        skills: Sequence[str] = (),
        ttl: int | None = None,
    ) -> ChatHandoff:
        """`generate_session_key`, then `create_virtual_customer` for that key: a chat-only
        customer waiting in `queue` for a human."""
        client = self.client()
        # Checked before the chat customer is made: no one waits in a queue for a refused key.
        key = self._checked_key(
            client,
            queue=queue,
            external_key=external_key,
            custom=custom,
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
        return ChatHandoff(
            session_key=_grant(key), download_url=customer.download_url, chat_url=customer.chat_url
        )

    # -- the rep list (docs/decisions/0009-rep-list-by-public-name.md) -------------------
    def client(self) -> CommandClient:
        """The command API client (reads the secret: build it where it is needed)."""
        return CommandClient.for_backend(self.backend)

    def rep_fetcher(self) -> Callable[[], list[Rep]] | None:
        client = self.client()  # reads the secret here: the fetch runs off-thread

        def fetch() -> list[Rep]:
            return client.logged_in_reps()

        return fetch

    def breaker(self) -> CircuitBreaker:
        """The one circuit breaker per BeyondTrust backend, shared by every caller of its API."""
        return CircuitBreaker(
            f"beyondtrust:{self.backend.pk}",
            failure_threshold=BREAKER_FAILURES,
            reset_after=BREAKER_RESET_SECONDS,
        )

    def rep_list_cache_key(self) -> str:
        # The address is part of the key: pointing a backend at another appliance drops its reps.
        address = hashlib.sha256(self.backend.base_url.encode()).hexdigest()[:12]
        return f"beyondtrust:reps:{self.backend.pk}:{address}"


def url_path(url: str) -> str:
    """The address's path; "" for one urlsplit cannot read (a bracketed host that is no IP
    address), which the address field's own check refuses."""
    try:
        return urlsplit(url).path
    except ValueError:
        return ""


def queue_id(queue: SessionQueue) -> str:
    """The command API's `queue_id` for a portal queue (docs/vendors/beyondtrust.md#generate_session_key)."""
    if queue.kind == SessionQueue.REP and queue.id is not None:
        return Queue.rep(queue.id)
    if queue.kind == SessionQueue.TEAM and queue.id is not None:
        return Queue.team(queue.id)
    if queue.kind == SessionQueue.ISSUE:
        return Queue.issue(queue.code_name)
    if queue.kind == SessionQueue.GENERAL:
        return Queue.general()
    raise ValueError(f"no BeyondTrust queue for {queue}")


def _grant(key: SessionKey) -> SessionKeyGrant:
    return SessionKeyGrant(short_key=key.short_key, key_url=key.key_url, expires=key.expires)
