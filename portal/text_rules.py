"""What text a customer or an integration may send, shared by the customer forms
(`portal.forms`) and the integrations API (`portal.api`) without either importing the other
(docs/decisions/0051-shared-text-rules.md).

- The characters a vendor console cannot show: C0 and C1 controls, DEL and bidirectional
  overrides anywhere; tab and line breaks too in one-line fields. One definition, as regular
  expression character classes valid in Python and ECMA-262, so the API publishes the very same
  expression in its OpenAPI document (`not: {pattern: ...}`).
- What trimming removes (`STRIP_CHARS`) and how line ends are unified.
- Which fields carry a person's name, and that a name has something to read: at least one
  letter or digit of any script (`has_letter_or_digit`), so "😀😀" or "!!!" never reaches a
  representative as a customer's name; and nothing invisible or undefined inside it
  (`name_problem`: no zero-width space, private-use character or noncharacter; the joiners
  only where Persian, Indic and emoji need them). The API's computer name takes the same rule.
- The customer fields each vendor takes, with the vendor's limits
  (docs/decisions/0025-limits-in-the-vendors-units.md), from the backend's adapter: the survey
  builds its fields from them and the API checks prefill values against them.

Messages are the callers' own: the forms translate theirs for customers, the API's are English
for integrators. `text_problem` only names what is wrong.
"""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from portal.vendors.base import CustomerField
from portal.vendors.registry import adapter_for, all_customer_field_tables

if TYPE_CHECKING:
    from portal.models import Backend

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


# The customer fields that name the customer to the representative (every vendor's `name`).
NAME_FIELDS = frozenset({"name"})


# The letters Unicode makes default-ignorable (DerivedCoreProperties.txt): the Hangul fillers
# draw nothing, so "\u3164" is a blank name to the representative however it is categorised (Lo).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def has_letter_or_digit(value: str) -> bool:
    """Whether the text has a letter or a digit of any script (Unicode categories L and N) that
    draws something: "李", "Ødegård", "محمد" and "R2" have, "😀😀", "!!!", "---" and the Hangul
    filler "\u3164" have not. A name without one tells a representative nothing; no vendor
    refuses it (docs/decisions/0051-shared-text-rules.md)."""
    # isalnum: exactly the characters of categories L and N
    return any(ch.isalnum() and ch not in INVISIBLE_LETTERS for ch in value)


# A name's characters (docs/decisions/0116-chat-handoff-computer-name.md): a name is read by a
# representative and told apart from others, so nothing in it may be invisible or undefined.
# Refused anywhere in a name: format characters (Unicode category Cf: zero-width space, word
# joiner, soft hyphen, byte order mark, the bidirectional marks, tag characters), private-use
# characters (Co: every font draws its own, or nothing), surrogates (Cs: no character alone)
# and the 66 noncharacters (U+FDD0-U+FDEF and the last two of each plane). The joiners are
# the exception where they do something: Persian and Indic names need them. A zero-width
# non-joiner (U+200C) after a virama or a letter of a joining script (Arabic, Syriac, N'Ko,
# Mongolian; "مهدی\u200cزاده"), a zero-width joiner (U+200D) after a virama (a conjunct's
# half-form, "क्\u200dष") or inside an emoji sequence (👩\u200d💻), each followed by a letter, a
# mark or (the joiner in an emoji) a symbol; as RFC 5892's CONTEXTJ rules, with the joining
# scripts by block rather than by joining type, which the standard library does not know.
# Not a text rule for every field: a description may hold any of these, as typed or pasted.
ZWNJ, ZWJ = "\u200c", "\u200d"
VIRAMA = 9  # the canonical combining class of a virama (unicodedata.combining)
JOINING_SCRIPTS = re.compile(
    "[\u0600-\u06ff\u0700-\u074f\u0750-\u077f\u07c0-\u07ff\u0860-\u086f\u0870-\u08ff"
    "\u1800-\u18af\ufb50-\ufdff\ufe70-\ufeff\U00010d00-\U00010d3f]"
)
EMOJI_VARIATION = "\ufe0f"

NO_LETTER, UNSHOWABLE = "no_letter", "unshowable"


def name_problem(value: str) -> str:
    """What is wrong with `value` as a name, or "" when nothing is: `NO_LETTER` when it has
    no letter or digit that draws something (`has_letter_or_digit`), else `UNSHOWABLE` when a
    character of it is one a name must not hold (above)."""
    if not has_letter_or_digit(value):
        return NO_LETTER
    if has_unshowable(value):
        return UNSHOWABLE
    return ""


def has_unshowable(value: str) -> bool:
    """Whether a character of `value` is one a name must not hold (above), whatever else the
    name holds: a label of symbols alone may still not hide a zero-width space."""
    return any(_unshowable(value, at) for at in range(len(value)))


def _unshowable(value: str, at: int) -> bool:
    ch = value[at]
    code = ord(ch)
    if 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE:
        return True
    category = unicodedata.category(ch)
    if category in ("Co", "Cs"):
        return True
    if category != "Cf":
        return False
    before = value[at - 1] if at else ""
    after = value[at + 1] if at + 1 < len(value) else ""
    if ch == ZWNJ:
        return not (_after_virama(before) or JOINING_SCRIPTS.fullmatch(before)) or not _letter_or_mark(after)
    if ch == ZWJ:
        if _after_virama(before):
            return not _letter_or_mark(after)
        emoji = before and (unicodedata.category(before) in ("So", "Sk") or before == EMOJI_VARIATION)
        return not (emoji and after and unicodedata.category(after) == "So")
    return True


def _after_virama(ch: str) -> bool:
    return bool(ch) and unicodedata.combining(ch) == VIRAMA


def _letter_or_mark(ch: str) -> bool:
    return bool(ch) and unicodedata.category(ch)[0] in "LM"


def customer_fields_for(backend: Backend) -> tuple[CustomerField, ...]:
    """The customer fields the backend's vendor takes, with its limits (its adapter's table,
    docs/decisions/0055-vendor-adapters-and-registry.md)."""
    return adapter_for(backend).customer_fields


# Every kind's table: the API publishes the largest limit of each field.
ALL_CUSTOMER_FIELD_TABLES = all_customer_field_tables()


# A space after a number that must not end a line: inside a number written in groups ("123 4567",
# "+49 30 1234567"), and before the counter word or unit that goes with the number: ideographs
# ("9 桁", "9 位数", "42 文字") or a katakana word ("5 バイト", "3 ページ"). Hiragana after a
# number is a particle ("42 や 3.5 のように"), not a counter: that space may break, except
# before the two kana counters, "つ" ("1 つ以上") and "か" of "か月", "か所" ("3 か月").
# `__N__` is the number a live counter puts in (_counter.html).
IDEOGRAPHS = "\u3005\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
KATAKANA = "\u30a1-\u30fa\u30fc"  # the letters and the long-vowel mark, not the middle dot
KANA_COUNTER = rf"つ|か(?=[{IDEOGRAPHS}])"
SPACE_AFTER_NUMBER = re.compile(rf"(?:(?<=\d)|(?<=__N__)) (?=\d|[{IDEOGRAPHS}{KATAKANA}]|{KANA_COUNTER})")
# A browser may break between any two of these characters, so a counter word is held together
# by word joiners (U+2060: no width, no break): an ideographic one after its first character
# ("位數", "文字", "か月"; a longer run of ideographs is the sentence going on, free to break), a
# katakana unit after each of its characters but the last ("バイト").
AFTER_NUMBER = "(?:(?<=\\d\u00a0)|(?<=__N__\u00a0))"
IDEOGRAPHIC_COUNTER = re.compile(rf"{AFTER_NUMBER}[{IDEOGRAPHS}か](?=[{IDEOGRAPHS}])")
KATAKANA_UNIT = re.compile(rf"{AFTER_NUMBER}[{KATAKANA}]+")
# Chromium breaks after a hyphen even before a digit, so a code or a range ("LT-4471",
# "INC-0042", "9-17") lost its number to the next line, and a number joined to its word
# ("9-значный", "9-stellige", "9-numeroinen") was left alone at a line's end: a word joiner
# after the hyphen holds them. A leading minus ("-60") has no word before it, and a hyphen
# between words ("Wi-Fi", "PIN-код") has no digit beside it: both are left alone.
HYPHEN_BESIDE_NUMBER = re.compile(r"(?<=\w)-(?=\d)|(?<=\d)-(?=\w)")
# A word that says how near a number is ("約 3 分", "约 3 分钟", "不到 1 分钟") reads with it: a line
# that ends on "約" leaves "about" without its count. The space after it never breaks, and the
# characters of a two-character word are joined as a counter word's are.
QUALIFIER_BEFORE_NUMBER = re.compile(r"(大?[約约]|不到) (?=\d|__N__)")


def numbers_kept_whole(text: str) -> str:
    """`text` with no line break possible inside a number, between a number and its counter
    word, after a hyphen beside a number ("LT-4471", "9-значный"), or after a word that says how
    near the number is ("約 3 分")
    (docs/decisions/0108-line-breaks-on-customer-pages.md): for the customer pages
    (portal_forms' `unbroken_numbers`) and the get-help button's count."""
    joined = SPACE_AFTER_NUMBER.sub("\u00a0", HYPHEN_BESIDE_NUMBER.sub("-\u2060", text))
    joined = QUALIFIER_BEFORE_NUMBER.sub(lambda word: "\u2060".join(word[1]) + "\u00a0", joined)
    joined = IDEOGRAPHIC_COUNTER.sub(lambda first: first[0] + "\u2060", joined)
    return KATAKANA_UNIT.sub(lambda unit: "\u2060".join(unit[0]), joined)


def without_soft_hyphens(text: str) -> str:
    """`text` without the catalogs' soft hyphens (U+00AD), which mark where a long compound may
    break a line of page text (docs/decisions/0108-line-breaks-on-customer-pages.md): for the
    places where nothing is broken into lines and the character would stay as it is, a window
    title and an attribute a screen reader reads (aria-label)."""
    return text.replace("\u00ad", "")
