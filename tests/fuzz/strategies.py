"""Hypothesis strategies for hostile HTTP input: any Unicode (lone surrogates sent as their
raw UTF-8-style bytes), control and bidi characters, NUL, huge values, repeated and unknown
parameters, raw bytes bodies, wrong methods and content types, and the public forms' guard
fields valid most of the time so that the forms' own validation is really reached."""

from __future__ import annotations

import json
from urllib.parse import quote

from hypothesis import strategies as st

from portal import guards

NASTY = [
    "12",
    "21",
    "\x00",
    "\x01",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x85",
    "\x9f",
    "\t",
    "\n",
    "\r\n",
    "\r",
    "\u2028",
    "\u2029",
    "\u202e",
    "\u2066",
    "\u200b",
    "\ufeff",
    "\ud800",
    "\udfff",
    "é",
    "€",
    "😀",
    "１２３",
    "ー",
    "<script>",
    "%00",
    "%",
    "&",
    "=",
    "+",
    ";",
    "'",
    '"',
    "javascript:",
    "//evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "{pin}",
    " ",
    "\u3000",
]

# Any code point, surrogates included: they cannot be UTF-8, so `encode` below sends them as
# the bytes a careless client would (surrogatepass) and the server must cope with invalid UTF-8.
_any_char = st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF)
_short_text = st.text(_any_char, max_size=12) | st.sampled_from(NASTY)


def _repeat(piece: str, times: int) -> str:
    return piece * times


text = st.one_of(
    st.text(_any_char, max_size=40),
    st.lists(_short_text, max_size=8).map("".join),
    st.builds(_repeat, _short_text, st.integers(1, 1500)),  # huge values, up to ~18k chars
    st.from_regex(r"\A[0-9 \-]{0,20}\Z"),  # key-, PIN- and id-shaped
    st.sampled_from(
        [
            "",
            "1",
            "0",
            "-1",
            "99999999999999999999",
            "1234567",
            "123456789",
            "general",
            "printing",
            "vpn",
            "on",
            "yes",
            "de",
            "ja",
            "fr",
            "jane@example.com",
            '"a\x01\x1bb"@example.com',  # an address Django's EmailField alone accepts
            "\u0661\u0662",  # digits, not ASCII ones
            "3,5",
        ]
    ),
)


def encode(value: str) -> str:
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def form_body(pairs: list[tuple[str, str]]) -> bytes:
    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs).encode("ascii")


@st.composite
def params(draw, names: list[str], choices: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Known parameter names (sometimes repeated) and unknown ones, with hostile values or
    values the page offers (`choices`: issue codes, rep and technician ids)."""
    values = (text | st.sampled_from(choices)) if choices else text
    known = draw(st.lists(st.tuples(st.sampled_from(names), values), max_size=len(names) + 3))
    unknown = draw(st.lists(st.tuples(text, text), max_size=2))
    pairs = known + unknown
    return draw(st.permutations(pairs)) if len(pairs) < 8 else pairs


@st.composite
def guard_fields(draw) -> list[tuple[str, str]]:
    """The signed timestamp and honeypot: valid about 85% of the time."""
    valid = draw(st.integers(0, 99)) < 85
    if valid:
        return [(guards.TIMESTAMP_FIELD, guards.form_timestamp()), (guards.HONEYPOT_FIELD, "")]
    ts = draw(st.sampled_from([guards.form_timestamp() + "x", "", "form:1:abc", None]) | text)
    pairs = [(guards.HONEYPOT_FIELD, draw(st.sampled_from(["", "http://spam.example"]) | text))]
    if ts is not None:
        pairs.append((guards.TIMESTAMP_FIELD, ts))
    return pairs


@st.composite
def public_post(
    draw, names: list[str], choices: tuple[str, ...] = (), valid: tuple[tuple[str, str], ...] = ()
) -> dict:
    """A request for a public form: mostly a well-formed POST from our own page. Half of them
    start from `valid` (a start the form accepts) and add or override parameters (a repeated
    name: the form reads the last), so that starts really happen and are checked."""
    base = list(valid) if draw(st.integers(0, 99)) < 50 else []
    pairs = base + draw(params(names, choices)) + draw(guard_fields())
    method = draw(
        st.sampled_from(["POST"] * 40 + ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE"])
    )
    kind = draw(st.sampled_from(["form"] * 30 + ["bytes", "json", "text", "multipart-bad", "charset"]))
    content_type, body = "application/x-www-form-urlencoded", form_body(pairs)
    if kind == "bytes":
        body = draw(st.binary(max_size=300))
    elif kind == "json":
        content_type = "application/json"
        body = json.dumps(dict(pairs)).encode()
    elif kind == "text":
        content_type = "text/plain"
    elif kind == "multipart-bad":
        content_type = draw(st.sampled_from(["multipart/form-data", "multipart/form-data; boundary=x"]))
    elif kind == "charset":
        content_type += "; charset=" + draw(st.sampled_from(["latin-1", "utf-16", "bogus", ""]))
    headers = {}
    origin = draw(st.sampled_from([None] * 10 + ["http://testserver", "https://evil.example", "null"]))
    if origin:
        headers["HTTP_ORIGIN"] = origin
    fetch_site = draw(st.sampled_from([None] * 10 + ["same-origin", "cross-site", "none"]))
    if fetch_site:
        headers["HTTP_SEC_FETCH_SITE"] = fetch_site
    return {"method": method, "content_type": content_type, "body": body, "headers": headers}


def query_string(pairs: list[tuple[str, str]]) -> str:
    return form_body(pairs).decode("ascii")


def send(client, path: str, request: dict):
    return client.generic(
        request["method"], path, request["body"], content_type=request["content_type"], **request["headers"]
    )
