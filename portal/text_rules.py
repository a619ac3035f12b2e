"""What text a customer or an integration may send, shared by the customer forms
(`portal.forms`) and the integrations API (`portal.api`) without either importing the other
(docs/decisions/0051-shared-text-rules.md).

- The characters a vendor console cannot show: C0 and C1 controls, DEL and bidirectional
  overrides anywhere; tab and line breaks too in one-line fields. One definition, as regular
  expression character classes valid in Python and ECMA-262, so the API publishes the very same
  expression in its OpenAPI document (`not: {pattern: ...}`).
- What trimming removes (`STRIP_CHARS`) and how line ends are unified.
- The customer fields each vendor takes, with the vendor's limits
  (docs/decisions/0025-limits-in-the-vendors-units.md): the survey builds its fields from them
  and the API checks prefill values against them.

Messages are the callers' own: the forms translate theirs for customers, the API's are English
for integrators. `text_problem` only names what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _

from portal.models import Backend
from portal.vendors import limits

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# C0 and C1 controls and DEL (tab, line feed and carriage return apart), and the bidirectional
# overrides that can make a name read differently in the representative's console.
CONTROL_CHARS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
LINE_BREAK_CHARS = r"\t\n\r\u2028\u2029"  # refused in one-line fields
CONTROL_PATTERN = f"[{CONTROL_CHARS}]"
ONE_LINE_CONTROL_PATTERN = f"[{CONTROL_CHARS}{LINE_BREAK_CHARS}]"
_CONTROL_RE = re.compile(CONTROL_PATTERN)
_LINE_BREAK_RE = re.compile(f"[{LINE_BREAK_CHARS}]")

CONTROL, LINE_BREAK = "control", "line_break"

# What Python's str.strip() removes, spelled out: trimming strips exactly these, and the page
# gets them (the counter's data-strip) so the live counter normalises the text the same way.
STRIP_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004"
    "\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def text_problem(value: str, *, multiline: bool = False) -> str:
    """`CONTROL` or `LINE_BREAK` when the value breaks the rule above (anywhere in it), else ""."""
    if _CONTROL_RE.search(value):
        return CONTROL
    if not multiline and _LINE_BREAK_RE.search(value):
        return LINE_BREAK
    return ""


def normalise(value: str) -> str:
    """Line ends unified to `\\n`, surrounding space (STRIP_CHARS) trimmed."""
    return value.replace("\r\n", "\n").replace("\r", "\n").strip(STRIP_CHARS)


def strip_pattern() -> str:
    """STRIP_CHARS as a regular-expression character class body (\\uXXXX escapes), for the page."""
    return "".join(f"\\u{ord(ch):04x}" for ch in STRIP_CHARS)


@dataclass(frozen=True)
class CustomerField:
    """One customer field of the survey: form name, the Site attribute saying whether it is
    asked (FieldMode), label, autocomplete token and the vendor's limit."""

    name: str
    mode_attr: str
    label: StrOrPromise
    autocomplete: str
    max_chars: int | None = None
    max_bytes: int | None = None
    multiline: bool = False
    email: bool = False


# The customer fields each vendor takes, with its limits
# (docs/decisions/0025-limits-in-the-vendors-units.md): the one place that says which survey a
# backend gets.
BEYONDTRUST_CUSTOMER_FIELDS = (
    CustomerField("name", "name_field", _("Your name"), "name", max_chars=limits.CUSTOMER_TEXT_MAX_CHARS),
    CustomerField(
        "company", "company_field", _("Company"), "organization", max_chars=limits.CUSTOMER_TEXT_MAX_CHARS
    ),
    CustomerField(
        "company_code",
        "company_code_field",
        _("Company code"),
        "off",
        max_chars=limits.CUSTOMER_TEXT_MAX_CHARS,
    ),
    CustomerField(
        "details",
        "details_field",
        _("Describe the problem"),
        "off",
        max_bytes=limits.DETAILS_MAX_BYTES,
        multiline=True,
    ),
    CustomerField(
        "external_key",
        "external_key_field",
        _("Ticket number"),
        "off",
        max_chars=limits.CUSTOM_FIELD_MAX_CHARS,
    ),
)
# Legacy Bomgar `download_customer_connector.ns`: its guide limits `customer_desc` to 1024
# characters (not bytes, as `customer.details` is); the rest as above.
LEGACY_CUSTOMER_FIELDS = tuple(
    CustomerField(
        f.name, f.mode_attr, f.label, f.autocomplete, max_chars=limits.LEGACY_DESC_MAX_CHARS, multiline=True
    )
    if f.name == "details"
    else f
    for f in BEYONDTRUST_CUSTOMER_FIELDS
)
# Take Control (docs/decisions/0014-takecontrol-redirect-start.md): characters, an email address, no
# custom fields, no external key and no chat-only mode.
TAKECONTROL_CUSTOMER_FIELDS = (
    CustomerField("name", "name_field", _("Your name"), "name", max_chars=limits.TC_NAME_MAX_CHARS),
    CustomerField(
        "email", "email_field", _("Email address"), "email", max_chars=limits.TC_EMAIL_MAX_CHARS, email=True
    ),
    CustomerField(
        "customer_number",
        "customer_number_field",
        _("Customer number"),
        "off",
        max_chars=limits.TC_NUMBER_MAX_CHARS,
    ),
    CustomerField(
        "details",
        "details_field",
        _("Describe the problem"),
        "off",
        max_chars=limits.TC_DESCRIPTION_MAX_CHARS,
        multiline=True,
    ),
)
ALL_CUSTOMER_FIELD_TABLES = (BEYONDTRUST_CUSTOMER_FIELDS, LEGACY_CUSTOMER_FIELDS, TAKECONTROL_CUSTOMER_FIELDS)


def customer_fields_for(backend: Backend) -> tuple[CustomerField, ...]:
    if backend.kind == Backend.Kind.TAKECONTROL:
        return TAKECONTROL_CUSTOMER_FIELDS
    if backend.kind == Backend.Kind.LEGACY:
        return LEGACY_CUSTOMER_FIELDS
    return BEYONDTRUST_CUSTOMER_FIELDS
