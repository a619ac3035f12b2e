"""Signed prefill links (docs/decisions/0023-signed-prefill-links.md): a help desk's values the
customer cannot change.

A link carries the prefill parameters plus `exp` (Unix time in seconds) and `sig`, the hex
HMAC-SHA256 of the canonical query (every parameter but `sig`, sorted, RFC 3986-encoded) under
the site's prefill secret. A valid, unexpired link whose `exp` is at most `EXP_AHEAD_MAX` (91
days) ahead locks its values; anything else is an ordinary, editable prefill. Each parameter
may appear once: a repeated name makes the link invalid, because a verifier and a browser could
read different values.

Example (Python, for a help-desk integration):

    query = sign_prefill(secret=SECRET, values={"external_key": "INC0012345", "name": "Jane"},
                         expires_at=int(time.time()) + 86400)
    url = f"https://support.example.com/survey/?{query}"
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import parse_qsl, quote

from django.conf import settings
from django.urls import reverse

from portal.conf import REQUEST_LINE_MAX

SIGNATURE = "sig"
EXPIRES = "exp"
# `locale` is not signable: the customer's language picker rewrites it on every link.
BUILT_IN = (
    "key",
    "name",
    "company",
    "company_code",
    "details",
    "issue",
    "external_key",
    "email",
    "customer_number",
)

# What a link may set on each page: the key page takes the key and the external key; the survey
# every built-in name but the key, and its custom fields (`cf_<code name>`) as each allows; the
# representative list the external key; the technician list nothing.
KEY_PAGE_NAMES = ("key", "external_key")
SURVEY_NAMES = tuple(name for name in BUILT_IN if name != "key")
REP_LIST_NAMES = ("external_key",)


# The pages a signed link may open, as the API's `flow` and the command's --flow name them, and
# each page's URL name. `home` is the landing page: its key form locks what the key page locks,
# and its links carry the whole query, signature included, on to the survey and the person
# lists, which lock what they take (docs/decisions/0104-signed-links-to-the-landing-page.md).
LINK_PAGES = {"survey": "survey", "key": "session_key", "home": "home"}

# The pages whose links carry a link's whole query on (the landing page's buttons).
ONWARD_PAGES = {"home": ("survey", "reps", "technicians")}
# What the portal's own links add to a link's query: the frame's layout and the language (the
# longest code, `zh-hans`; the language links and the landing page's buttons end with it).
ADDED_BY_PAGES = "&embed=1&locale=zh-hans"


def request_line_length(*, flow: str, query: str) -> int:
    """The longest request line a browser sends for a signed link to `flow` and the portal's
    own links on from its page: `GET <path>?<query> HTTP/1.1`, in bytes (the query is
    percent-encoded ASCII), with what the pages add (`ADDED_BY_PAGES`)."""
    paths = [reverse(name) for name in (LINK_PAGES[flow], *ONWARD_PAGES.get(flow, ()))]
    return len(f"GET {max(paths, key=len)}?{query}{ADDED_BY_PAGES} HTTP/1.1")


def link_too_long(*, flow: str, query: str) -> str:
    """Why a signed link could not be opened, else "": the portal's server refuses a request
    line over `REQUEST_LINE_MAX` (gunicorn's limit_request_line) with a bare 400, and the
    customer would see only that. The API and `portal_prefill_link` refuse to sign it
    (docs/decisions/0121-prefill-links-fit-the-servers-request-line.md)."""
    length = request_line_length(flow=flow, query=query)
    if length <= REQUEST_LINE_MAX:
        return ""
    return (
        f"The link is too long to open: a browser would ask for it in a request line of {length} "
        f"bytes (with the language and frame parameters the portal's pages add), and the portal's "
        f"server takes at most {REQUEST_LINE_MAX}. Shorten the values."
    )


# How long a signed link may lock its values: the API's `expires_in` and the command's --hours.
LINK_TTL_MIN, LINK_TTL_MAX = 60, 90 * 24 * 3600  # a minute; 90 days
# The furthest ahead a link's `exp` may be and the link still lock: the longest link the API or
# the command makes, and a day for a signing machine whose clock is ahead. Any further (an `exp`
# in milliseconds, a typo) would lock for ever: such a link is not taken as signed.
EXP_AHEAD_MAX = LINK_TTL_MAX + 24 * 3600


def new_secret() -> str:
    """A site's prefill link secret that no one had to invent: 256 random bits, URL-safe text
    (docs/decisions/0105-generated-prefill-secret.md)."""
    return secrets.token_urlsafe(32)


def is_prefill_name(name: str) -> bool:
    return name in BUILT_IN or (name.startswith("cf_") and len(name) > 3)


def canonical(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in sorted(pairs))


def signature(*, secret: str, pairs: list[tuple[str, str]]) -> str:
    return hmac.new(secret.encode(), canonical(pairs).encode(), hashlib.sha256).hexdigest()


def sign_prefill(*, secret: str, values: dict[str, str], expires_at: int) -> str:
    """The query string of a signed link: the values, `exp` and `sig`."""
    unknown = [name for name in values if not is_prefill_name(name)]
    if unknown:
        raise ValueError(f"not prefill parameters: {', '.join(unknown)}")
    pairs = [(k, str(v)) for k, v in values.items()] + [(EXPIRES, str(int(expires_at)))]
    return canonical(pairs) + f"&{SIGNATURE}={signature(secret=secret, pairs=pairs)}"


def verified_values(*, secret: str, query: str, now: float | None = None) -> dict[str, str]:
    """The locked values of a valid signed query string, else {} (never an exception)."""
    if not secret or not query:
        return {}
    try:
        # The POST carries the query back in a form field, which may hold megabytes: no more
        # parameters than Django takes in an address or a form (DATA_UPLOAD_MAX_NUMBER_FIELDS).
        pairs = parse_qsl(
            query, keep_blank_values=True, max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        )
    except ValueError:
        return {}
    names = [name for name, _value in pairs]
    if len(names) != len(set(names)):
        return {}
    given = dict(pairs).get(SIGNATURE, "")
    signed_pairs = [(k, v) for k, v in pairs if k != SIGNATURE]
    # compare_digest refuses str with non-ASCII characters (a raised TypeError was a 500 for
    # any `sig=é` in a URL): compare the UTF-8 bytes; a hex signature is ASCII anyway.
    expected = signature(secret=secret, pairs=signed_pairs).encode()
    if not given or not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected):
        return {}
    try:
        expires_at = int(dict(pairs)[EXPIRES])
    except (KeyError, ValueError):
        return {}
    now = time.time() if now is None else now
    if not now <= expires_at <= now + EXP_AHEAD_MAX:
        return {}
    return {k: v for k, v in signed_pairs if k != EXPIRES and is_prefill_name(k)}


def signed_part(query: str) -> str:
    """The parameters a signature covers, to carry them through the POST unchanged."""
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{quote(k, safe='')}={quote(v, safe='')}"
        for k, v in pairs
        if is_prefill_name(k) or k in (EXPIRES, SIGNATURE)
    )
