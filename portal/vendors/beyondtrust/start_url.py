"""Start URLs for BeyondTrust `/api/start_session` (modern) and Bomgar `.ns` (legacy).

Implements docs/decisions/0001-beyondtrust-start-url-styles.md to
docs/decisions/0008-timezone-offset-from-browser.md. One builder per style, both taking the same
`StartParams`; the caller validates values against `portal.vendors.limits` first.

Choices where the vendor material is silent (written down here and in the issue note):
- Parameter order is fixed: the queue selector first, then chat, customer fields, language,
  platform, priority, skills, time zone, external key, custom fields (in the admin's order).
- `session.skills` keeps its commas literal, as the vendor's examples show; skill code names
  never need escaping (`[A-Za-z0-9_-]`).
- The legacy `.ns` builder sends only the parameters the old guide documents
  (docs/decisions/0001-beyondtrust-start-url-styles.md): custom fields, skills, priority, locale,
  chat, platform and time zone have no legacy name and are not sent, rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from portal.vendors import limits
from portal.vendors.urls import encode_query


@dataclass(frozen=True)
class StartParams:
    """Everything one start may carry. Exactly one selector: rep, short_key or issue."""

    rep_id: int | None = None
    rep_name: str = ""
    short_key: str = ""
    issue_code_name: str = ""
    issue_id: int | None = None
    customer_name: str = ""
    customer_company: str = ""
    customer_company_code: str = ""
    customer_details: str = ""
    external_key: str = ""
    custom: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    priority: int | None = None
    skills: tuple[str, ...] = ()
    locale: str = ""
    chat_locale: str = ""
    chat: bool = False
    platform: str = ""
    timezone_offset: int | None = None

    def __post_init__(self):
        # A rep picked in the survey's issue menu (docs/decisions/0010-reps-in-issue-menu.md) is an
        # issue start whose issue_id is the rep's id; only the rep list uses rep_id + rep_name.
        selectors = [self.rep_id is not None, bool(self.short_key), self.is_issue]
        if sum(selectors) != 1:
            raise ValueError("exactly one queue selector is required")
        if self.rep_id is not None and not self.rep_name:
            raise ValueError("a rep start needs both id and public display name")
        if self.issue_code_name and self.issue_id is not None:
            raise ValueError("codeName and id are exclusive")

    @property
    def is_issue(self) -> bool:
        return bool(self.issue_code_name) or self.issue_id is not None


CODE_NAME_RE = re.compile(limits.CODE_NAME_PATTERN)
KEY_RE = re.compile(limits.SESSION_KEY_PATTERN)
PLATFORMS = ("", "winNT-32", "winNT-64")


def check_values(params: StartParams, *, legacy: bool = False) -> None:
    """The last line of defence (docs/decisions/0025-limits-in-the-vendors-units.md): raise
    ValueError, naming the parameter but never its value, for a value the vendor would reject
    that slipped past the forms (a row saved without the admin's checks, say), so no URL
    carries it. The limits are docs/decisions/0005-beyondtrust-limits.md's; the legacy
    `customer_desc` counts characters where `customer.details` counts UTF-8 bytes."""
    for name in ("customer_name", "customer_company", "customer_company_code"):
        if len(getattr(params, name)) > limits.CUSTOMER_TEXT_MAX_CHARS:
            raise ValueError(f"{name} is over {limits.CUSTOMER_TEXT_MAX_CHARS} characters")
    details = params.customer_details
    if legacy and len(details) > limits.LEGACY_DESC_MAX_CHARS:
        raise ValueError(f"customer_details is over {limits.LEGACY_DESC_MAX_CHARS} characters")
    if not legacy and limits.utf8_len(details) > limits.DETAILS_MAX_BYTES:
        raise ValueError(f"customer_details is over {limits.DETAILS_MAX_BYTES} UTF-8 bytes")
    custom = [(limits.EXTERNAL_KEY_CODE, params.external_key), *params.custom]
    for code, _value in custom[1:]:
        if code == limits.EXTERNAL_KEY_CODE or not CODE_NAME_RE.fullmatch(code):
            raise ValueError("a custom field's code name is not one a custom field may have")
    for code, value in custom:
        if len(value) > limits.CUSTOM_FIELD_MAX_CHARS:
            raise ValueError(f"custom field {code} is over {limits.CUSTOM_FIELD_MAX_CHARS} characters")
    if sum(limits.utf8_len(value) for _code, value in custom) > limits.CUSTOM_TOTAL_MAX_BYTES:
        raise ValueError(f"the custom fields together are over {limits.CUSTOM_TOTAL_MAX_BYTES} UTF-8 bytes")
    if params.short_key and not KEY_RE.fullmatch(params.short_key):
        raise ValueError(f"short_key is no {limits.SESSION_KEY_LENGTH}-character key")
    if params.priority is not None and params.priority not in limits.PRIORITIES:
        raise ValueError("priority is not 1, 2 or 3")
    offset = params.timezone_offset
    if offset is not None and not limits.TIMEZONE_OFFSET_MIN <= offset <= limits.TIMEZONE_OFFSET_MAX:
        raise ValueError("timezone_offset is out of range")
    if params.platform not in PLATFORMS:
        raise ValueError("platform is not winNT-32 or winNT-64")


# Systems whose user agent says "Windows" but that run no Windows desktop program, the
# client's build included: Windows Phone and Windows 10 Mobile, Windows Mobile and Windows CE,
# the Xbox (its Edge says "Windows NT 10.0; Win64; x64; Xbox"), and Windows RT ("Windows NT 6.2;
# ARM"). They get no platform, as every other system (docs/decisions/0007-platform-from-user-agent.md).
NOT_A_WINDOWS_PC = re.compile(r"Windows Phone|Windows Mobile|Windows CE|IEMobile|Xbox|\bARM\b")


def platform_for_user_agent(user_agent: str) -> str:
    """docs/decisions/0007-platform-from-user-agent.md: winNT-64 for 64-bit Windows, winNT-32 for
    other Windows, else nothing (phones, consoles and Windows RT included)."""
    if "Windows" not in user_agent or NOT_A_WINDOWS_PC.search(user_agent):
        return ""
    if re.search(r"Win64|x64|WOW64", user_agent):
        return "winNT-64"
    return "winNT-32"


def _custom_pairs(params: StartParams, prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}{code}", value) for code, value in params.custom]


def modern_start_url(base_url: str, params: StartParams, *, key_only: bool = False) -> str:
    """`https://HOST/api/start_session?...`.

    `key_only` is docs/decisions/0006-prompt-before-download.md: the appliance prompts before
    download, so a session-key start carries the key and the external key alone. ValueError:
    a value the vendor would reject (`check_values`).
    """
    check_values(params)
    pairs: list[tuple[str, str]] = []
    if params.short_key:
        pairs.append(("short_key", params.short_key))
        if key_only:
            pairs.append(("session.custom.external_key", params.external_key))
            return f"{base_url}/api/start_session?{encode_query(pairs)}"
    elif params.is_issue:
        pairs.append(("issue_menu", "1"))
        if params.issue_code_name:
            pairs.append(("codeName", params.issue_code_name))
        else:
            pairs.append(("id", str(params.issue_id)))
    else:
        pairs += [("id", str(params.rep_id)), ("name", params.rep_name)]
    pairs += [
        ("c2cjs", "1" if params.chat else ""),
        ("customer.name", params.customer_name),
        ("customer.company", params.customer_company),
        ("customer.company_code", params.customer_company_code),
        ("customer.details", params.customer_details),
        ("locale", params.locale),
        ("chat_locale", params.chat_locale),
        ("platform", params.platform),
        ("session.priority", str(params.priority) if params.priority else ""),
    ]
    query = encode_query(pairs)
    if params.skills:  # each code name encoded, the separating commas literal
        query += "&session.skills=" + ",".join(quote(skill, safe="") for skill in params.skills)
    tail = [
        ("timezone_offset", "" if params.timezone_offset is None else str(params.timezone_offset)),
        ("session.custom.external_key", params.external_key),
        *_custom_pairs(params, "session.custom."),
    ]
    rest = encode_query(tail)
    query = "&".join(part for part in (query, rest) if part)
    return f"{base_url}/api/start_session?{query}"


def legacy_start_url(base_url: str, params: StartParams, *, key_only: bool = False) -> str:
    """`https://HOST/download_customer_connector.ns?...` with the old Bomgar names.

    Its `customer_desc` holds 1024 characters (limits.LEGACY_DESC_MAX_CHARS), unlike the modern
    `customer.details`, which holds 1024 UTF-8 bytes; the survey checks each by its own rule,
    and `check_values` again.
    """
    check_values(params, legacy=True)
    pairs: list[tuple[str, str]] = []
    if params.short_key:
        pairs.append(("short_key", params.short_key))
    elif params.is_issue:
        # The legacy form knows only `id` for the issue
        # (docs/decisions/0001-beyondtrust-start-url-styles.md); a code name has no legacy
        # parameter, so issues on a legacy backend need their numeric ID.
        if params.issue_id is None:
            raise ValueError("a legacy issue start needs the issue's numeric ID")
        pairs += [("issue_menu", "1"), ("id", str(params.issue_id))]
    else:
        pairs += [("id", str(params.rep_id)), ("name", params.rep_name)]
    if not (params.short_key and key_only):
        pairs += [
            ("customer_name", params.customer_name),
            ("customer_company", params.customer_company),
            ("customer_company_code", params.customer_company_code),
            ("customer_desc", params.customer_details),
        ]
    pairs.append(("external_key", params.external_key))
    return f"{base_url}/download_customer_connector.ns?{encode_query(pairs)}"
