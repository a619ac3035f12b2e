"""The OpenAPI 3.1 document for the integrations API (`portal.api`), served at
/api/v1/openapi.json. tests/test_api.py validates real responses against these schemas and
checks that every route and method is described here, and nothing else.

Limits come from `portal.vendors.limits` and `portal.api`, so the document cannot drift from
what the views enforce.
"""

from __future__ import annotations

import copy
import functools

from django.conf import settings

from portal import prefill
from portal.vendors import limits

CODE_NAME = {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}
QUEUE = {
    "type": "string",
    "pattern": "^(general|rep:[0-9]{1,18}|team:[0-9]{1,18}|issue:[A-Za-z0-9_-]{1,64})$",
    "description": "Where the session waits: `general`, a representative (`rep:<id>`, ids from "
                   "GET /reps), a team (`team:<id>`) or an issue (`issue:<code name>`, an "
                   "active issue of the token's site; its priority and skills apply unless "
                   "the request gives them).",
    "examples": ["general", "rep:12", "team:3", "issue:printing"],
}
TEXT_RULE = ("No control characters (C0 and C1 controls, DEL, bidirectional overrides) "
             "anywhere in the value; one-line fields also take no tab or line break. Lengths "
             "count the characters as sent; surrounding spaces are then trimmed.")


def _text(*, multiline: bool = False, **schema) -> dict:
    """A string under the API's text rule (`portal.api.text_problem`), as a pattern the value
    must not contain; the same expression is valid in Python and ECMA-262."""
    from portal.api import CONTROL_PATTERN, ONE_LINE_CONTROL_PATTERN

    forbidden = CONTROL_PATTERN if multiline else ONE_LINE_CONTROL_PATTERN
    return {"type": "string", **schema, "not": {"pattern": forbidden}}


ERROR_CODES = ["invalid", "invalid_json", "unauthorized", "forbidden", "not_found",
               "method_not_allowed", "too_large", "unsupported_media_type", "appliance_error",
               "unavailable", "rate_limited"]


def _session_key_properties() -> dict:
    from portal.api import MAX_SKILLS, TTL_MAX, TTL_MIN

    return {
        "queue": QUEUE,
        "external_key": _text(
            maxLength=limits.CUSTOM_FIELD_MAX_CHARS,
            description="The ticket number, sent as session.custom.external_key. Counts "
                        "towards the custom fields' total. " + TEXT_RULE,
        ),
        "custom_fields": {
            "type": "object",
            "propertyNames": {**CODE_NAME, "not": {"const": limits.EXTERNAL_KEY_CODE}},
            "additionalProperties": _text(multiline=True, maxLength=limits.CUSTOM_FIELD_MAX_CHARS),
            "description": "Custom session attributes by code name (defined on the appliance), "
                           f"each at most {limits.CUSTOM_FIELD_MAX_CHARS} characters; all values "
                           f"and the external key together at most "
                           f"{limits.CUSTOM_TOTAL_MAX_BYTES} UTF-8 bytes. `external_key` is not "
                           "allowed here. Values may span lines; otherwise " + TEXT_RULE,
        },
        "priority": {"type": "integer", "minimum": min(limits.PRIORITIES),
                     "maximum": max(limits.PRIORITIES), "description": "1 high, 2 medium, 3 low."},
        "skills": {"type": "array", "items": CODE_NAME, "maxItems": MAX_SKILLS,
                   "description": "Skill code names."},
        "ttl": {"type": "integer", "minimum": TTL_MIN, "maximum": TTL_MAX,
                "description": "How long the key is valid, in seconds."},
    }


def _error_response(description: str, *, headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _json_body(schema: str) -> dict:
    return {"required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


def _json_response(description: str, schema: str) -> dict:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


ERRORS = {
    "Invalid": "Invalid fields (`invalid`, with `fields`) or a body that is not a JSON object "
               "(`invalid_json`).",
    "Unauthorized": "The Bearer token is missing, unknown or revoked.",
    "Forbidden": "The token's site cannot do this: its backend is not a BeyondTrust appliance "
                 "with API credentials, or (prefill links) it has no prefill secret.",
    "TooLarge": "The body is larger than 64 KiB.",
    "UnsupportedMediaType": "The body is not `application/json`.",
    "BadGateway": "The appliance failed, answered something unreadable, or refused the request.",
    "Unavailable": "The appliance failed repeatedly; the portal does not call it for a while.",
    "TooManyRequests": "More requests for this token in a minute than the portal allows "
                       "(PORTAL_API_RATE_LIMIT); wait `Retry-After` seconds.",
}


def _operation(summary: str, *, responses: dict, body: str | None = None,
               errors: tuple[str, ...] = ()) -> dict:
    operation = {"summary": summary, "responses": dict(responses)}
    if body:
        operation["requestBody"] = _json_body(body)
    status = {"Invalid": "400", "Unauthorized": "401", "Forbidden": "403", "TooLarge": "413",
              "UnsupportedMediaType": "415", "BadGateway": "502", "Unavailable": "503",
              "TooManyRequests": "429"}
    if "Unauthorized" in errors:  # every authenticated call counts against the token's limit
        errors = (*errors, "TooManyRequests")
    for name in errors:
        operation["responses"][status[name]] = {"$ref": f"#/components/responses/{name}"}
    return operation


def _prefill_value_properties() -> dict:
    """Each built-in prefill value at the most either backend's form takes (the description
    gives each backend's own limit; UTF-8 byte limits cannot be said in JSON Schema)."""
    from portal.forms import BEYONDTRUST_CUSTOMER_FIELDS, TAKECONTROL_CUSTOMER_FIELDS

    properties = {}
    for name in prefill.BUILT_IN:
        # A name a backend's form does not have gets the custom-field limit there (api.py).
        per_backend = [next((spec for spec in fields if spec.name == name), None)
                       for fields in (BEYONDTRUST_CUSTOMER_FIELDS, TAKECONTROL_CUSTOMER_FIELDS)]
        max_chars = max((spec and spec.max_chars) or limits.CUSTOM_FIELD_MAX_CHARS
                        for spec in per_backend)
        multiline = any(spec and spec.multiline for spec in per_backend)
        properties[name] = _text(multiline=multiline, maxLength=max_chars)
    return properties


@functools.cache
def _document() -> dict:
    from portal.api import PREFILL_TTL_DEFAULT, PREFILL_TTL_MAX, TTL_MIN, VIRTUAL_CUSTOMER_MAX_CHARS

    session_key = _session_key_properties()
    body_errors = ("Invalid", "Unauthorized", "Forbidden", "TooLarge", "UnsupportedMediaType",
                   "BadGateway", "Unavailable")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Support Portal integrations API",
            "version": "1.0.0",
            "description": "Create BeyondTrust session keys for tickets, hand chat-bot "
                           "conversations to a human, list online representatives, and sign "
                           "prefill links. "
                           "Authenticate with `Authorization: Bearer <token>` (a token from the "
                           "portal's admin or `manage.py portal_token`); a token acts for one "
                           "site. Errors are JSON objects with `error` and `message`.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/session-keys": {"post": _operation(
                "Create a session key for a queue",
                body="SessionKeyRequest",
                responses={"201": _json_response("The new session key.", "SessionKey")},
                errors=body_errors,
            )},
            "/chat-handoffs": {"post": _operation(
                "Hand a chat-bot conversation to a human",
                body="ChatHandoffRequest",
                responses={"201": _json_response(
                    "A chat-only customer now waits in the queue.", "ChatHandoff")},
                errors=body_errors,
            )},
            "/reps": {"get": _operation(
                "List the online representatives customers may pick",
                responses={"200": _json_response("Representatives showing on the public list.",
                                                 "RepList")},
                errors=("Unauthorized", "Forbidden", "BadGateway", "Unavailable"),
            )},
            "/prefill-links": {"post": _operation(
                "Create a signed prefill link whose values the customer cannot change",
                body="PrefillLinkRequest",
                responses={"201": _json_response("The signed link.", "PrefillLink")},
                errors=("Invalid", "Unauthorized", "Forbidden", "TooLarge", "UnsupportedMediaType"),
            )},
            "/openapi.json": {"get": {
                "summary": "This document",
                "security": [],
                "responses": {"200": {"description": "The OpenAPI 3.1 document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "An API token, `sp_` followed by 43 characters."},
            },
            "schemas": {
                "SessionKeyRequest": {
                    "type": "object",
                    "required": ["queue"],
                    "properties": session_key,
                    "additionalProperties": False,
                },
                "ChatHandoffRequest": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": _text(maxLength=limits.CUSTOMER_TEXT_MAX_CHARS, pattern="\\S",
                                      description="The name the representative sees; at least "
                                                  "one character that is not a space. "
                                                  + TEXT_RULE),
                        "ip_address": {"type": "string",
                                       "anyOf": [{"const": ""}, {"format": "ipv4"},
                                                 {"format": "ipv6"}],
                                       "description": "The customer's IPv4 or IPv6 address, "
                                                      "without spaces or an IPv6 zone. Empty "
                                                      "or absent: 0.0.0.0 (unknown)."},
                        "operating_system": _text(maxLength=VIRTUAL_CUSTOMER_MAX_CHARS,
                                                  description="Default `Chat`. " + TEXT_RULE),
                        "computer_name": _text(maxLength=VIRTUAL_CUSTOMER_MAX_CHARS,
                                               description="Default: the API token's name. "
                                                           + TEXT_RULE),
                        "locale": {"type": "string",
                                   "enum": [code for code, _name in settings.LANGUAGES],
                                   "description": "The chat's language; it must be installed "
                                                  "on the appliance. Default: the appliance's."},
                        **{**session_key, "queue": {**QUEUE, "default": "general"}},
                    },
                    "additionalProperties": False,
                },
                "SessionKey": {
                    "type": "object",
                    "required": ["short_key", "key_url", "portal_url", "expires"],
                    "properties": {
                        "short_key": {"type": "string", "description": "The 7-character key."},
                        "key_url": {"type": "string",
                                    "description": "The appliance's link for the key."},
                        "portal_url": {"type": "string", "format": "uri",
                                       "pattern": "^https?://[^/]+/key/\\?key=",
                                       "description": "This portal's session-key page with the "
                                                      "key filled in, on the site's hostname."},
                        "expires": {"type": ["string", "null"], "format": "date-time",
                                    "description": "When the key expires, if the appliance said."},
                    },
                    "additionalProperties": False,
                },
                "ChatHandoff": {
                    "type": "object",
                    "required": ["short_key", "download_url", "chat_url"],
                    "properties": {
                        "short_key": {"type": "string"},
                        "download_url": {"type": "string",
                                         "description": "Lets the customer upgrade to the full "
                                                        "client."},
                        "chat_url": {"type": ["string", "null"],
                                     "description": "The browser chat, if the appliance gave one."},
                    },
                    "additionalProperties": False,
                },
                "PrefillLinkRequest": {
                    "type": "object",
                    "required": ["values"],
                    "properties": {
                        "flow": {"type": "string", "enum": ["survey", "key"], "default": "survey",
                                 "description": "The page the link opens."},
                        "values": {
                            "type": "object",
                            "minProperties": 1,
                            "properties": _prefill_value_properties(),
                            "patternProperties": {"^cf_[A-Za-z0-9_-]{1,64}$": _text(
                                maxLength=limits.CUSTOM_FIELD_MAX_CHARS)},
                            "additionalProperties": False,
                            "description": "Parameter name to value: the built-in fields, or "
                                           "`cf_<code name>` for a custom field. A locked value "
                                           "cannot be corrected by the customer, so each must "
                                           "pass the form's own checks: " + TEXT_RULE + " Only "
                                           "`details` may span lines. `name`, `company` and "
                                           "`company_code` at most "
                                           f"{limits.CUSTOMER_TEXT_MAX_CHARS} characters and "
                                           f"`details` at most {limits.DETAILS_MAX_BYTES} UTF-8 "
                                           "bytes (Take Control sites: `name` "
                                           f"{limits.TC_NAME_MAX_CHARS}, `email` "
                                           f"{limits.TC_EMAIL_MAX_CHARS}, `customer_number` "
                                           f"{limits.TC_NUMBER_MAX_CHARS}, `details` "
                                           f"{limits.TC_DESCRIPTION_MAX_CHARS} characters).",
                        },
                        "expires_in": {"type": "integer", "minimum": TTL_MIN,
                                       "maximum": PREFILL_TTL_MAX, "default": PREFILL_TTL_DEFAULT,
                                       "description": "Seconds until the link stops locking "
                                                      "its values."},
                    },
                    "additionalProperties": False,
                },
                "PrefillLink": {
                    "type": "object",
                    "required": ["url", "expires"],
                    "properties": {
                        "url": {"type": "string", "format": "uri",
                                "pattern": "^https?://[^/]+/(survey|key)/\\?.*&sig=[0-9a-f]{64}$"},
                        "expires": {"type": "string", "format": "date-time"},
                    },
                    "additionalProperties": False,
                },
                "RepList": {
                    "type": "object",
                    "required": ["reps", "stale"],
                    "properties": {
                        "reps": {"type": "array", "items": {
                            "type": "object",
                            "required": ["id", "name"],
                            "properties": {
                                "id": {"type": "integer",
                                       "description": "For the `rep:<id>` queue."},
                                "name": {"type": "string",
                                         "description": "The public display name."},
                            },
                            "additionalProperties": False,
                        }},
                        "stale": {"type": "boolean",
                                  "description": "True when the appliance did not answer the "
                                                 "latest refresh and an older list is served."},
                    },
                    "additionalProperties": False,
                },
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string", "enum": ERROR_CODES},
                        "message": {"type": "string"},
                        "fields": {
                            "type": "object",
                            "description": "For `invalid`: messages per field; custom fields "
                                           "as `custom_fields.<code name>`.",
                            "additionalProperties": {"type": "array", "items": {"type": "string"},
                                                     "minItems": 1},
                        },
                    },
                    "additionalProperties": False,
                },
            },
            "responses": {
                **{name: _error_response(text) for name, text in ERRORS.items()},
                "Unauthorized": _error_response(ERRORS["Unauthorized"], headers={
                    "WWW-Authenticate": {"schema": {"type": "string"},
                                         "description": "`Bearer realm=\"support-portal\"`."}}),
                "TooManyRequests": _error_response(ERRORS["TooManyRequests"], headers={
                    "Retry-After": {"schema": {"type": "integer"},
                                    "description": "Seconds until the next minute's window."}}),
                "Unavailable": _error_response(ERRORS["Unavailable"], headers={
                    "Retry-After": {"schema": {"type": "integer"},
                                    "description": "Seconds until the portal tries again."}}),
            },
        },
    }


def openapi_document() -> dict:
    """A copy: callers may change it."""
    return copy.deepcopy(_document())
