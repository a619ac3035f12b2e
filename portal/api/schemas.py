"""The API's request and response schemas (pydantic, through django-ninja): one definition of
each rule, from which both the check and the published JSON Schema are made
(docs/decisions/0050-integrations-api-on-django-ninja.md).

A field type here is a small `Rule`: its `check` is what the API enforces, with the contract's
messages, and its `json_schema` is what the OpenAPI document says, both built from the same
limits (`portal.vendors.limits`), patterns (`limits.CODE_NAME_PATTERN`, `QUEUE_PATTERN`) and
text rule (`portal.text_rules`). The document and the views agree exactly where JSON Schema can
say it (tests/fuzz runs schemathesis both ways):

- `null` is refused for every field (no schema allows it);
- an integral number such as `3.0` is an integer, as JSON Schema's `integer` says;
- lengths and the text rule (published as `not: {pattern: ...}`) apply to the value as sent,
  before surrounding spaces are trimmed;
- `flow` and `locale`, when given, must be one of their values (not empty);
- `ip_address` is taken exactly as sent (no spaces, no IPv6 zone).

What JSON Schema cannot say is stated in words (descriptions) and checked here too: the token's
site's active issues, UTF-8 byte totals, each backend's form limits for prefill values.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from django.conf import settings
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError, core_schema

from portal import prefill
from portal.api.errors import ERROR_CODES, FIELD_ERRORS
from portal.text_rules import (
    ALL_CUSTOMER_FIELD_TABLES,
    CONTROL,
    CONTROL_PATTERN,
    LINE_BREAK,
    NO_LETTER,
    ONE_LINE_CONTROL_PATTERN,
    UNSHOWABLE,
    customer_fields_for,
    name_problem,
    normalise,
    text_problem,
)
from portal.vendors import limits
from portal.vendors.base import SessionQueue

if TYPE_CHECKING:
    from portal.models import Issue, Site

TTL_MIN, TTL_MAX = 60, 7 * 24 * 3600
MAX_SKILLS = 50
VIRTUAL_CUSTOMER_MAX_CHARS = 100  # as customer.name (docs/decisions/0005-beyondtrust-limits.md);
# the vendor's limits are UNCONFIRMED
DEFAULT_IP_ADDRESS = "0.0.0.0"
PREFILL_FLOWS = tuple(prefill.LINK_PAGES)
PREFILL_TTL_DEFAULT, PREFILL_TTL_MAX = 7 * 24 * 3600, prefill.LINK_TTL_MAX
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)

TEXT_ERRORS = {CONTROL: "No control characters.", LINE_BREAK: "One line only."}
# JSON Schema cannot say "a letter of any script" portably (`\p{L}` needs ECMA-262's `u` flag,
# which Python's `re` lacks): the rule is said in words and checked here.
NAME_MESSAGE = "At least one letter or digit."
NAME_ERRORS = {
    NO_LETTER: NAME_MESSAGE,
    UNSHOWABLE: "No invisible, private-use or noncharacter code points.",
}
NAME_RULE = (
    "A name needs at least one letter or digit of any script (Unicode categories L and N; the "
    "Hangul fillers U+115F, U+1160, U+3164 and U+FFA0, which draw nothing, do not count): "
    "emoji or punctuation alone are refused. It holds no format character (category Cf: "
    "zero-width space, soft hyphen, word joiner, byte order mark, bidirectional marks), no "
    "private-use character and no noncharacter (U+FDD0-U+FDEF, U+FFFE, U+FFFF and the last two "
    "of every plane); a zero-width non-joiner only after a virama or a letter of a joining "
    "script (Persian, Arabic, Syriac, N'Ko, Mongolian) and a zero-width joiner only after a "
    "virama or inside an emoji sequence, each followed by a letter or mark (the joiner in an "
    "emoji: a symbol)."
)
TEXT_RULE = (
    "No control characters (C0 and C1 controls, DEL, bidirectional overrides) "
    "anywhere in the value; one-line fields also take no tab or line break. Lengths "
    "count the characters as sent; surrounding spaces are then trimmed."
)


def ecma(pattern: str) -> str:
    """A Python `\\A...\\Z` pattern as JSON Schema (ECMA-262) writes it: `^...$`."""
    return "^" + pattern.removeprefix(r"\A").removesuffix(r"\Z") + "$"


CODE_NAME_RE = re.compile(limits.CODE_NAME_PATTERN)
CODE_NAME_BODY = limits.CODE_NAME_PATTERN.removeprefix(r"\A").removesuffix(r"\Z")
CODE_NAME_MESSAGE = "Not a code name (1-64 letters, digits, _ or -)."
# `issue:` takes any text here, so that an unknown code name gets "no such issue", not "bad
# syntax"; the document's pattern allows only code names there.
QUEUE_PATTERN = r"\A(?:(general)|rep:([0-9]{1,18})|team:([0-9]{1,18})|issue:(.*))\Z"
QUEUE_DOCUMENTED = rf"^(general|rep:[0-9]{{1,18}}|team:[0-9]{{1,18}}|issue:{CODE_NAME_BODY})$"
QUEUE_RE = re.compile(QUEUE_PATTERN, re.S)
QUEUE_MESSAGE = "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'."
PREFILL_NAME_MESSAGE = "Not a prefill parameter: " + ", ".join(prefill.BUILT_IN) + " or cf_<code name>."
VALUES_MESSAGE = "Must be a non-empty object of parameter name to string."
# A field whose absence the contract words differently from "This field is required."
MISSING_MESSAGES = {"values": VALUES_MESSAGE}


# ------------------------------------------------------------------------------
# Rules: one check and one published schema from the same parameters
# ------------------------------------------------------------------------------
class Problems:
    """Messages by location below the field ("" is the field itself)."""

    def __init__(self):
        self.fields: dict[str, list[str]] = {}

    def add(self, message: str, *, at: str = "") -> None:
        self.fields.setdefault(at, []).append(message)


class Rule:
    """A pydantic field type: `check(value, problems, context)` returns the clean value and
    notes what is wrong; `json_schema()` is what the document publishes."""

    def json_schema(self) -> dict:
        raise NotImplementedError

    def check(self, value: Any, problems: Problems, context: dict) -> Any:
        raise NotImplementedError

    def __get_pydantic_core_schema__(self, source, handler):
        return core_schema.with_info_plain_validator_function(self._validate)

    def __get_pydantic_json_schema__(self, schema, handler):
        return self.json_schema()

    def _validate(self, value: Any, info) -> Any:
        problems = Problems()
        result = self.check(value, problems, info.context or {})
        if problems.fields:
            raise PydanticCustomError(FIELD_ERRORS, "Some fields are invalid.", {"fields": problems.fields})
        return result


@dataclass(frozen=True)
class Text(Rule):
    """A string under the text rule (`portal.text_rules`), trimmed once it passed."""

    max_chars: int | None = None
    multiline: bool = False
    required: bool = False
    # A name, a person's (`text_rules.NAME_FIELDS`) or a computer's: `text_rules.name_problem`.
    a_name: bool = False
    description: str = ""

    def json_schema(self) -> dict:
        schema: dict = {"type": "string"}
        if self.max_chars is not None:
            schema["maxLength"] = self.max_chars
        if self.required:
            schema["pattern"] = r"\S"  # at least one character that is not a space
        schema["not"] = {"pattern": CONTROL_PATTERN if self.multiline else ONE_LINE_CONTROL_PATTERN}
        if self.description:
            schema["description"] = self.description
        return schema

    def check(self, value, problems, context):
        if not isinstance(value, str):
            problems.add("Must be a string.")
            return ""
        # Length and characters are judged on the value as sent, as the document's maxLength
        # and pattern say; only then are surrounding spaces trimmed.
        if self.max_chars is not None and len(value) > self.max_chars:
            problems.add(f"At most {self.max_chars} characters.")
        problem = text_problem(value, multiline=self.multiline)
        value = value.strip()
        if self.required and not value:
            problems.add("This field is required.")
        elif self.a_name and value and (name := name_problem(value)):
            if not (problem and name == UNSHOWABLE):  # a bidirectional override: said once
                problems.add(NAME_ERRORS[name])
        if problem:
            problems.add(TEXT_ERRORS[problem])
        return value


@dataclass(frozen=True)
class Integer(Rule):
    """An integer from `low` to `high`. JSON has one number type: JSON Schema's `integer`
    accepts 3.0 as 3, and so does the API; 3.5 is not an integer, nor is `true`."""

    low: int
    high: int
    description: str = ""

    def json_schema(self) -> dict:
        schema = {"type": "integer", "minimum": self.low, "maximum": self.high}
        return {**schema, "description": self.description} if self.description else schema

    def check(self, value, problems, context):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            problems.add("Must be an integer.")
            return None
        if not self.low <= value <= self.high:
            problems.add(f"Must be from {self.low} to {self.high}.")
            return None
        return value


@dataclass(frozen=True)
class Choice(Rule):
    """One of a few strings, exactly as listed."""

    choices: tuple[str, ...]
    message: str
    description: str = ""

    def json_schema(self) -> dict:
        schema = {"type": "string", "enum": list(self.choices)}
        return {**schema, "description": self.description} if self.description else schema

    def check(self, value, problems, context):
        if not isinstance(value, str):
            problems.add("Must be a string.")
        elif value not in self.choices:
            problems.add(self.message)
        return value


CODE_NAME_SCHEMA = {"type": "string", "pattern": ecma(limits.CODE_NAME_PATTERN)}


@dataclass(frozen=True)
class CodeNames(Rule):
    """A list of code names (skills), duplicates dropped, order kept."""

    max_items: int
    description: str = ""

    def json_schema(self) -> dict:
        return {
            "type": "array",
            "items": CODE_NAME_SCHEMA,
            "maxItems": self.max_items,
            "description": self.description,
        }

    def check(self, value, problems, context):
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            problems.add("Must be a list of strings.")
            return []
        if len(value) > self.max_items:
            problems.add(f"At most {self.max_items} items.")
        bad = [item for item in value if not CODE_NAME_RE.fullmatch(item)]
        if bad:
            problems.add(
                "Not a code name (1-64 letters, digits, _ or -): "
                + ", ".join(repr(item[:70]) for item in bad[:5])
            )
        return list(dict.fromkeys(value))


@dataclass(frozen=True)
class CustomFields(Rule):
    """Custom session attributes by code name: any valid code name (an appliance may define
    fields an integration fills that customers are never asked), each value multi-line text
    within the custom-field limit; the external key has a field of its own."""

    def json_schema(self) -> dict:
        return {
            "type": "object",
            "propertyNames": {**CODE_NAME_SCHEMA, "not": {"const": limits.EXTERNAL_KEY_CODE}},
            "additionalProperties": Text(
                max_chars=limits.CUSTOM_FIELD_MAX_CHARS, multiline=True
            ).json_schema(),
            "description": "Custom session attributes by code name (defined on the appliance), "
            f"each at most {limits.CUSTOM_FIELD_MAX_CHARS} characters; all values "
            f"and the external key together at most "
            f"{limits.CUSTOM_TOTAL_MAX_BYTES} UTF-8 bytes. `external_key` is not "
            "allowed here. Values may span lines. " + TEXT_RULE,
        }

    def check(self, value, problems, context):
        if not isinstance(value, dict):
            problems.add("Must be an object of code name to string.")
            return {}
        custom = {}
        for code, text in value.items():
            if code == limits.EXTERNAL_KEY_CODE:
                problems.add("Send the external key as 'external_key'.", at=code)
            elif not CODE_NAME_RE.fullmatch(code):
                problems.add(CODE_NAME_MESSAGE, at=code)
            elif not isinstance(text, str):
                problems.add("Must be a string.", at=code)
            elif len(text) > limits.CUSTOM_FIELD_MAX_CHARS:
                problems.add(f"At most {limits.CUSTOM_FIELD_MAX_CHARS} characters.", at=code)
            elif problem := text_problem(text, multiline=True):
                problems.add(TEXT_ERRORS[problem], at=code)
            else:
                custom[code] = text
        return custom


@dataclass(frozen=True)
class ApiQueue:
    """Where the session waits, and the issue it names, if any."""

    queue: SessionQueue
    issue: Issue | None = None


def token_site(context: dict) -> Site | None:
    """The site of the request's token (django-ninja passes the request; auth ran first)."""
    request = context.get("request")
    token = getattr(request, "auth", None)
    return getattr(token, "site", None)


@dataclass(frozen=True)
class QueueRule(Rule):
    """`general`, `rep:<id>`, `team:<id>` or `issue:<code name>`: an active issue of the
    token's site (the token is scoped to its site, and an unknown code would only come back
    as an appliance error)."""

    def json_schema(self) -> dict:
        return {
            "type": "string",
            "pattern": QUEUE_DOCUMENTED,
            "description": "Where the session waits: `general`, a representative (`rep:<id>`, "
            "ids from GET /reps), a team (`team:<id>`) or an issue "
            "(`issue:<code name>`, an active issue of the token's site; its "
            "priority and skills apply unless the request gives them).",
            "examples": ["general", "rep:12", "team:3", "issue:printing"],
        }

    def check(self, value, problems, context):
        match = QUEUE_RE.fullmatch(value) if isinstance(value, str) else None
        if match is None:
            problems.add(QUEUE_MESSAGE)
            return None
        general, rep_id, team_id, code = match.groups()
        if general:
            return ApiQueue(SessionQueue.general())
        if rep_id:
            return ApiQueue(SessionQueue.rep(int(rep_id)))
        if team_id:
            return ApiQueue(SessionQueue.team(int(team_id)))
        site = token_site(context)
        issue = (
            site.issues.filter(code_name=code, active=True).first()
            if site is not None and CODE_NAME_RE.fullmatch(code)
            else None
        )
        if issue is None:
            problems.add(f"No active issue with code name {code[:70]!r} on this site.")
            return None
        return ApiQueue(SessionQueue.issue(issue.code_name), issue)


@dataclass(frozen=True)
class IpAddress(Rule):
    """An IPv4 or IPv6 address exactly as sent (the document's `ipv4`/`ipv6` formats: no
    surrounding spaces, no IPv6 zone); empty means the default."""

    def json_schema(self) -> dict:
        return {
            "type": "string",
            "anyOf": [{"const": ""}, {"format": "ipv4"}, {"format": "ipv6"}],
            "description": "The customer's IPv4 or IPv6 address, without spaces or an IPv6 "
            f"zone. Empty or absent: {DEFAULT_IP_ADDRESS} (unknown).",
        }

    def check(self, value, problems, context):
        if not isinstance(value, str):
            problems.add("Must be a string.")
            return ""
        if not value:
            return DEFAULT_IP_ADDRESS
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            address = None
        if address is None or getattr(address, "scope_id", None):
            problems.add("Not an IPv4 or IPv6 address.")
        return value


def prefill_field(site: Site, name: str):
    """The site's form field of this name (its limits), or None for custom fields and names
    the backend's form does not have."""
    return next((spec for spec in customer_fields_for(site.backend) if spec.name == name), None)


@dataclass(frozen=True)
class PrefillValues(Rule):
    """Parameter name to value for a signed prefill link. A signed value is locked: the
    customer cannot correct it, so a value the flow's form would refuse is never signed. The
    limits are the form's own (`portal.text_rules.customer_fields_for`); custom fields and
    anything else get the custom-field limit."""

    def json_schema(self) -> dict:
        properties = {}
        for name in prefill.BUILT_IN:
            # Each built-in value at the most any backend's form takes (the description gives
            # each backend's own limit; UTF-8 byte limits cannot be said in JSON Schema).
            specs = [
                next((spec for spec in table if spec.name == name), None)
                for table in ALL_CUSTOMER_FIELD_TABLES
            ]
            max_chars = max((spec and spec.max_chars) or limits.CUSTOM_FIELD_MAX_CHARS for spec in specs)
            multiline = any(spec and spec.multiline for spec in specs)
            properties[name] = Text(max_chars=max_chars, multiline=multiline).json_schema()
        return {
            "type": "object",
            "minProperties": 1,
            "properties": properties,
            "patternProperties": {
                f"^cf_{CODE_NAME_BODY}$": Text(max_chars=limits.CUSTOM_FIELD_MAX_CHARS).json_schema()
            },
            "additionalProperties": False,
            "description": "Parameter name to value: the built-in fields, or `cf_<code name>` "
            "for a custom field. A locked value cannot be corrected by the "
            "customer, so each must pass the form's own checks: "
            + TEXT_RULE
            + " Only `details` may span lines. `name`, `company` and "
            f"`company_code` at most {limits.CUSTOMER_TEXT_MAX_CHARS} characters "
            f"and `details` at most {limits.DETAILS_MAX_BYTES} UTF-8 bytes (Take "
            f"Control sites: `name` {limits.TC_NAME_MAX_CHARS}, `email` "
            f"{limits.TC_EMAIL_MAX_CHARS}, `customer_number` "
            f"{limits.TC_NUMBER_MAX_CHARS}, `details` "
            f"{limits.TC_DESCRIPTION_MAX_CHARS} characters). The flow's page must also take "
            "every value it locks, as it is set up now: on the key page a key of the backend's "
            "shape; on the home page what the key page and the survey take; on the survey an "
            "issue the site offers (with representatives in its menu, `rep-<id>`), a name and "
            "a description that are not blank, a name with a letter or digit in it and no "
            "character a name must not hold (as the chat hand-off's `name`), an email "
            "address that is one, a custom field's own type, choices and length, a required custom field "
            f"not blank, and all custom values with the external key within "
            f"{limits.CUSTOM_TOTAL_MAX_BYTES} UTF-8 bytes. A name the page does not lock (a "
            "custom field no signed link locks, `name` on the key page) is signed and has no "
            "effect there.",
        }

    def check(self, value, problems, context):
        if not isinstance(value, dict) or not value:
            problems.add(VALUES_MESSAGE)
            return {}
        site = token_site(context)
        for name, text in value.items():
            if not prefill.is_prefill_name(name) or (
                name.startswith("cf_") and not CODE_NAME_RE.fullmatch(name[3:])
            ):
                problems.add(PREFILL_NAME_MESSAGE, at=name)
            elif not isinstance(text, str):
                problems.add("Must be a string.", at=name)
            elif message := self.value_problem(name, text, site=site):
                problems.add(message, at=name)
        return value

    @staticmethod
    def value_problem(name: str, value: str, *, site: Site | None) -> str:
        spec = prefill_field(site, name) if site is not None else None
        multiline = bool(spec and spec.multiline)
        # The API's own rule first (characters anywhere, lengths as sent: what the document
        # says), then the form's limits on what the form keeps (trimmed, line ends unified).
        if problem := text_problem(value, multiline=multiline):
            return TEXT_ERRORS[problem]
        max_chars = spec.max_chars if spec else limits.CUSTOM_FIELD_MAX_CHARS
        max_bytes = spec.max_bytes if spec else None
        if max_chars and len(value) > max_chars:
            return f"At most {max_chars} characters."
        if max_bytes and limits.utf8_len(normalise(value)) > max_bytes:
            return f"At most {max_bytes} UTF-8 bytes."
        return ""


def _no_default(schema: dict) -> None:
    """An optional field without a value of its own: absent means "not sent" (no `null`)."""
    schema.pop("default", None)


def optional(**kwargs) -> Any:
    return Field(None, json_schema_extra=_no_default, **kwargs)


# ------------------------------------------------------------------------------
# Requests
# ------------------------------------------------------------------------------
class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionKeyFields(Request):
    """The session-key part of a body, within the limits of
    docs/decisions/0005-beyondtrust-limits.md."""

    if TYPE_CHECKING:  # each request declares its own `queue` field: their defaults differ
        queue: ApiQueue

    external_key: Annotated[
        str,
        Text(
            max_chars=limits.CUSTOM_FIELD_MAX_CHARS,
            description="The ticket number, sent as the session's external key. Counts towards "
            "the custom fields' total. " + TEXT_RULE,
        ),
    ] = Field("", json_schema_extra=_no_default)
    custom_fields: Annotated[dict[str, str], CustomFields()] = Field(default_factory=dict)
    priority: Annotated[
        int | None,
        Integer(min(limits.PRIORITIES), max(limits.PRIORITIES), description="1 high, 2 medium, 3 low."),
    ] = optional()
    skills: Annotated[list[str], CodeNames(MAX_SKILLS, description="Skill code names.")] = Field(
        default_factory=list
    )
    ttl: Annotated[
        int | None, Integer(TTL_MIN, TTL_MAX, description="How long the key is valid, in seconds.")
    ] = optional()

    @model_validator(mode="after")
    def _custom_total(self):
        total = sum(limits.utf8_len(v) for v in [self.external_key, *self.custom_fields.values()])
        if total > limits.CUSTOM_TOTAL_MAX_BYTES:
            raise PydanticCustomError(
                FIELD_ERRORS,
                "Some fields are invalid.",
                {
                    "fields": {
                        "custom_fields": [
                            f"Custom fields and the external key together are {total} "
                            f"UTF-8 bytes; at most {limits.CUSTOM_TOTAL_MAX_BYTES}."
                        ]
                    }
                },
            )
        return self

    def appliance_arguments(self) -> dict:
        """Keyword arguments for `appliance.create_session_key` / `hand_off_chat`, with the
        issue's priority and skills where the request gives none, as the survey sends them."""
        issue = self.queue.issue
        priority, skills = self.priority, self.skills
        if issue is not None:
            priority = priority if "priority" in self.model_fields_set else issue.priority
            skills = skills if "skills" in self.model_fields_set else issue.skill_list
        return {
            "queue": self.queue.queue,
            "external_key": self.external_key,
            "custom": self.custom_fields,
            "priority": priority,
            "skills": skills,
            "ttl": self.ttl,
        }


class SessionKeyRequest(SessionKeyFields):
    queue: Annotated[ApiQueue, QueueRule()]


class ChatHandoffRequest(SessionKeyFields):
    name: Annotated[
        str,
        Text(
            max_chars=limits.CUSTOMER_TEXT_MAX_CHARS,
            required=True,
            a_name=True,
            description="The name the representative sees. " + NAME_RULE + " " + TEXT_RULE,
        ),
    ]
    ip_address: Annotated[str, IpAddress()] = Field(DEFAULT_IP_ADDRESS, json_schema_extra=_no_default)
    operating_system: Annotated[
        str, Text(max_chars=VIRTUAL_CUSTOMER_MAX_CHARS, description="Default `Chat`. " + TEXT_RULE)
    ] = Field("", json_schema_extra=_no_default)
    # What the representative's console shows for the customer's computer; the vendor's rule for
    # it is undocumented (docs/decisions/0116-chat-handoff-computer-name.md).
    computer_name: Annotated[
        str,
        Text(
            max_chars=VIRTUAL_CUSTOMER_MAX_CHARS,
            a_name=True,
            description="Default: the API token's name, or `Chat` when that breaks the rule for a name. "
            + NAME_RULE
            + " "
            + TEXT_RULE,
        ),
    ] = Field("", json_schema_extra=_no_default)
    locale: Annotated[
        str,
        Choice(
            LANGUAGE_CODES,
            "Use one of: " + ", ".join(sorted(LANGUAGE_CODES)) + ".",
            description="The chat's language; it must be installed on the "
            "appliance. Default: the appliance's.",
        ),
    ] = Field("", json_schema_extra=_no_default)
    queue: Annotated[ApiQueue, QueueRule()] = Field("general", validate_default=True)


class PrefillLinkRequest(Request):
    flow: Annotated[
        str,
        Choice(
            PREFILL_FLOWS,
            "Use 'survey', 'key' or 'home'.",
            description="The page the link opens: the survey, the session key page, or the home "
            "page, whose key form locks what the key page locks and whose links take the locked "
            "values on to the survey.",
        ),
    ] = "survey"
    values: Annotated[dict[str, str], PrefillValues()]
    expires_in: Annotated[
        int, Integer(TTL_MIN, PREFILL_TTL_MAX, description="Seconds until the link stops locking its values.")
    ] = PREFILL_TTL_DEFAULT


# ------------------------------------------------------------------------------
# Responses
# ------------------------------------------------------------------------------
class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# UTC to the second with "+00:00" (portal.timestamps.utc_to_the_second: an appliance's expiry
# with another offset or fractions of a second too), as every answer has written it.
DateTime = Annotated[
    str,
    Field(
        json_schema_extra={
            "format": "date-time",
            "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\+00:00$",
        }
    ),
]


class SessionKey(Response):
    short_key: str = Field(description="The 7-character key.")
    key_url: str = Field(description="The appliance's link for the key.")
    portal_url: str = Field(
        json_schema_extra={"format": "uri", "pattern": "^https?://[^/]+/key/\\?key="},
        description="This portal's session-key page with the key filled in, on the site's hostname.",
    )
    expires: DateTime | None = Field(description="When the key expires, if the appliance said.")


class ChatHandoff(Response):
    short_key: str
    download_url: str = Field(description="Lets the customer upgrade to the full client.")
    chat_url: str | None = Field(description="The browser chat, if the appliance gave one.")


class Rep(Response):
    id: int = Field(description="For the `rep:<id>` queue.")
    name: str = Field(description="The public display name.")


class RepList(Response):
    reps: list[Rep]
    stale: bool = Field(
        description="True when the appliance did not answer the latest refresh and an older list is served."
    )


class PrefillLink(Response):
    url: str = Field(
        json_schema_extra={
            "format": "uri",
            "pattern": "^https?://[^/]+/((survey|key)/)?\\?.*&sig=[0-9a-f]{64}$",
        }
    )
    expires: DateTime


class Error(Response):
    error: Literal[ERROR_CODES]  # type: ignore[valid-type]
    message: str
    fields: dict[str, Annotated[list[str], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="For `invalid`: messages per field; custom fields as `custom_fields.<code name>`.",
    )
