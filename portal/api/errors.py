"""The API's one error envelope (docs/decisions/0052-api-errors-keep-their-envelope.md).

Every error, whoever raises it (the views, the Bearer auth, the body parser, pydantic through
django-ninja, Django's own 404/405 routing), leaves as

    {"error": <code>, "message": <English text>, "fields": {<field>: [<message>, ...]}}

with `fields` only for 400 `invalid`, `Cache-Control: no-store`, `Content-Type:
application/json` and the status's own headers (`WWW-Authenticate`, `Allow`, `Retry-After`).
The handlers here are registered on the `NinjaAPI` in `portal.api.api`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpResponse
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

logger = logging.getLogger("portal.api")

MAX_BODY_BYTES = 64 * 1024  # a full request (10,000 bytes of custom fields) fits many times

# Every `error` code the API answers with, as the document's Error schema lists them.
ERROR_CODES = (
    "invalid",
    "invalid_json",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "too_large",
    "unsupported_media_type",
    "appliance_error",
    "unavailable",
    "rate_limited",
    "bad_request",
    "server_error",
)

# A validator's own messages travel in a pydantic error of this type: `ctx["fields"]` maps a
# location below the field ("" for the field itself, "asset_tag" for custom_fields.asset_tag)
# to its messages, so one validator can report several entries of a dict at once.
FIELD_ERRORS = "portal_invalid"
REQUIRED = "This field is required."
UNKNOWN = "Unknown field."
LOCATION_MAX_CHARS = 70  # a key echoed in a location is cut, as the messages cut values


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        fields: dict | None = None,
        headers: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.fields, self.headers = fields, headers or {}

    def response(self) -> HttpResponse:
        body: dict[str, Any] = {"error": self.error, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return json_response(body, status=self.status, headers=self.headers)


def json_response(body, *, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def too_large() -> ApiError:
    return ApiError(413, "too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")


def not_found(*, meant: str = "") -> ApiError:
    """`meant`: the endpoint's path when the request's differs from it by a trailing slash
    alone (a client that adds one to every path)."""
    hint = f"did you mean {meant}? See" if meant else "see"
    return ApiError(404, "not_found", f"No such API endpoint; {hint} /api/v1/openapi.json.")


def method_not_allowed(methods: list[str]) -> ApiError:
    return ApiError(
        405,
        "method_not_allowed",
        f"Use {' or '.join(methods)} on this endpoint.",
        headers={"Allow": ", ".join(methods)},
    )


def field_errors(errors: list[dict], *, missing_messages: dict[str, str]) -> dict[str, list[str]]:
    """Pydantic's errors (as django-ninja passes them on) as the envelope's `fields`.

    A location is the field's name, and for entries of an object `field.key` (the key cut to
    LOCATION_MAX_CHARS). The validators in `portal.api.schemas` speak in FIELD_ERRORS with the
    messages of the API's contract; what pydantic checks itself (a field missing or unknown)
    gets the contract's words here.
    """
    fields: dict[str, list[str]] = {}
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        if loc[:1] == ["body"]:  # ("body", <the view's parameter>, field, ...)
            loc = loc[2:]
        loc = [part[:LOCATION_MAX_CHARS] for part in loc]  # an unknown key is the caller's text
        name = ".".join(loc)
        if error["type"] == FIELD_ERRORS:
            for where, messages in error["ctx"]["fields"].items():
                key = ".".join(part for part in (name, where[:LOCATION_MAX_CHARS]) if part)
                fields.setdefault(key, []).extend(messages)
        elif error["type"] == "missing":
            fields.setdefault(name, []).append(missing_messages.get(name, REQUIRED))
        elif error["type"] == "extra_forbidden":
            fields.setdefault(name, []).append(UNKNOWN)
        else:  # not reached by today's schemas; pydantic's own words rather than nothing
            fields.setdefault(name, []).append(str(error.get("msg", "Invalid.")))
    return fields


def is_missing_body(error: NinjaValidationError) -> bool:
    """True when the request had no body at all (django-ninja then validates nothing)."""
    return any(e["type"] == "missing" and len(e["loc"]) == 2 and e["loc"][0] == "body" for e in error.errors)


def http_error_response(exc: HttpError) -> HttpResponse:
    """django-ninja wraps what the body parser raised in an HttpError(400): the parser's own
    ApiError is the answer."""
    if isinstance(exc.__cause__, ApiError):
        return exc.__cause__.response()
    codes = {
        400: "invalid_json",
        401: "unauthorized",
        403: "forbidden",
        404: "not_found",
        405: "method_not_allowed",
        413: "too_large",
        415: "unsupported_media_type",
        429: "rate_limited",
    }
    return ApiError(exc.status_code, codes.get(exc.status_code, "invalid"), exc.message).response()


def request_too_big_response(exc: RequestDataTooBig) -> HttpResponse:
    return too_large().response()


def body_cut_response(exc: BadRequest) -> HttpResponse:
    """Django's BadRequest while the API reads a body: the server cut a body that came too
    slowly (portal/gunicorn_worker.py's DeadlineReader), the only place that raises it there."""
    return ApiError(
        400, "bad_request", "The body came too slowly and was cut; send the request again."
    ).response()
