"""What the portal asks of a vendor, and nothing more: one `VendorAdapter` per backend kind
(docs/decisions/0055-vendor-adapters-and-registry.md).

The rest of the portal never compares `Backend.kind`: it asks the backend's adapter
(`portal.vendors.registry.adapter_for`, or `Backend.adapter`) which flows it offers, which
customer fields it takes and with what limits, what a key looks like, what the vendor would
refuse in the admin's settings, and how a validated start becomes a URL or a vendor call.

Adapters are built per backend (cheap: they hold the backend and nothing else). Class
attributes are the kind's fixed facts; methods read the backend's settings. Values go in and
come out in the portal's words (`StartOrder`, `StartOutcome`, `CustomerField`); only the
adapter and its vendor package know the vendor's parameter names.
"""

from __future__ import annotations

import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from django.core.validators import EmailValidator
from urllib3.exceptions import ReadTimeoutError

from portal.vendors.cache import last_cached

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from portal.models import Backend, CustomField, Issue, Site, Technician
    from portal.vendors.cache import CircuitBreaker


# ------------------------------------------------------------------------------
# Customer fields and the key
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomerField:
    """One customer field of the survey: form name, the Site attribute saying whether it is
    asked (FieldMode), label, autocomplete token and the vendor's limit
    (docs/decisions/0025-limits-in-the-vendors-units.md)."""

    name: str
    mode_attr: str
    label: StrOrPromise
    autocomplete: str
    max_chars: int | None = None
    max_bytes: int | None = None
    multiline: bool = False
    email: bool = False


def customer_email_validator(message: StrOrPromise | None = None) -> EmailValidator:
    """The one rule for an address a customer gives (`CustomerField.email`, a custom field of
    type email): Django's, without its `localhost` exception. A vendor takes a customer's
    address to reach them (Take Control: "a valid address", docs/vendors/takecontrol.md#new-session-url),
    and `jane@localhost` names no mailbox anyone outside the customer's own computer reaches."""
    # Imported here: the vendor modules load without the models (a vendor client runs in a
    # process with no apps installed, tests/vendors/beyondtrust/test_client.py).
    from portal.models import email_on_a_domain_validator

    return email_on_a_domain_validator(message)


class InvalidKey(ValueError):
    """The customer's key does not fit the vendor's rule. `code` is "empty", "characters" or
    "length" (`count`: how many characters the customer entered); the form turns it into a
    message in the customer's language."""

    def __init__(self, message: str, *, code: str, count: int = 0):
        super().__init__(message)
        self.code, self.count = code, count


@dataclass(frozen=True)
class KeyRule:
    """What the key a technician gives a customer looks like on this backend.

    `pin`: the vendor calls it a PIN (the page says "PIN", not "session key").
    `external_key`: the key start also carries the ticket number a prefill link brought.
    """

    length: int
    letters: bool = False
    pin: bool = False
    external_key: bool = True


# ------------------------------------------------------------------------------
# Starts
# ------------------------------------------------------------------------------
class CustomerValues(Protocol):
    """What the customer typed (`portal.services.Customer`), read by the adapters."""

    @property
    def name(self) -> str: ...
    @property
    def company(self) -> str: ...
    @property
    def company_code(self) -> str: ...
    @property
    def details(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def number(self) -> str: ...
    @property
    def external_key(self) -> str: ...
    @property
    def custom(self) -> tuple[tuple[str, str], ...]: ...


class IssueValues(Protocol):
    """The issue a start names, as the survey offers it (`selectors.LocalizedIssue`) or as a
    model. `department` and `technician` carry Take Control's routing."""

    @property
    def code_name(self) -> str: ...
    @property
    def vendor_id(self) -> int | None: ...
    @property
    def priority(self) -> int | None: ...
    @property
    def skill_list(self) -> Sequence[str]: ...
    @property
    def chat_locale(self) -> str: ...
    @property
    def department(self) -> Any: ...
    @property
    def technician(self) -> Any: ...


class Person(Protocol):
    """Someone a customer may pick from the vendor's list (BeyondTrust's `Rep`): an id, the
    public name, whether the vendor lists them publicly."""

    @property
    def id(self) -> int: ...
    @property
    def public_name(self) -> str: ...
    @property
    def showing_on_rep_list(self) -> bool: ...


class StartFlow:
    """Which customer flow a start comes from (the start record's flow, a rep-menu start apart)."""

    KEY = "key"
    ISSUE = "issue"
    REP = "rep"
    REP_IN_ISSUE_MENU = "rep_in_issue_menu"
    TECHNICIAN = "technician"


@dataclass(frozen=True)
class StartOrder:
    """One validated start in the portal's words; the adapter says it in the vendor's.

    The caller validated every value with the forms (the vendor's limits) and resolved the
    issue, rep or technician among those offered.
    """

    flow: str
    customer: CustomerValues
    locale: str
    user_agent: str = ""
    timezone_offset: int | None = None
    chat: bool = False
    chat_locale: str = ""
    key: str = ""
    issue: IssueValues | None = None
    rep_id: int | None = None
    rep_name: str = ""
    technician: Technician | None = None


@dataclass(frozen=True)
class StartOutcome:
    """Where the customer goes: `url` for the browser, or, after a vendor call, `queued` (what
    the vendor said) with `url` the link it returned. `failure` is "rejected" (the vendor
    refused; `url` is a path the customer may still try) or "unavailable"."""

    url: str = ""
    queued: Any = None
    failure: str = ""


# ------------------------------------------------------------------------------
# Admin actions (docs/decisions/0041-appliance-admin-actions.md)
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class AdminNote:
    """A sentence for admins that is kept and read later, perhaps by an admin using another
    language: a message `code` and its `params`, rendered in the reader's language, or a
    vendor's own `text` (the same in every language). With a code, `text` is the English
    wording, for the log and for a code that no longer exists. A param may be a note itself.
    Codes and their English templates: the adapter's `admin_note_templates`."""

    code: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    text: str = ""

    @classmethod
    def of(cls, code: str, template: str, **params: Any) -> AdminNote:
        """A coded note whose English `text` is `template` filled in."""
        english = {
            name: value.text if isinstance(value, AdminNote) else value for name, value in params.items()
        }
        return cls(code=code, params=params, text=template % english)

    @classmethod
    def from_json(cls, value: Any) -> AdminNote:
        """The note `as_json` kept; a bare string (kept before notes had codes) is its text."""
        if not isinstance(value, Mapping):
            return cls(text=str(value))
        params = {
            name: cls.from_json(param) if isinstance(param, Mapping) else param
            for name, param in (value.get("params") or {}).items()
        }
        return cls(code=str(value.get("code") or ""), params=params, text=str(value.get("text") or ""))

    def as_json(self) -> dict[str, Any]:
        if not self.code:
            return {"text": self.text}
        params = {
            name: value.as_json() if isinstance(value, AdminNote) else value
            for name, value in self.params.items()
        }
        return {"code": self.code, "params": params, "text": self.text}

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class ConnectionCheck:
    """What the vendor said when asked right now. `errors` are admin-facing notes, free of
    secrets; the other fields are the vendor's own answers (None: not answered).

    `passed` says what the test proved, for the admin who ran it; `untested` what it could not
    prove, kept with a passed result so that a pass is not read as more than it is
    (docs/decisions/0112-takecontrol-connection-test.md)."""

    api_info: Any = None
    health: Any = None
    probe_healthy: bool | None = None
    errors: tuple[AdminNote, ...] = ()
    unreachable: bool = False  # a call found no connection at all (`VendorUnreachable`)
    passed: tuple[AdminNote, ...] = ()
    untested: tuple[AdminNote, ...] = ()


@dataclass(frozen=True)
class VendorIssue:
    """An issue as the vendor defines it, for the portal's issue import."""

    code_name: str
    display_name: str
    vendor_id: int | None


# ------------------------------------------------------------------------------
# The vendor's API for integrations and admins: errors, session keys, chat hand-offs, history
# ------------------------------------------------------------------------------
class NotedError(Exception):
    """An error an admin reads: `note` says it (the admin reads it with
    `portal.appliance.note_text`), coded where the raiser gave a code, else the English text
    given; `str()` is its English wording, for the log."""

    def __init__(self, message: str | AdminNote = ""):
        self.note = message if isinstance(message, AdminNote) else AdminNote(text=message)
        super().__init__(self.note.text)


class VendorError(NotedError):
    """A vendor call failed or was refused. `str(error)` is for admins and the log, free of
    secrets; a vendor's own error classes derive from this (or from `VendorUnavailable`).
    `note` says the same to an admin who reads it later: coded where the vendor's client
    gave it a code, else the English text."""


class VendorUnavailable(VendorError):
    """An outage, not an answer: no connection, a timeout, a 5xx, an unreadable reply. Only
    these count against a backend's circuit breaker."""


def stopped_mid_answer(error: Exception) -> bool:
    """A `requests.ConnectionError` that is a read timeout once the answer had begun (requests
    wraps urllib3's ReadTimeoutError there, not in `requests.Timeout`): a vendor that stopped
    answering, not one that could not be reached."""
    return any(isinstance(arg, ReadTimeoutError) for arg in error.args)


def redacted(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with each of `secrets` the vendor repeated in it as `***`: a vendor's message goes
    into logs and admin messages, which never show a key, a client secret or a token."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class VendorUnreachable(VendorUnavailable):
    """No connection at all: the address does not resolve, nothing answers there, or a
    firewall or proxy is in the way. The connection test then says what to check."""


class KeyRefusedByKeyPage(VendorError):
    """The vendor made a session key that the backend's own key rule refuses (BeyondTrust: a
    key with letters while the backend's “session keys may contain letters” is off): the
    portal's key page would refuse it, so it is handed to nobody. A setting to correct, not an
    outage: the circuit breaker does not count it
    (docs/decisions/0122-generated-keys-follow-the-key-page.md)."""


@dataclass(frozen=True)
class SessionQueue:
    """Where a session from an integration waits, in the portal's words: the general queue,
    one person (`rep`), a team, or an issue by code name. The adapter says it in the vendor's."""

    GENERAL: ClassVar[str] = "general"
    REP: ClassVar[str] = "rep"
    TEAM: ClassVar[str] = "team"
    ISSUE: ClassVar[str] = "issue"

    kind: str
    id: int | None = None
    code_name: str = ""

    @classmethod
    def general(cls) -> SessionQueue:
        return cls(cls.GENERAL)

    @classmethod
    def rep(cls, rep_id: int) -> SessionQueue:
        return cls(cls.REP, id=int(rep_id))

    @classmethod
    def team(cls, team_id: int) -> SessionQueue:
        return cls(cls.TEAM, id=int(team_id))

    @classmethod
    def issue(cls, code_name: str) -> SessionQueue:
        return cls(cls.ISSUE, code_name=code_name)


@dataclass(frozen=True)
class SessionKeyGrant:
    """A session key the vendor made for an integration: the key, the vendor's link for it and
    when it expires (None: the vendor did not say)."""

    short_key: str
    key_url: str
    expires: datetime | None = None


@dataclass(frozen=True)
class ChatHandoff:
    """A chat-only customer waiting for a human: its key, the link that upgrades the customer
    to the full client and the browser chat's link ("" when the vendor gave none)."""

    session_key: SessionKeyGrant
    download_url: str
    chat_url: str = ""


@dataclass(frozen=True)
class HistoryPage:
    """One page of a backend's session history: rows by column code, and the total number of
    rows when the vendor said."""

    rows: tuple[Mapping[str, Any], ...]
    total: int | None = None


class SessionHistoryError(NotedError):
    """The history could not be read. `note` says why and what to do; neither it nor `str()`
    ever holds a key."""


# ------------------------------------------------------------------------------
# The adapter
# ------------------------------------------------------------------------------
class VendorAdapter(ABC):
    """One backend kind's behaviour. Subclass it in the vendor's package and add one line to
    `portal.vendors.registry` (docs/architecture.md#adding-a-vendor).

    Override a class attribute for a fixed fact, a method for a rule that reads the backend.
    """

    kind: ClassVar[str]
    # The vendor, as admins and the environment (portal_bootstrap) name it; kinds may share one.
    vendor: ClassVar[str]
    # What the site's "list of people" switch shows: "reps" (who is online, from the vendor)
    # or "technicians" (the admin's list).
    person_flow: ClassVar[str] = "reps"
    # The start can be chat only (the survey's and rep list's checkbox, the site's chat mode).
    offers_chat_only: ClassVar[bool] = False
    # The start carries the admin's custom fields (`session.custom.*` on BeyondTrust).
    carries_custom_fields: ClassVar[bool] = False
    # Where it does not, what the admin is told of an active custom field: of the one being
    # saved, and of a site's fields when the site's backend changes kind. Each vendor says it
    # in its own words (a whole sentence per vendor, so that every language can phrase it).
    custom_fields_refused: ClassVar[tuple[StrOrPromise, StrOrPromise] | None] = None
    # Where the start cannot be chat only, what the admin is told of a site's chat mode or an
    # issue's "always chat only" (None: it can, or the adapter says so itself).
    chat_only_refused: ClassVar[StrOrPromise | None] = None
    customer_fields: ClassVar[tuple[CustomerField, ...]] = ()
    # The BeyondTrust command API's features (rep list, reps in the issue menu, session keys
    # and chat hand-offs through the integrations API) apply to this kind.
    beyondtrust_api: ClassVar[bool] = False
    # Integrations may ask for session keys and chat hand-offs (`generate_session_key`,
    # `hand_off_chat`; the API's `POST session-keys` and `POST chat-handoffs`).
    offers_session_keys: ClassVar[bool] = False
    # ...and need the backend's API client ID and secret (a real appliance).
    needs_api_credentials: ClassVar[bool] = False
    # Admin: the *Test connection* and *Import issues* actions, the session-history page.
    has_connection_test: ClassVar[bool] = False
    imports_issues: ClassVar[bool] = False
    has_session_history: ClassVar[bool] = False
    # The session history's columns (code -> admin label) and those shown unless chosen.
    history_columns: ClassVar[Mapping[str, StrOrPromise]] = {}
    default_history_columns: ClassVar[tuple[str, ...]] = ()
    # Starts show the vendor's URL in the portal instead of leaving it.
    is_preview: ClassVar[bool] = False
    # What the set-up checklist says of a site whose list of people is on while the last known
    # list is empty (`last_known_people`): the item's title and what to do, in the vendor's
    # words (docs/decisions/0118-checklist-empty-person-list.md). None: never said.
    empty_people_list: ClassVar[tuple[StrOrPromise, StrOrPromise] | None] = None
    # The people are the admin's own (on the backend's page), not the vendor's: the checklist
    # then links to the backend, else to the site (whose switch turns the list off).
    people_kept_in_admin: ClassVar[bool] = False
    # The admin's settings this kind never reads, by model name ("backend", "site", "issue"):
    # field names, and a backend's inlines by their related name. Its change forms leave them
    # out (docs/decisions/0103-admin-fields-by-vendor.md).
    unused_fields: ClassVar[Mapping[str, frozenset[str]]] = {}
    # The admin's labels this kind words its own way, by model name, then field name.
    field_labels: ClassVar[Mapping[str, Mapping[str, StrOrPromise]]] = {}
    # The backend's address as the admin types it, cited when the address is no URL ("Enter a
    # full URL such as …"): the vendor's own shape, not another vendor's.
    address_example: ClassVar[str]
    # The codes of the `AdminNote`s this kind's vendor client gives its errors, and their
    # English templates (msgids, translated when an admin reads a kept note).
    admin_note_templates: ClassVar[Mapping[str, str]] = {}

    def __init__(self, backend: Backend):
        self.backend = backend

    def __repr__(self) -> str:
        return f"<{type(self).__name__} backend={self.backend.pk}>"

    # -- the key flow -------------------------------------------------------------------
    @abstractmethod
    def key_rule(self) -> KeyRule: ...

    def normalise_key(self, raw: str) -> str:
        """The key as the vendor takes it, or `InvalidKey`. Spaces and dashes go, full-width
        digits (Japanese or Chinese input) become ASCII, invisible format characters (a
        zero-width space pasted from an email) are dropped."""
        rule = self.key_rule()
        text = unicodedata.normalize("NFKC", raw or "")
        # Each distinct character is judged once and the rest is done by str's own methods:
        # a posted key of megabytes costs its few distinct characters, not its length.
        dropped = {
            ord(ch): None
            for ch in set(text)
            if ch.isspace() or ch in KEY_SEPARATORS or unicodedata.category(ch) == "Cf"
        }
        key = text.translate(dropped)
        allowed = str.isalnum if rule.letters else str.isdigit
        if key and not (key.isascii() and allowed(key)):
            raise InvalidKey("the key has other characters", code="characters")
        if len(key) != rule.length:
            raise InvalidKey(f"a key has {rule.length} characters", code="length", count=len(key))
        return key

    def check_generated_key(self, short_key: str) -> None:
        """`KeyRefusedByKeyPage` when the key page would refuse a key the vendor generated:
        no integration is ever given a key, or a key page link, that fails for the customer
        (docs/decisions/0122-generated-keys-follow-the-key-page.md)."""
        try:
            self.normalise_key(short_key)
        except InvalidKey as error:
            rule = self.key_rule()
            if (
                error.code == "characters"
                and not rule.letters
                and short_key.isascii()
                and short_key.isalnum()
            ):
                reason = "it has letters, and the backend's “session keys may contain letters” is off"
            else:
                reason = f"it is not {rule.length} {'letters or digits' if rule.letters else 'digits'}"
            raise KeyRefusedByKeyPage(reason) from None

    # -- validation (the admin and portal_bootstrap) -------------------------------------
    def backend_problems(self) -> dict[str, Any]:
        """The backend's own settings the vendor would refuse, by field."""
        return {}

    def site_problems(self, site: Site) -> dict[str, Any]:
        """What `site` asks of this backend that its starts cannot carry, by site field."""
        problems: dict[str, Any] = {}
        if self.chat_only_refused and site.chat_mode != "off":  # Site.ChatMode.OFF
            problems["chat_mode"] = self.chat_only_refused
        if self.custom_fields_refused and site.pk and site.custom_fields.filter(active=True).exists():
            problems["custom_fields"] = self.custom_fields_refused[1]
        return problems

    def issue_problems(self, issue: Issue) -> dict[str, Any]:
        """What an issue of a site on this backend holds that its starts cannot carry."""
        if self.chat_only_refused and issue.chat == "always":  # Issue.Chat.ALWAYS
            return {"chat": self.chat_only_refused}
        return {}

    def custom_field_problem(self, field: CustomField) -> Any:
        """Why an active custom field cannot be used here, or None."""
        return self.custom_fields_refused[0] if self.custom_fields_refused else None

    def startable_issues(self, issues: Sequence[Issue]) -> list[Issue]:
        """The issues a start can name; the others are not offered to customers."""
        return list(issues)

    # -- starts -------------------------------------------------------------------------
    @abstractmethod
    def start(self, order: StartOrder) -> StartOutcome:
        """The start URL, or the vendor's answer to a start call. Never raises for a vendor
        problem: the outcome's `failure` says what the customer sees."""

    def redirect_origins(self) -> list[str]:
        """Where the customer's browser may be sent (the page's form-action)."""
        return [self.backend.base_url]

    # -- admin actions (when has_connection_test / imports_issues) ------------------------
    def check_connection(self) -> ConnectionCheck:
        """Ask the vendor now, bypassing any breaker. ValueError: this kind has no test or
        the backend's settings cannot make one."""
        raise ValueError(f"{self.kind} backends have no connection test")

    def vendor_issues(self) -> tuple[list[VendorIssue], int]:
        """The vendor's issues, de-duplicated by code name, and how many were skipped for
        lacking a usable code name. Raises the vendor client's errors."""
        raise ValueError(f"{self.kind} backends have no issues to import")

    # -- integrations (when offers_session_keys) -----------------------------------------
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
        """A session key for `queue`. Raises `VendorError`, or ValueError for input the
        vendor's client refuses (callers validate first) or a kind without session keys."""
        raise ValueError(f"{self.kind} backends make no session keys")

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
        """A session key, then a chat-only customer for it waiting in `queue` for a human.
        Raises as `generate_session_key`."""
        raise ValueError(f"{self.kind} backends hand no chats over")

    # -- session history (when has_session_history) ----------------------------------------
    def session_history(self, *, filters: Mapping[str, Any], page: int, page_size: int) -> HistoryPage:
        """One page of the history; `filters` are the admin form's (`columns` among
        `history_columns`). Raises `SessionHistoryError`."""
        raise SessionHistoryError(f"{self.kind} backends have no session history")

    def history_cell(self, row: Mapping[str, Any], column: str) -> object:
        """A row's value for a column."""
        return row.get(column, "")

    def history_csv(self, rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
        """The rows as CSV text, a header of column codes first."""
        raise SessionHistoryError(f"{self.kind} backends have no session history")

    # -- the rep list ---------------------------------------------------------------------
    def sample_reps(self) -> tuple[Person, ...] | None:
        """People shown without asking anyone (Preview), or None."""
        return None

    def rep_fetcher(self) -> Callable[[], Iterable[Person]] | None:
        """A call that asks the vendor who is online (run off the request thread), or None when
        this kind lists nobody. Raises ValueError for a configuration that cannot ask."""
        return None

    def last_known_people(self) -> Sequence[Any] | None:
        """Who the list of people showed when the portal last asked, read without asking the
        vendor (the cached list; the sample on Preview): None when nobody has asked yet or the
        answer has expired."""
        sample = self.sample_reps()
        if sample is not None:
            return tuple(sample)
        key = self.rep_list_cache_key()
        cached = last_cached(key) if key else None
        return None if cached is None or cached.value is None else tuple(cached.value)

    def breaker(self) -> CircuitBreaker | None:
        """The circuit breaker every caller of this backend's vendor API shares, or None."""
        return None

    def rep_list_cache_key(self) -> str:
        return ""


# Dashes and separators a customer may type or paste between key groups (after NFKC).
KEY_SEPARATORS = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff0d"
