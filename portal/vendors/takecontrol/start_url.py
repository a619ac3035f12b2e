"""Take Control start URLs, PIN handling, language and routing: pure functions, no I/O.

Implements docs/decisions/0014-takecontrol-redirect-start.md (New Session URL),
docs/decisions/0016-takecontrol-routing.md (routing), docs/decisions/0017-takecontrol-pin.md (PIN
URL) and docs/decisions/0018-takecontrol-language.md (language). The REST start
(docs/decisions/0015-takecontrol-rest-start.md) is in `client.py` and shares `check_customer_fields`
and `route_for_start` with this module, so both start modes send the same values.

Choices where the vendor material is silent (UNCONFIRMED in docs/vendors/takecontrol.md):
- Parameter order is fixed and documented: `uid`, `department`, `tech`, `customer_name`,
  `customer_email`, `customer_number`, `problem_description`, `ask_customer_info` — the order of
  the vendor's own table (docs/vendors/takecontrol.md#new-session-url). The vendor accepts any
  order; a fixed one keeps URLs comparable in tests and logs.
- Empty values are left out rather than sent as `name=`, so the applet never shows a blank
  pre-filled field. `ask_customer_info` is sent only as `1`; leaving it out is the vendor's
  default "do not show the pre-filled fields" (docs/vendors/takecontrol.md#new-session-url), so `0`
  is never needed.
- `department` is the bare number (`1234`), not the `id_1234` of one doc example
  (docs/vendors/takecontrol.md#new-session-url and docs/vendors/takecontrol.md#unconfirmed).
- Lengths are counted in Unicode code points (Python `len`): the vendor says "characters" and no
  source says whether an emoji counts as one or two.
- A `uid` of the form `<guid>|<n>` keeps its `|`, percent-encoded as `%7C`
  (docs/vendors/takecontrol.md#new-session-url and docs/vendors/takecontrol.md#encoding).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from portal.vendors import limits
from portal.vendors.base import customer_email_validator
from portal.vendors.urls import encode_query

logger = logging.getLogger(__name__)

NEW_SESSION_PATH = "/integration/integration_api.php"
PIN_PLACEHOLDER = "{pin}"

# docs/decisions/0018-takecontrol-language.md: the portal's 16 codes (settings.LANGUAGES) to the
# two-letter codes the vendor shows (`en`, `de`, `fr`;
# docs/vendors/takecontrol.md#rest-create-session and docs/vendors/takecontrol.md#unconfirmed — the
# accepted list itself is UNCONFIRMED). Regional variants collapse because a two-letter code cannot
# carry the region:
# - `es` (Latin America) and `es-sp` (Spain) both become `es`;
# - `pt-br` and `pt-pt` both become `pt`; the applet's own wording decides the variant;
# - `zh-hans` (Simplified) and `zh` (Traditional, see portal/languages.py) both become `zh`.
#   ISO 639-1 has no script subtag, so Traditional readers may get Simplified text; leaving
#   `language` out for `zh` (applet detects the OS language) is the alternative if a real
#   account shows that `zh` means Simplified only.
LANGUAGE_FOR_LOCALE: dict[str, str] = {
    "en-us": "en",
    "de": "de",
    "es": "es",
    "es-sp": "es",
    "fi": "fi",
    "fr": "fr",
    "it": "it",
    "nl": "nl",
    "pt-br": "pt",
    "pt-pt": "pt",
    "sv-se": "sv",
    "tr": "tr",
    "ja": "ja",
    "zh-hans": "zh",
    "zh": "zh",
    "ru": "ru",
}

# Dashes a customer may type or paste between PIN groups. NFKC already turns the full-width
# hyphen and the non-breaking hyphen into one of these.
_PIN_DASHES = "-\u2010\u2012\u2013\u2014\u2212"
# Far longer than any PIN with separators: refuse before normalising a pasted novel.
_PIN_RAW_MAX_CHARS = 64


class TakeControlValueError(ValueError):
    """A value Take Control would reject; `field` names the offending input."""

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message)
        self.field = field


class InvalidPin(TakeControlValueError):
    """The customer's PIN is not 9 digits. `code` is "empty", "characters" or "length"."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message, field="pin")
        self.code = code


# ------------------------------------------------------------------------------
# Routing (docs/decisions/0016-takecontrol-routing.md)
# ------------------------------------------------------------------------------


class _Department(Protocol):
    @property
    def department_id(self) -> int | None: ...


class _Technician(Protocol):
    @property
    def username(self) -> str: ...


class _Issue(Protocol):
    @property
    def department(self) -> _Department | None: ...

    @property
    def technician(self) -> _Technician | None: ...


@dataclass(frozen=True)
class Route:
    """Where a start goes: the vendor's department number and a technician username."""

    department_id: int | None = None
    technician_username: str = ""


def route_for_start(*, issue: _Issue | None = None, technician: _Technician | None = None) -> Route:
    """docs/decisions/0016-takecontrol-routing.md: a technician chosen from the list wins over the
    issue's technician.

    Both values come from admin configuration (model instances), never from customer text.
    The issue's department is kept as well: the vendor routes to the technician when both are
    valid, and to the department's queue when the technician is not (the New Session API's
    fallback rules, docs/vendors/takecontrol.md#routing; that REST follows them too is UNCONFIRMED
    but likely). Note: `issue.department.department_id` is the vendor's number, whereas
    `issue.department_id` would be our database key. The caller resolves `technician` only among
    listed technicians of the site's backend.

    A technician whose stored username fails today's rule (`jane@localhost`, saved before the
    rule) is left out, and the start goes where the vendor sends one without a technician: the
    department's queue, else the general queue. The vendor would refuse the whole request, and
    the customer must not end on its error page
    (docs/decisions/0126-values-stored-before-todays-rules.md).
    """
    department = issue.department if issue is not None else None
    chosen = technician or (issue.technician if issue is not None else None)
    username = chosen.username if chosen is not None else ""
    if username and not is_technician_username(username):
        logger.warning(
            "Take Control start without technician %r: the username is no address on a domain. "
            "Admin: correct it in the backend's technicians.",
            username,
        )
        username = ""
    return Route(
        department_id=department.department_id if department is not None else None,
        technician_username=username,
    )


def is_technician_username(value: str) -> bool:
    """Whether Take Control takes `value` as a technician's username: an email address on a
    domain (docs/vendors/takecontrol.md#rest-create-session), the rule the admin's
    technician form applies (`jane@localhost` is refused)."""
    from portal.models import is_email_on_a_domain  # as customer_email_validator does

    return is_email_on_a_domain(value)


# ------------------------------------------------------------------------------
# Customer fields (docs/decisions/0014-takecontrol-redirect-start.md limits, shared by both start
# modes)
# ------------------------------------------------------------------------------


def check_customer_fields(
    *,
    customer_name: str = "",
    customer_email: str = "",
    customer_number: str = "",
    problem_description: str = "",
) -> None:
    """Raise `TakeControlValueError` for a value the vendor would reject
    (docs/decisions/0014-takecontrol-redirect-start.md).

    The survey form validates first and shows messages in the customer's language; this is
    the last line of defence, so the portal never builds a URL or a body the vendor refuses.
    """
    for field, value, limit in (
        ("customer_name", customer_name, limits.TC_NAME_MAX_CHARS),
        ("customer_email", customer_email, limits.TC_EMAIL_MAX_CHARS),
        ("customer_number", customer_number, limits.TC_NUMBER_MAX_CHARS),
        ("problem_description", problem_description, limits.TC_DESCRIPTION_MAX_CHARS),
    ):
        if len(value) > limit:
            raise TakeControlValueError(f"{field} is longer than {limit} characters", field=field)
    if customer_email:
        try:
            customer_email_validator()(customer_email)
        except ValidationError:
            raise TakeControlValueError(
                "customer_email is not an email address", field="customer_email"
            ) from None


def check_routing(*, department_id: int | None, technician_username: str) -> None:
    """Raise `TakeControlValueError` unless the department is a positive number and the
    technician an email address (docs/vendors/takecontrol.md#rest-create-session and
    docs/vendors/takecontrol.md#new-session-url). Both come from admin configuration."""
    if department_id is not None and (
        isinstance(department_id, bool) or not isinstance(department_id, int) or department_id < 1
    ):
        raise TakeControlValueError("department_id must be a positive integer", field="department_id")
    # Technician usernames are email addresses (docs/vendors/takecontrol.md#rest-create-session
    # and docs/vendors/takecontrol.md#new-session-url).
    if technician_username and not is_technician_username(technician_username):
        raise TakeControlValueError(
            "technician_username is not an email address", field="technician_username"
        )


# ------------------------------------------------------------------------------
# New Session URL (docs/decisions/0014-takecontrol-redirect-start.md)
# ------------------------------------------------------------------------------


def account_base_url(api_domain: str) -> str:
    """The account domain without `/rest` and trailing slashes.

    `https://api.us0.swi-rc.com/rest/` gives `https://api.us0.swi-rc.com`.
    docs/vendors/takecontrol.md#api-domain: the legacy endpoints sit on the REST domain with `/rest`
    replaced. A domain entered without `/rest` is used as it is.
    """
    base = api_domain.strip().rstrip("/")
    if base.lower().endswith("/rest"):
        base = base[: -len("/rest")].rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise TakeControlValueError(
            "the API domain must be an address like https://api.us0.swi-rc.com/rest",
            field="api_domain",
        )
    return base


def new_session_url(
    *,
    api_domain: str,
    uid: str,
    department_id: int | None = None,
    technician_username: str = "",
    customer_name: str = "",
    customer_email: str = "",
    customer_number: str = "",
    problem_description: str = "",
    ask_customer_info: bool = False,
) -> str:
    """`{domain without /rest}/integration/integration_api.php?uid=...`
    (docs/decisions/0014-takecontrol-redirect-start.md,
    docs/vendors/takecontrol.md#new-session-url).

    The customer's browser navigates here at the top level; the portal never fetches it (it
    delivers the applet). Values are UTF-8 percent-encoded with `%20` for spaces and `%7C`
    for `|` (docs/vendors/takecontrol.md#encoding) by `encode_query`, and checked against the
    vendor's limits.
    """
    if not uid:
        raise TakeControlValueError("the New Session API needs the account uid", field="uid")
    check_routing(department_id=department_id, technician_username=technician_username)
    check_customer_fields(
        customer_name=customer_name,
        customer_email=customer_email,
        customer_number=customer_number,
        problem_description=problem_description,
    )
    pairs = [
        ("uid", uid),
        ("department", "" if department_id is None else str(department_id)),
        ("tech", technician_username),
        ("customer_name", customer_name),
        ("customer_email", customer_email),
        ("customer_number", customer_number),
        ("problem_description", problem_description),
        ("ask_customer_info", "1" if ask_customer_info else ""),
    ]
    return f"{account_base_url(api_domain)}{NEW_SESSION_PATH}?{encode_query(pairs)}"


# ------------------------------------------------------------------------------
# PIN (docs/decisions/0017-takecontrol-pin.md)
# ------------------------------------------------------------------------------


def normalise_pin(raw: str) -> str:
    """The customer's PIN as 9 ASCII digits, or `InvalidPin`
    (docs/decisions/0017-takecontrol-pin.md, docs/vendors/takecontrol.md#pin).

    NFKC first, so full-width digits (１２３) typed on a Japanese or Chinese keyboard count as
    digits; then whitespace, dashes and invisible format characters (zero-width space, pasted
    from emails) are removed. Digits of other scripts (e.g. Arabic-Indic) are refused: none of
    the portal's 16 languages types them and the vendor's PIN is ASCII.
    """
    if len(raw) > _PIN_RAW_MAX_CHARS:
        raise InvalidPin("the PIN is too long", code="length")
    text = unicodedata.normalize("NFKC", raw)
    pin = "".join(
        ch for ch in text if not ch.isspace() and ch not in _PIN_DASHES and unicodedata.category(ch) != "Cf"
    )
    if not pin:
        raise InvalidPin("no PIN was entered", code="empty")
    if not re.fullmatch(r"[0-9]+", pin):
        raise InvalidPin("a PIN has digits only", code="characters")
    if len(pin) != limits.TC_PIN_LENGTH:
        raise InvalidPin(f"a PIN has {limits.TC_PIN_LENGTH} digits", code="length")
    return pin


def pin_url(*, template: str, pin: str) -> str:
    """The admin's PIN URL template with `{pin}` replaced by the normalised PIN
    (docs/decisions/0017-takecontrol-pin.md).

    Plain replacement rather than `str.format`, so other braces in an admin's URL are kept.
    The PIN is digits only after `normalise_pin`, so it needs no encoding.
    """
    if PIN_PLACEHOLDER not in template:
        raise TakeControlValueError("the PIN URL template must contain {pin}", field="tc_pin_url_template")
    return template.replace(PIN_PLACEHOLDER, normalise_pin(pin))


# ------------------------------------------------------------------------------
# Language (docs/decisions/0018-takecontrol-language.md)
# ------------------------------------------------------------------------------


def language_for_locale(locale: str) -> str:
    """The vendor's two-letter code for one of the portal's 16 codes; "" when unknown.

    Case and `_`/`-` are forgiven (`pt_BR`). An unknown code gives "" so the `language` field
    is left out and the applet detects the language itself, rather than guessing a code the
    vendor might reject.
    """
    return LANGUAGE_FOR_LOCALE.get(locale.strip().lower().replace("_", "-"), "")
