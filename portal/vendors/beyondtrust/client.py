"""BeyondTrust Remote Support command API client (docs/vendors/beyondtrust.md#oauth,
docs/vendors/beyondtrust.md#command-api and docs/vendors/beyondtrust.md#limits,
docs/architecture.md#talking-to-vendors).

The only module that knows the command API's action names, XML element names and OAuth paths.
Callers get plain dataclasses and `BeyondTrustError`s; `portal.vendors.cache` does the caching.

Transport (docs/vendors/beyondtrust.md#oauth, docs/vendors/beyondtrust.md#command-api and
docs/vendors/beyondtrust.md#pitfalls):
- OAuth2 client credentials: `POST /oauth2/token` with Basic auth. An API account holds at most
  30 tokens and a 31st silently kills the oldest, so every worker and process shares ONE token per
  backend through Django's cache. It is minted under a cache lock (`cache.add`); the others poll
  the cache for it, for a bounded time.
- Every call is a fresh connection with `Connection: close` (no pooled keep-alive sockets), a
  (connect, read) timeout from settings, and a capped response size.
- `POST /api/command` with a form body `action=...`.

Parsing (docs/decisions/0011-command-api-errors.md and docs/decisions/0012-xml-by-local-name.md,
docs/vendors/beyondtrust.md#command-api and docs/vendors/beyondtrust.md#errors): defusedxml refuses
DTDs and entities (an XML bomb fails before it expands); elements are matched by local name, so the
old Bomgar namespace (`http://www.bomgar.com/namespaces/API/command`) and the BeyondTrust one
(`https://www.beyondtrust.com/namespaces/API/command`) both work; unknown elements are ignored and
missing optional elements get defaults. A non-2xx status, an unparsable body, or an `<error>`
element anywhere raises a `BeyondTrustError` whose message is for admins and logs only.

UNCONFIRMED choices, to check on a real appliance (docs/vendors/beyondtrust.md#unconfirmed):
- How a rejected token looks on the XML API (docs/vendors/beyondtrust.md#oauth). We treat HTTP
  401/403, the documented `{"error": "access_denied"}` JSON body, and an `<error>` whose text
  mentions a token or authentication as "token rejected": drop the cached token (only if it is still
  the one that failed), mint once more and retry once. When the new token is refused too, the
  account is the problem, not the token: no further token is minted for `ACCOUNT_REFUSED_PAUSE`
  seconds, so a refused account does not churn through its 30 tokens.
- Token renewal: when less than max(60 s, 10 % of the lifetime) is left, but never earlier than
  half the lifetime. A missing or odd `expires_in` counts as the documented hour.
- The cache key holds the backend id and a hash of the address and client ID, so a new client ID
  gets a new token at once. A new secret for the same ID is noticed through the retry above
  (regenerating a secret kills all tokens anyway, docs/vendors/beyondtrust.md#pitfalls); the secret
  itself never goes into a cache key.
- Legacy (Bomgar) backends use the same OAuth `/api/command`: only their start URLs differ
  (docs/decisions/0001-beyondtrust-start-url-styles.md). Pre-OAuth `username`/`password` auth is not
  supported.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element, ParseError

import requests
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml
from django.core.cache import caches
from django.utils.translation import gettext_noop

from portal.conf import portal_settings
from portal.vendors import limits
from portal.vendors.base import (
    AdminNote,
    VendorError,
    VendorUnavailable,
    VendorUnreachable,
    redacted,
    stopped_mid_answer,
)
from portal.vendors.urls import vendor_link

if TYPE_CHECKING:
    from portal.models import Backend

logger = logging.getLogger(__name__)

TOKEN_PATH = "/oauth2/token"
COMMAND_PATH = "/api/command"
HEALTH_PROBE_PATH = "/check_health"
DEFAULT_TOKEN_LIFETIME = 3600  # docs/vendors/beyondtrust.md#oauth: tokens live one hour
MAX_RESPONSE_BYTES = 5 * 1024 * 1024
MAX_MESSAGE_CHARS = 300
ACCOUNT_REFUSED_PAUSE = 60  # seconds without a new token after a fresh token was refused too
TOKEN_POLL_INTERVAL = 0.05

# Always used with fullmatch: `$` alone would accept a trailing newline.
CODE_NAME_RE = re.compile(limits.CODE_NAME_PATTERN)
QUEUE_RE = re.compile(r"^(?:general|rep:\d{1,18}|team:\d{1,18}|issue:[A-Za-z0-9_-]{1,64})$")
HOSTNAME_RE = re.compile(r"^[A-Za-z0-9.-]{1,253}$")
SHORT_KEY_RE = re.compile(limits.SESSION_KEY_PATTERN)
# UNCONFIRMED (docs/vendors/beyondtrust.md#oauth): the wording of an XML error about a bad token.
TOKEN_ERROR_RE = re.compile(r"token|unauthori[sz]ed|authenticat", re.IGNORECASE)


# ------------------------------------------------------------------------------
# Errors (docs/decisions/0011-command-api-errors.md): the message is for admins and logs, never for
# customers.
# ------------------------------------------------------------------------------
class BeyondTrustError(VendorError):
    """A command API call failed. `str(error)` is an admin-facing message without secrets;
    `note` is the same, coded (`ERRORS`) for an admin who reads it later in another language."""


class BeyondTrustUnavailable(BeyondTrustError, VendorUnavailable):
    """The appliance could not be reached, failed or is busy (connection error, HTTP 5xx, 429)."""


class BeyondTrustUnreachable(BeyondTrustUnavailable, VendorUnreachable):
    """No connection to the appliance at all (a name that does not resolve, a refused or
    blocked connection, a TLS failure)."""


class BeyondTrustTimeout(BeyondTrustUnavailable):
    """The appliance did not answer within the configured timeout."""


class BeyondTrustBadResponse(BeyondTrustUnavailable):
    """The appliance answered something we refuse to read: unparsable, too big, DTD/entities."""


class BeyondTrustRejected(BeyondTrustError):
    """The appliance answered and refused the request: an `<error>` element or HTTP 4xx."""


class BeyondTrustAuthError(BeyondTrustRejected):
    """The API client ID, secret or token was refused, or the account lacks the permission."""


class _TokenRejected(Exception):
    """The token was refused; `code` and `params` say how, for the error raised after a retry."""

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


# The errors' wording by code: English in the log, in the reader's language when an admin reads
# a kept connection test (docs/decisions/0041-appliance-admin-actions.md). `what` names the
# call: a command's action, or the endpoint.
ERRORS = {
    "token_paused": gettext_noop("%(reason)s (not minting another token for now)"),
    "token_wait": gettext_noop("another worker did not obtain an API token within %(seconds)s s"),
    "http_status": gettext_noop("%(what)s: the appliance answered HTTP %(status)s"),
    "token_request_refused": gettext_noop(
        "%(what)s: refused (HTTP %(status)s): check the API client ID and secret and that the API "
        "account is enabled"
    ),
    "token_request_refused_detail": gettext_noop(
        "%(what)s: refused (HTTP %(status)s, %(detail)s): check the API client ID and secret and "
        "that the API account is enabled"
    ),
    "no_access_token": gettext_noop("%(what)s: the answer has no access_token"),
    "not_bearer": gettext_noop("%(what)s: the token is not a Bearer token"),
    "token_refused": gettext_noop(
        "%(what)s: the appliance refused the API token (HTTP %(status)s), also with a new token"
    ),
    "token_refused_text": gettext_noop(
        "%(what)s: the appliance refused the API token: %(error)s, also with a new token"
    ),
    "json": gettext_noop("%(what)s: expected XML, got JSON (HTTP %(status)s)"),
    "dtd": gettext_noop("%(what)s: refused an XML answer with a DTD or entities"),
    "malformed": gettext_noop("%(what)s: the answer is not well-formed XML"),
    "error_without_text": gettext_noop("%(what)s: the appliance reported an error"),
    "unexpected_root": gettext_noop("%(what)s: unexpected answer <%(root)s>"),
    "redirected": gettext_noop(
        "%(what)s: redirected (HTTP %(status)s); check the address, it must be the appliance's "
        "https:// public site address"
    ),
    "too_large": gettext_noop("%(what)s: the answer is larger than allowed"),
    "too_slow": gettext_noop("%(what)s: the answer took too long"),
    "timeout": gettext_noop("%(what)s: no answer within %(connect)s s (connect) / %(read)s s (read)"),
    "stopped": gettext_noop("%(what)s: the answer stopped arriving"),
    "cannot_connect": gettext_noop("%(what)s: cannot connect to %(address)s"),
    "request_failed": gettext_noop("%(what)s: the request failed (%(error)s)"),
}
NOTE_TEMPLATES = {f"beyondtrust.{code}": template for code, template in ERRORS.items()}


def _note(code: str, **params) -> AdminNote:
    return AdminNote.of(f"beyondtrust.{code}", ERRORS[code], **params)


# ------------------------------------------------------------------------------
# Results: plain data, safe to cache (pickle) and to render.
# ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rep:
    """A logged-in representative (docs/vendors/beyondtrust.md#get_logged_in_reps).

    Only the public display name is kept: the private one is never read, so it cannot be shown.
    `direct_link` is the href extracted from the vendor's HTML `<a>`
    (docs/vendors/beyondtrust.md#pitfalls).
    """

    id: int
    public_name: str
    showing_on_rep_list: bool
    type: str = ""
    support_session_count: int = 0
    presentation_count: int = 0
    logged_in_since: str = ""
    direct_link: str = ""


@dataclass(frozen=True)
class TeamIssue:
    id: int
    code_name: str
    display_name: str


@dataclass(frozen=True)
class Team:
    """A support team with its issues and member rep ids
    (docs/vendors/beyondtrust.md#get_support_teams, layout largely UNCONFIRMED)."""

    id: int
    name: str
    code_name: str = ""
    issues: tuple[TeamIssue, ...] = ()
    member_ids: frozenset[int] = frozenset()

    def is_staffed(self, *, online_rep_ids: Iterable[int]) -> bool:
        """A team is staffed when one of its members is logged in
        (docs/vendors/beyondtrust.md#get_support_teams, the Missouri technique)."""
        return not self.member_ids.isdisjoint(online_rep_ids)


@dataclass(frozen=True)
class SessionKey:
    """A generated session key (docs/vendors/beyondtrust.md#generate_session_key). Only `short_key`
    and `key_url` are confirmed."""

    short_key: str
    key_url: str
    expires: datetime | None = None
    mail_subject: str = ""
    mail_body: str = ""


@dataclass(frozen=True)
class VirtualCustomer:
    """URLs for a chat-bot hand-off (docs/vendors/beyondtrust.md#create_virtual_customer).
    `chat_url` as an output is UNCONFIRMED."""

    download_url: str
    chat_url: str = ""


@dataclass(frozen=True)
class ApiInfo:
    """The API account's view of the appliance (docs/vendors/beyondtrust.md#get_api_info), for the
    admin's connection self-test."""

    api_version: str
    company_name: str = ""
    timestamp: datetime | None = None
    permissions: Mapping[str, str] = field(default_factory=dict)

    @property
    def command_permission(self) -> str:
        """`full`, `read_only`, `deny`, or "" when the appliance did not say."""
        return self.permissions.get("perm_command", "")

    @property
    def can_generate_session_keys(self) -> bool:
        return self.command_permission == "full"  # docs/vendors/beyondtrust.md#oauth:
        # generate_session_key needs full access


@dataclass(frozen=True)
class ApplianceHealth:
    hostname: str
    version: str = ""
    success: bool = False
    error_message: str = ""
    failover_role: str = ""


@dataclass(frozen=True)
class Health:
    appliances: tuple[ApplianceHealth, ...]

    @property
    def healthy(self) -> bool:
        return bool(self.appliances) and all(a.success for a in self.appliances)


class Queue:
    """Builds `queue_id` values for `generate_session_key`
    (docs/vendors/beyondtrust.md#generate_session_key), so callers need not know them."""

    @staticmethod
    def general() -> str:
        return "general"

    @staticmethod
    def rep(rep_id: int) -> str:
        return f"rep:{int(rep_id)}"

    @staticmethod
    def team(team_id: int) -> str:
        return f"team:{int(team_id)}"

    @staticmethod
    def issue(code_name: str) -> str:
        return f"issue:{code_name}"


# ------------------------------------------------------------------------------
# The client
# ------------------------------------------------------------------------------
class CommandClient:
    """One BeyondTrust appliance's command API. Cheap to build; holds no connection or token."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str,
        backend_id: int | str | None = None,
        connect_timeout: float = 3.0,
        read_timeout: float = 5.0,
        cache_alias: str = "default",
    ):
        if not base_url or not client_id or not client_secret:
            raise ValueError("a BeyondTrust backend needs an address, an API client ID and a secret")
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.cache_alias = cache_alias
        fingerprint = hashlib.sha256(f"{self.base_url}\n{client_id}".encode()).hexdigest()[:16]
        self._token_key = f"beyondtrust:token:{backend_id or 'new'}:{fingerprint}"
        self._lock_key = f"{self._token_key}:minting"
        self._refused_key = f"{self._token_key}:refused"

    @classmethod
    def for_backend(cls, backend: Backend, *, cache_alias: str = "default") -> CommandClient:
        """The client for a saved (or unsaved, for a connection test) BeyondTrust backend."""
        if not backend.is_beyondtrust:
            raise ValueError(f"backend {backend.pk} is not a BeyondTrust backend")
        return cls(
            base_url=backend.base_url,
            client_id=backend.client_id,
            client_secret=backend.client_secret,
            backend_id=backend.pk,
            connect_timeout=portal_settings.VENDOR_CONNECT_TIMEOUT,
            read_timeout=portal_settings.VENDOR_READ_TIMEOUT,
            cache_alias=cache_alias,
        )

    def __repr__(self) -> str:
        return f"<CommandClient {self.base_url} client_id={self.client_id}>"

    # --- Commands -------------------------------------------------------------------------------

    def logged_in_reps(self) -> list[Rep]:
        """`get_logged_in_reps` (docs/vendors/beyondtrust.md#get_logged_in_reps). Reps without a
        usable id or public name are left out: a rep start needs both
        (docs/decisions/0009-rep-list-by-public-name.md)."""
        root = self._command("get_logged_in_reps", expect_root="logged_in_reps")
        reps = []
        for element in _children(root, "rep"):
            rep_id = _int_id(element)
            # display_name is deprecated but equals public_display_name
            # (docs/vendors/beyondtrust.md#get_logged_in_reps).
            name = _text(element, "public_display_name") or _text(element, "display_name")
            if rep_id is None or not name:
                logger.info("BeyondTrust rep without id or public name skipped")
                continue
            reps.append(
                Rep(
                    id=rep_id,
                    public_name=name,
                    showing_on_rep_list=_text(element, "showing_on_rep_list") == "1",
                    type=_text(element, "type"),
                    support_session_count=_int(_text(element, "support_session_count")) or 0,
                    presentation_count=_int(_text(element, "presentation_count")) or 0,
                    logged_in_since=_text(element, "logged_in_since"),
                    direct_link=_href(_text(element, "direct_link")),
                )
            )
        return reps

    def support_teams(self) -> list[Team]:
        """`get_support_teams` with members (docs/vendors/beyondtrust.md#get_support_teams).

        UNCONFIRMED shapes, all accepted: issues inside `<issues>` or directly under the team;
        ids as an `id` attribute or an `<id>` child; an issue's name in `display_name`, `name` or
        `title`; its code name as a `code_name` child or attribute (dropped if it breaks the
        code-name rule); members as `<representative>`, `<rep>` or `<member>` inside `<members>`.
        Of members only the ids are kept: their names may be private.
        """
        root = self._command("get_support_teams", {"showmembers": "1"}, expect_root="support_teams")
        teams = []
        for element in _children(root, "support_team"):
            team_id = _int_id(element)
            if team_id is None:
                continue
            issue_elements = [
                *(i for issues in _children(element, "issues") for i in _children(issues, "issue")),
                *_children(element, "issue"),
            ]
            issues = []
            for issue in issue_elements:
                issue_id = _int_id(issue)
                if issue_id is None:
                    continue
                code_name = _text(issue, "code_name") or issue.get("code_name", "").strip()
                issues.append(
                    TeamIssue(
                        id=issue_id,
                        code_name=code_name if CODE_NAME_RE.fullmatch(code_name) else "",
                        display_name=_text(issue, "display_name")
                        or _text(issue, "name")
                        or _text(issue, "title"),
                    )
                )
            member_ids = {
                member_id
                for members in _children(element, "members")
                for member in members
                if _local(member) in {"representative", "rep", "member"}
                and (member_id := _int_id(member)) is not None
            }
            code_name = _text(element, "code_name")
            teams.append(
                Team(
                    id=team_id,
                    name=_text(element, "name") or _text(element, "display_name"),
                    code_name=code_name if CODE_NAME_RE.fullmatch(code_name) else "",
                    issues=tuple(issues),
                    member_ids=frozenset(member_ids),
                )
            )
        return teams

    def generate_session_key(
        self,
        *,
        queue: str,
        external_key: str = "",
        custom: Mapping[str, str] | None = None,
        priority: int | None = None,
        skills: Sequence[str] = (),
        url_hostname: str = "",
        ttl: int | None = None,
    ) -> SessionKey:
        """`generate_session_key` (docs/vendors/beyondtrust.md#generate_session_key); the API
        account needs full command access (docs/vendors/beyondtrust.md#oauth).

        `queue` is `general`, `rep:<id>`, `team:<id>` or `issue:<code_name>` (build it with
        `Queue`). Custom fields and the external key go as `session.custom.*` [C-code, Marval];
        `session.priority`, `session.skills` and `ttl` rest on third-party code only [3P].
        Empty values are not sent (docs/decisions/0004-start-url-encoding.md). The expiry, mail
        subject and body are read when the appliance sends them (UNCONFIRMED element names:
        `expires`, `mail_subject`, `mail_body`).
        """
        params = {"type": "support", "queue_id": _valid_queue(queue)}
        if url_hostname:
            if not HOSTNAME_RE.fullmatch(url_hostname):
                raise ValueError("url_hostname must be a bare hostname")
            params["url_hostname"] = url_hostname
        if ttl is not None:
            if int(ttl) <= 0:
                raise ValueError("ttl must be a positive number of seconds")
            params["ttl"] = str(int(ttl))
        if priority is not None:
            if priority not in limits.PRIORITIES:
                raise ValueError("priority must be 1 (high), 2 (medium) or 3 (low)")
            params["session.priority"] = str(priority)
        if skills:
            if not all(CODE_NAME_RE.fullmatch(skill) for skill in skills):
                raise ValueError("skills must be code names")
            params["session.skills"] = ",".join(skills)
        params.update(_custom_fields(external_key=external_key, custom=custom or {}))

        root = self._command("generate_session_key", params, expect_root="session_key")
        # The key goes on to `create_virtual_customer` and into the portal's key page link,
        # which take the vendor's 7-character key only: an answer with another is unreadable,
        # not a key to pass on (docs/vendors/beyondtrust.md#generate_session_key).
        short_key = re.sub(r"[\s-]", "", _text(root, "short_key"))
        if not short_key:
            raise BeyondTrustBadResponse("generate_session_key: the answer has no short_key")
        if not SHORT_KEY_RE.fullmatch(short_key):
            raise BeyondTrustBadResponse("generate_session_key: the answer's short_key is no 7-character key")
        key_url = _link(_text(root, "key_url"))
        expires_element = _child(root, "expires")
        return SessionKey(
            short_key=short_key,
            key_url=key_url,
            expires=_when(expires_element) if expires_element is not None else None,
            mail_subject=_text(root, "mail_subject"),
            mail_body=_text(root, "mail_body"),
        )

    def create_virtual_customer(
        self,
        *,
        short_key: str,
        name: str,
        ip_address: str,
        operating_system: str,
        computer_name: str,
        locale: str = "",
    ) -> VirtualCustomer:
        """`create_virtual_customer` (docs/vendors/beyondtrust.md#create_virtual_customer): a
        chat-only customer for a key from `generate_session_key`. The root element's name is
        UNCONFIRMED and not checked."""
        short_key = re.sub(r"[\s-]", "", short_key)
        if not SHORT_KEY_RE.fullmatch(short_key):
            raise ValueError("short_key must be the 7-character session key")
        if not (name.strip() and operating_system.strip() and computer_name.strip()):
            raise ValueError("name, operating_system and computer_name are required")
        ipaddress.ip_address(ip_address)  # raises ValueError
        params = {
            "short_key": short_key,
            "name": name.strip(),
            "ip_address": ip_address,
            "operating_system": operating_system.strip(),
            "computer_name": computer_name.strip(),
        }
        if locale:
            params["locale"] = locale
        root = self._command("create_virtual_customer", params)
        download_url = _link(_text(root, "download_url"))
        if not download_url:
            raise BeyondTrustBadResponse("create_virtual_customer: the answer has no http(s) download_url")
        return VirtualCustomer(download_url=download_url, chat_url=_link(_text(root, "chat_url")))

    def api_info(self) -> ApiInfo:
        """`get_api_info` (docs/vendors/beyondtrust.md#get_api_info). Root name and permission
        layout are UNCONFIRMED: permissions are read both as child elements
        (`<perm_command>full</perm_command>`) and as items
        (`<permission name="perm_command">full</permission>`)."""
        root = self._command("get_api_info")
        permissions: dict[str, str] = {}
        for container in _children(root, "permissions"):
            for item in container:
                if _local(item) == "permission":
                    name = item.get("name") or _text(item, "name")
                    value = item.get("value") or _text(item, "value") or (item.text or "").strip()
                else:
                    name, value = _local(item), (item.text or "").strip()
                if name:
                    permissions[name] = value
        timestamp = _child(root, "timestamp")
        return ApiInfo(
            api_version=_text(root, "api_version"),
            company_name=_text(root, "company_name"),
            timestamp=_when(timestamp) if timestamp is not None else None,
            permissions=permissions,
        )

    def check_health(self) -> Health:
        """`check_health` (docs/vendors/beyondtrust.md#check_health): one entry per `<appliance>`
        anywhere in the document (the root name is UNCONFIRMED). The hostname is a `hostname` child
        if present, else the id."""
        root = self._command("check_health")
        appliances = [element for element in root.iter() if _local(element) == "appliance"]
        return Health(
            appliances=tuple(
                ApplianceHealth(
                    hostname=_text(a, "hostname") or a.get("id", "").strip(),
                    version=_text(a, "version"),
                    success=_text(a, "success") == "1",
                    error_message=_text(a, "error_message"),
                    failover_role=_text(a, "failover_role"),
                )
                for a in appliances
            )
        )

    def probe_health(self) -> bool:
        """`GET /check_health` (docs/vendors/beyondtrust.md#endpoints and
        docs/vendors/beyondtrust.md#check_health): True on HTTP 200, False on any other status. No
        token, no XML. Raises `BeyondTrustUnavailable` when the appliance is unreachable."""
        status, _type, _body = self._http("GET", HEALTH_PROBE_PATH, what=f"GET {HEALTH_PROBE_PATH}")
        return status == 200

    # --- Token ----------------------------------------------------------------------------------

    def _token(self) -> str:
        """The shared token; minted by one worker at a time, the others wait for it."""
        cache = caches[self.cache_alias]
        lock_ttl = self.connect_timeout + self.read_timeout + 1
        deadline = time.monotonic() + lock_ttl
        owner = uuid.uuid4().hex
        while True:
            token = self._cached_token()
            if token:
                return token
            if cache.add(self._lock_key, owner, timeout=math.ceil(lock_ttl)):
                try:
                    token = self._cached_token()  # minted between our read and our lock
                    if token:
                        return token
                    refused = cache.get(self._refused_key)
                    if refused:
                        raise BeyondTrustAuthError(_note("token_paused", reason=AdminNote.from_json(refused)))
                    return self._mint()
                finally:
                    if cache.get(self._lock_key) == owner:
                        cache.delete(self._lock_key)
            if time.monotonic() >= deadline:
                raise BeyondTrustTimeout(_note("token_wait", seconds=f"{lock_ttl:g}"))
            time.sleep(TOKEN_POLL_INTERVAL)

    def _cached_token(self) -> str | None:
        entry = caches[self.cache_alias].get(self._token_key)
        if entry and entry["renew_at"] > time.time():
            return entry["access_token"]
        return None

    def _mint(self) -> str:
        """`POST /oauth2/token`, client credentials with Basic auth
        (docs/vendors/beyondtrust.md#oauth)."""
        credentials = base64.b64encode(f"{self.client_id}:{self._client_secret}".encode()).decode()
        status, _content_type, body = self._http(
            "POST",
            TOKEN_PATH,
            headers={"Authorization": f"Basic {credentials}"},
            data={"grant_type": "client_credentials"},
            what=f"POST {TOKEN_PATH}",
        )
        payload = _json_object(body)
        if status >= 500:
            raise BeyondTrustUnavailable(_note("http_status", what=f"POST {TOKEN_PATH}", status=status))
        if not 200 <= status < 300:
            detail = self._redact(str(payload.get("error") or "")) if payload else ""
            what = f"POST {TOKEN_PATH}"
            raise BeyondTrustAuthError(
                _note("token_request_refused_detail", what=what, status=status, detail=detail)
                if detail
                else _note("token_request_refused", what=what, status=status)
            )
        token = payload.get("access_token") if payload else None
        if not payload or not isinstance(token, str) or not token:
            raise BeyondTrustBadResponse(_note("no_access_token", what=f"POST {TOKEN_PATH}"))
        if str(payload.get("token_type", "Bearer")).lower() != "bearer":
            raise BeyondTrustBadResponse(_note("not_bearer", what=f"POST {TOKEN_PATH}"))
        lifetime = _int(str(payload.get("expires_in", ""))) or DEFAULT_TOKEN_LIFETIME
        lifetime = max(lifetime, 1)
        usable = lifetime - min(max(60, lifetime / 10), lifetime / 2)
        now = time.time()
        caches[self.cache_alias].set(
            self._token_key,
            {"access_token": token, "renew_at": now + usable},
            timeout=max(1, math.ceil(usable)),
        )
        logger.info("BeyondTrust %s: new API token, valid %d s", self.base_url, lifetime)
        return token

    def _forget_token(self, token: str) -> None:
        """Drop the cached token only if it is still the one that failed: another worker may
        already have replaced it (not atomic; the worst case is one extra token)."""
        cache = caches[self.cache_alias]
        entry = cache.get(self._token_key)
        if entry and entry["access_token"] == token:
            cache.delete(self._token_key)

    # --- Transport ------------------------------------------------------------------------------

    def _command(
        self, action: str, params: Mapping[str, str] | None = None, *, expect_root: str = ""
    ) -> Element:
        """Run one command; retry once with a new token when the cached one is rejected."""
        try:
            token = self._token()
            try:
                return self._send_command(action, params or {}, token, expect_root)
            except _TokenRejected:
                self._forget_token(token)
                token = self._token()
                try:
                    return self._send_command(action, params or {}, token, expect_root)
                except _TokenRejected as again:
                    note = _note(again.code, what=action, **again.params)
                    caches[self.cache_alias].set(self._refused_key, note.as_json(), ACCOUNT_REFUSED_PAUSE)
                    raise BeyondTrustAuthError(note) from None
        except BeyondTrustError as error:
            logger.warning("BeyondTrust %s %s failed: %s", self.base_url, action, error)
            raise

    def _send_command(self, action: str, params: Mapping[str, str], token: str, expect_root: str) -> Element:
        status, content_type, body = self._http(
            "POST",
            COMMAND_PATH,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/xml"},
            data=[("action", action), *params.items()],
            what=action,
        )
        looks_like_json = "json" in content_type.lower() or body.lstrip()[:1] == b"{"
        payload = _json_object(body) if looks_like_json else None
        if status in (401, 403) or (payload and payload.get("error") == "access_denied"):
            raise _TokenRejected("token_refused", status=status)
        if payload is not None:
            raise BeyondTrustBadResponse(_note("json", what=action, status=status))
        # 429: docs/vendors/beyondtrust.md#limits documents 20 requests/s and 15,000/hour per API
        # account; the status it answers with is UNCONFIRMED, 429 is the likely one. Both it and 5xx
        # mean "try again later".
        if status >= 500 or status == 429:
            raise BeyondTrustUnavailable(_note("http_status", what=action, status=status))
        try:
            root = parse_xml(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
        except DefusedXmlException:
            raise BeyondTrustBadResponse(_note("dtd", what=action)) from None
        except (ParseError, ValueError):
            if not 200 <= status < 300:
                raise BeyondTrustRejected(_note("http_status", what=action, status=status)) from None
            raise BeyondTrustBadResponse(_note("malformed", what=action)) from None
        error = next((e for e in root.iter() if _local(e) == "error"), None)
        if error is not None:
            text = self._redact(" ".join("".join(error.itertext()).split()))[:MAX_MESSAGE_CHARS]
            if TOKEN_ERROR_RE.search(text):
                raise _TokenRejected("token_refused_text", error=text)
            # The appliance's own words are the same in every language: kept as they are.
            raise BeyondTrustRejected(
                f"{action}: {text}" if text else _note("error_without_text", what=action)
            )
        if not 200 <= status < 300:
            raise BeyondTrustRejected(_note("http_status", what=action, status=status))
        if expect_root and _local(root) != expect_root:
            raise BeyondTrustBadResponse(_note("unexpected_root", what=action, root=_local(root)))
        return root

    def _http(
        self,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | list[tuple[str, str]] | None = None,
        what: str,
    ) -> tuple[int, str, bytes]:
        """One request on a fresh connection, `Connection: close`
        (docs/vendors/beyondtrust.md#command-api), bounded in time and size. Never logs headers or
        bodies: they carry the secret and the token."""
        deadline = time.monotonic() + self.connect_timeout + self.read_timeout
        try:
            with requests.request(
                method,
                self.base_url + path,
                headers={"Connection": "close", "User-Agent": "support-portal", **(headers or {})},
                data=data,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
                stream=True,
            ) as response:
                if 300 <= response.status_code < 400:
                    raise BeyondTrustRejected(_note("redirected", what=what, status=response.status_code))
                body = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise BeyondTrustBadResponse(_note("too_large", what=what))
                    if time.monotonic() > deadline:
                        raise BeyondTrustTimeout(_note("too_slow", what=what))
                return response.status_code, response.headers.get("Content-Type", ""), bytes(body)
        except requests.Timeout:
            raise BeyondTrustTimeout(
                _note(
                    "timeout", what=what, connect=f"{self.connect_timeout:g}", read=f"{self.read_timeout:g}"
                )
            ) from None
        except requests.ConnectionError as error:
            if stopped_mid_answer(error):
                raise BeyondTrustTimeout(_note("stopped", what=what)) from None
            raise BeyondTrustUnreachable(_note("cannot_connect", what=what, address=self.base_url)) from None
        except requests.RequestException as error:
            failed = _note("request_failed", what=what, error=type(error).__name__)
            raise BeyondTrustUnavailable(failed) from None

    def _redact(self, text: str) -> str:
        """Vendor texts go into admin messages: make sure no secret or token rides along."""
        cached = caches[self.cache_alias].get(self._token_key) or {}
        return redacted(text, (self._client_secret, cached.get("access_token")))


# ------------------------------------------------------------------------------
# Helpers: XML by local name (docs/decisions/0012-xml-by-local-name.md), values with defaults.
# ------------------------------------------------------------------------------
def _local(element: Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child) == name]


def _child(element: Element, name: str) -> Element | None:
    return next((child for child in element if _local(child) == name), None)


def _text(element: Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _int(value: str) -> int | None:
    try:
        return int(value.strip())
    except (ValueError, AttributeError):
        return None


def _int_id(element: Element) -> int | None:
    """An `id` attribute, or an `<id>` child (UNCONFIRMED layouts)."""
    attribute = element.get("id")
    return _int(attribute) if attribute is not None else _int(_text(element, "id"))


def _when(element: Element) -> datetime | None:
    """A time as the appliance writes it: a `timestamp`/`ts` attribute or a Unix-seconds text
    (docs/vendors/beyondtrust.md#get_api_info, axonius) or ISO 8601 text (UNCONFIRMED for most
    elements)."""
    for raw in (element.get("timestamp"), element.get("ts"), element.text):
        if not raw or not raw.strip():
            continue
        try:
            seconds = _int(raw)
            if seconds is not None:
                return datetime.fromtimestamp(seconds, tz=UTC)
            parsed = datetime.fromisoformat(raw.strip())
            parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            parsed.astimezone(UTC)  # a time past year 9999 in UTC ("9999-12-31T23:00-05:00") has none
        except (ValueError, OverflowError, OSError):  # not a time, or none a datetime holds
            continue
        return parsed
    return None


class _HrefParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.href = ""

    def handle_starttag(self, tag, attrs):
        if tag == "a" and not self.href:
            self.href = dict(attrs).get("href") or ""


def _href(html: str) -> str:
    """`direct_link` is an HTML `<a>` tag, not a URL
    (docs/vendors/beyondtrust.md#get_logged_in_reps): keep only an http(s) href."""
    if not html:
        return ""
    parser = _HrefParser()
    parser.feed(html)
    return _link(parser.href)


def _link(value: str) -> str:
    """A link from the appliance's answer, passed on only if it is a plain http(s) URL
    (`vendor_link`): a rep's direct link, a session key's URL, a virtual customer's links."""
    return vendor_link(value, schemes=("https", "http"))


def _json_object(body: bytes) -> dict | None:
    try:
        payload = json.loads(body)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _valid_queue(queue: str) -> str:
    """`queue_id` values we send (docs/vendors/beyondtrust.md#generate_session_key): general,
    rep:<id>, team:<id>, issue:<code_name>."""
    if not isinstance(queue, str) or not QUEUE_RE.fullmatch(queue):
        raise ValueError("queue must be general, rep:<id>, team:<id> or issue:<code_name>")
    return queue


def _custom_fields(*, external_key: str, custom: Mapping[str, str]) -> dict[str, str]:
    """`session.custom.*` parameters within the limits of docs/decisions/0005-beyondtrust-limits.md,
    the external key first."""
    if limits.EXTERNAL_KEY_CODE in custom:
        raise ValueError("pass the external key as external_key, not as a custom field")
    fields = {limits.EXTERNAL_KEY_CODE: external_key, **custom}
    fields = {code: value for code, value in fields.items() if value != ""}
    for code, value in fields.items():
        if not CODE_NAME_RE.fullmatch(code):
            raise ValueError(f"custom field code name {code!r} breaks the code-name rule")
        if len(value) > limits.CUSTOM_FIELD_MAX_CHARS:
            raise ValueError(f"custom field {code} is over {limits.CUSTOM_FIELD_MAX_CHARS} characters")
    if sum(limits.utf8_len(value) for value in fields.values()) > limits.CUSTOM_TOTAL_MAX_BYTES:
        raise ValueError(f"custom fields together exceed {limits.CUSTOM_TOTAL_MAX_BYTES} bytes")
    return {f"session.custom.{code}": value for code, value in fields.items()}
