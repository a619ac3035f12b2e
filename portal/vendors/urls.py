"""Query-string encoding shared by every vendor's start URL builder."""

from urllib.parse import quote


def encode_query(pairs: list[tuple[str, str]]) -> str:
    """UTF-8 percent-encoding with %20 for spaces, keys kept as written, empty values dropped.

    Values are encoded strictly (RFC 3986 unreserved characters only), which every server
    decodes the same way the vendors' own encodeURIComponent output is decoded.
    """
    return "&".join(f"{key}={quote(value, safe='')}" for key, value in pairs if value != "")
