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


def platform_for_user_agent(user_agent: str) -> str:
    """docs/decisions/0007-platform-from-user-agent.md: winNT-64 for 64-bit Windows, winNT-32 for
    other Windows, else nothing."""
    if "Windows" not in user_agent:
        return ""
    if re.search(r"Win64|x64|WOW64", user_agent):
        return "winNT-64"
    return "winNT-32"


def _custom_pairs(params: StartParams, prefix: str) -> list[tuple[str, str]]:
    return [(f"{prefix}{code}", value) for code, value in params.custom]


def modern_start_url(base_url: str, params: StartParams, *, key_only: bool = False) -> str:
    """`https://HOST/api/start_session?...`.

    `key_only` is docs/decisions/0006-prompt-before-download.md: the appliance prompts before
    download, so a session-key start carries the key and the external key alone.
    """
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
    `customer.details`, which holds 1024 UTF-8 bytes; the survey checks each by its own rule.
    """
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
