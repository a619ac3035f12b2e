"""URL rules shared by every vendor: the start URL's query-string encoding, and which links a
vendor's answer may pass on to a customer or an integration."""

import unicodedata
from urllib.parse import quote, urlsplit


def encode_query(pairs: list[tuple[str, str]]) -> str:
    """UTF-8 percent-encoding with %20 for spaces, keys kept as written, empty values dropped.

    Values are encoded strictly (RFC 3986 unreserved characters only), which every server
    decodes the same way the vendors' own encodeURIComponent output is decoded.
    """
    return "&".join(f"{key}={quote(value, safe='')}" for key, value in pairs if value != "")


def vendor_link(value: object, *, schemes: tuple[str, ...] = ("https",)) -> str:
    """A link from a vendor's answer, if it is a plain URL a customer may be sent to, else "".

    Plain: one of `schemes`, a host, no user name or password (`https://vendor@evil`), and no
    whitespace, control or format character (a bidi override) anywhere. A vendor answer is not
    our input, but an impersonated or broken appliance must not make the portal hand out
    `javascript:` or `data:` links, which integrations put into chat messages and pages as they
    come.
    """
    if not isinstance(value, str) or any(unicodedata.category(ch)[0] in "CZ" for ch in value):
        return ""  # C0 and C1 controls, format characters (bidi overrides), any space or separator
    try:
        parts = urlsplit(value)
        hostname, username = parts.hostname, parts.username
    except ValueError:  # a malformed port or IPv6 literal
        return ""
    return value if parts.scheme.lower() in schemes and hostname and username is None else ""
