"""What every generated request must respect, whatever it sent: never a 5xx, never a redirect
off our own origin or the configured vendor's, and a vendor start URL within every limit of
`portal.vendors.limits` (the vendor's own unit: characters or UTF-8 bytes)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qsl, urlsplit

from portal.models import Backend, Site
from portal.vendors import limits

OUR_ORIGIN = "http://testserver"  # Django's test client
CODE_NAME = re.compile(limits.CODE_NAME_PATTERN)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def vendor_origins(backend: Backend) -> set[str]:
    """Where a start on this backend may send the customer."""
    origins = {origin(backend.base_url)}
    if backend.kind == Backend.Kind.TAKECONTROL:
        host = urlsplit(backend.base_url).netloc
        origins.add(f"https://{host}".lower())  # the new-session page is on the account's host
        template = backend.tc_pin_url_template or "https://startcontrol.com/{pin}"
        origins.add(origin(template.replace("{pin}", "0")))
    return origins


def check_response(response, *, site: Site) -> None:
    """No server error; any Location is ours or the backend's, and within the vendor's limits."""
    assert response.status_code < 500, (response.status_code, response.content[:300])
    location = response.headers.get("Location")
    if location is None:
        return
    # Browsers read a backslash as a slash and ignore tabs and newlines in URLs: a relative
    # Location must be a plain path, not "//evil", "/\\evil" or "\t//evil".
    if not re.match(r"^[a-z][a-z0-9+.-]*:", location, re.I):
        assert location.startswith("/") and not re.match(r"^/[/\\]", location), location
        assert not re.search(r"[\x00-\x20\\]", location.split("?")[0]), location
        return
    allowed = {OUR_ORIGIN} | vendor_origins(site.backend)
    assert origin(location) in allowed, location
    assert not re.search(r"[\x00-\x20]", location), location
    if origin(location) != OUR_ORIGIN:
        check_vendor_url(location, backend=site.backend)


def check_name(name: str) -> None:
    """A customer name sent at all has a letter or digit of some script (Unicode L or N)."""
    if name:
        # The Hangul fillers are letters that draw nothing (default-ignorable).
        assert any(
            unicodedata.category(ch)[0] in "LN" and ch not in "\u115f\u1160\u3164\uffa0" for ch in name
        ), name


def check_vendor_url(url: str, *, backend: Backend) -> None:
    query = parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=False)
    names = [name for name, _value in query]
    assert len(names) == len(set(names)), f"a parameter repeated: {url}"
    values = dict(query)
    if backend.is_beyondtrust:
        check_beyondtrust(values)
    else:
        check_takecontrol(url, values)


def check_beyondtrust(values: dict[str, str]) -> None:
    custom = {k: v for k, v in values.items() if k.startswith("session.custom.") or k.startswith("custom.")}
    for name in (
        "customer.name",
        "customer.company",
        "customer.company_code",
        "customer_name",
        "customer_company",
        "customer_company_code",
    ):
        assert len(values.get(name, "")) <= limits.CUSTOMER_TEXT_MAX_CHARS, name
    for name in ("customer.name", "customer_name"):
        check_name(values.get(name, ""))
    assert limits.utf8_len(values.get("customer.details", "")) <= limits.DETAILS_MAX_BYTES
    # The legacy .ns names: the old guide counts characters (docs/vendors/bomgar-legacy.md).
    assert len(values.get("customer_desc", "")) <= limits.LEGACY_DESC_MAX_CHARS
    assert len(values.get("external_key", "")) <= limits.CUSTOM_FIELD_MAX_CHARS
    for name, value in custom.items():
        assert CODE_NAME.fullmatch(name.rsplit(".", 1)[-1]), name
        assert len(value) <= limits.CUSTOM_FIELD_MAX_CHARS, name
    assert sum(limits.utf8_len(v) for v in custom.values()) <= limits.CUSTOM_TOTAL_MAX_BYTES
    if "short_key" in values:
        assert re.fullmatch(rf"[0-9]{{{limits.SESSION_KEY_LENGTH}}}", values["short_key"]), values
    if "codeName" in values:
        assert CODE_NAME.fullmatch(values["codeName"]), values
    if "id" in values:
        assert re.fullmatch(r"[0-9]{1,18}", values["id"]), values
    if "session.priority" in values:
        assert int(values["session.priority"]) in limits.PRIORITIES
    for skill in filter(None, values.get("session.skills", "").split(",")):
        assert CODE_NAME.fullmatch(skill), skill
    if "timezone_offset" in values:
        offset = int(values["timezone_offset"])
        assert limits.TIMEZONE_OFFSET_MIN <= offset <= limits.TIMEZONE_OFFSET_MAX
    for value in values.values():
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", value), value


def check_takecontrol(url: str, values: dict[str, str]) -> None:
    if "uid" not in values:  # the PIN page: the template with nine digits
        digits = re.findall(r"[0-9]+", urlsplit(url).path + urlsplit(url).query)
        assert any(len(d) == limits.TC_PIN_LENGTH for d in digits), url
        return
    for name, limit in (
        ("customer_name", limits.TC_NAME_MAX_CHARS),
        ("customer_email", limits.TC_EMAIL_MAX_CHARS),
        ("customer_number", limits.TC_NUMBER_MAX_CHARS),
        ("problem_description", limits.TC_DESCRIPTION_MAX_CHARS),
    ):
        assert len(values.get(name, "")) <= limit, name
    check_name(values.get("customer_name", ""))
    for value in values.values():
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", value), value
