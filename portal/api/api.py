"""The integrations JSON API under /api/v1/ on django-ninja (docs/architecture.md#integrations-api,
docs/decisions/0033-integrations-api-contract.md, docs/decisions/0050-integrations-api-on-django-ninja.md).

Help-desk systems and chat bots call it with `Authorization: Bearer sp_...` (a token from admin
or `manage.py portal_token`); a token acts for its one site (`portal.api.auth`). The request and
response schemas are in `portal.api.schemas`; the OpenAPI 3.1 document is generated from them
by django-ninja and served at /api/v1/openapi.json. Errors keep the contract's envelope
(`portal.api.errors`): 400 invalid/invalid_json, 401 with `WWW-Authenticate: Bearer`, 403 the
site cannot do this, 404, 405 with `Allow`, 413 body over 64 KiB, 415 not JSON, 429 over the
token's PORTAL_API_RATE_LIMIT a sliding minute (with `Retry-After`; estimated from two minutes' counts:
docs/decisions/0111-sliding-api-rate-limit.md), 502 the appliance failed or
refused (its own message goes to the log only, docs/decisions/0011-command-api-errors.md), 503
the appliance's circuit breaker is open (with `Retry-After`). API messages are English: they
are for integrators, not customers.

Decisions where the specs are silent:
- `ttl` is accepted from 60 s to 7 days (the vendor's own bounds are UNCONFIRMED,
  docs/vendors/beyondtrust.md#generate_session_key).
- A prefill link (`POST /prefill-links`) is valid for 7 days unless `expires_in` says otherwise
  (at most 90 days); it is the one endpoint that also works on Take Control sites. It opens
  the survey, the key page or the home page (`flow`), as `manage.py portal_prefill_link` does.
- A chat hand-off's virtual customer needs an IP address, operating system and computer name
  (docs/vendors/beyondtrust.md#create_virtual_customer) that a chat bot rarely knows: they default
  to `0.0.0.0` (the "unspecified" address), "Chat" and the API token's name, so the representative
  sees which integration sent it; "Chat" too when the token's name is no name by the rule a
  sent computer name meets (docs/decisions/0116-chat-handoff-computer-name.md).
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import math
import time
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import BadRequest, RequestDataTooBig
from django.http import HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, re_path, reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Status
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from portal import appliance, prefill, selectors, services
from portal.api import errors
from portal.api.auth import ANY_SITE, BEYONDTRUST_SITE, SESSION_KEY_SITE
from portal.api.errors import LOCATION_MAX_CHARS, ApiError
from portal.api.schemas import (
    MISSING_MESSAGES,
    VIRTUAL_CUSTOMER_MAX_CHARS,
    ChatHandoff,
    ChatHandoffRequest,
    Error,
    PrefillLink,
    PrefillLinkRequest,
    RepList,
    SessionKey,
    SessionKeyRequest,
)
from portal.branding import site_origin
from portal.models import Issue, Site, StartRequest
from portal.text_rules import name_problem, normalise, text_problem
from portal.timestamps import utc_to_the_second
from portal.vendors.cache import default_timeout

logger = logging.getLogger(__name__)

DEFAULT_OPERATING_SYSTEM = "Chat"
DEFAULT_COMPUTER_NAME = "Chat"


def default_computer_name(token_name: str) -> str:
    """The computer name a chat hand-off sends when the caller sent none: the API token's name,
    when it meets the rule a sent one must (record 0116), else DEFAULT_COMPUTER_NAME. An admin
    types a token's name freely, so it may hold a zero-width space or only symbols, which the
    console would show as another name or as nothing."""
    name = normalise(token_name)[:VIRTUAL_CUSTOMER_MAX_CHARS]
    return DEFAULT_COMPUTER_NAME if text_problem(name) or name_problem(name) else name


# ------------------------------------------------------------------------------
# Body: a small JSON object, or one of the contract's errors
# ------------------------------------------------------------------------------
def read_json_object(request) -> dict:
    """The body as a JSON object: 415 unless `application/json`, 413 over MAX_BODY_BYTES,
    400 `invalid_json` for anything that is not a JSON object of real text."""
    if request.content_type != "application/json":
        raise ApiError(
            415, "unsupported_media_type", "Send a JSON body with 'Content-Type: application/json'."
        )
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > errors.MAX_BODY_BYTES:
            raise errors.too_large()
        body = request.body
    except (RequestDataTooBig, ValueError):
        raise errors.too_large() from None
    if len(body) > errors.MAX_BODY_BYTES:
        raise errors.too_large()
    if not body:  # also a chunked body: it has no Content-Length, so Django reads none of it
        raise ApiError(
            400,
            "invalid_json",
            "The body is empty: send a JSON object with a Content-Length header "
            "(a chunked body is not read).",
        )
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    try:  # a lone surrogate (`"\ud800"`) is valid JSON but no text: it cannot be sent on
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(
            400, "invalid_json", "The body is not valid UTF-8 JSON: a string holds a lone surrogate."
        ) from None
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class JsonObjectParser(Parser):
    def parse_body(self, request) -> dict:
        return read_json_object(request)


class Renderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


def ready_json(data: dict[str, Any], status: int = 200) -> HttpResponse:
    """The answer `PortalNinjaAPI.create_response` makes of `data` (the renderer's JSON, the
    same Content-Type and Cache-Control), for a handler whose data is already exactly its
    schema's: django-ninja passes an HttpResponse through unvalidated. The schema still
    documents it, and tests/test_api.py checks this answer against the one django-ninja makes."""
    response = HttpResponse(
        json.dumps(data, **Renderer.json_dumps_params), status=status, content_type="application/json"
    )
    response["Cache-Control"] = "no-store"
    return response


class PortalNinjaAPI(NinjaAPI):
    """django-ninja with the contract's response headers on every answer."""

    def get_content_type(self) -> str:
        return "application/json"

    def create_response(self, request, data, *, status=None, temporal_response=None) -> HttpResponse:
        response = super().create_response(request, data, status=status, temporal_response=temporal_response)
        response["Cache-Control"] = "no-store"
        return response


api = PortalNinjaAPI(
    title="Support Portal integrations API",
    version="1.0.0",
    description="Create BeyondTrust session keys for tickets, hand chat-bot conversations to a "
    "human, list online representatives, and sign prefill links. Authenticate with "
    "`Authorization: Bearer <token>` (a token from the portal's admin or `manage.py "
    "portal_token`); a token acts for one site. Errors are JSON objects with `error` "
    "and `message`.",
    servers=[{"url": "/api/v1"}],
    openapi_url=None,  # served by the `openapi` operation below, which the document describes
    docs_url=None,  # no Swagger page: it would load script from a CDN the CSP forbids
    parser=JsonObjectParser(),
    renderer=Renderer(),
    urls_namespace="api",
)


# ------------------------------------------------------------------------------
# Errors: every one in the envelope (portal.api.errors)
# ------------------------------------------------------------------------------
# Starts refused for their fields are recorded like the forms' (docs/decisions/0032-...):
# by URL name, whether it is a chat hand-off.
RECORDED_STARTS = {"api_session_keys": False, "api_chat_handoffs": True}


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return exc.response()


@api.exception_handler(NinjaValidationError)
def _invalid(request, exc: NinjaValidationError):
    if errors.is_missing_body(exc):  # no body at all: say why, as for a body that is not JSON
        try:
            read_json_object(request)
        except ApiError as error:
            return error.response()
    fields = errors.field_errors(exc.errors, missing_messages=MISSING_MESSAGES)
    match = request.resolver_match
    chat = RECORDED_STARTS.get(match.url_name if match else "")
    if chat is not None:
        record(
            site=request.auth.site,
            outcome=StartRequest.Outcome.INVALID,
            chat=chat,
            error_fields=sorted(fields),
        )
    return ApiError(400, "invalid", "Some fields are invalid.", fields=fields).response()


# django-ninja types a handler's argument as "the exception or its class"; it passes the instance.
api.add_exception_handler(HttpError, lambda request, exc: errors.http_error_response(exc))  # type: ignore[arg-type]
api.add_exception_handler(
    RequestDataTooBig,
    lambda request, exc: errors.request_too_big_response(exc),  # type: ignore[arg-type]
)
api.add_exception_handler(BadRequest, lambda request, exc: errors.body_cut_response(exc))  # type: ignore[arg-type]


# ------------------------------------------------------------------------------
# What each operation documents: its answer and its errors, with their headers
# ------------------------------------------------------------------------------
ERRORS = {
    400: (
        "Invalid fields (`invalid`, with `fields`), a body that is not a JSON object (`invalid_json`; "
        "an empty one too, as a chunked body is: send a Content-Length), "
        "or a body that came too slowly and was cut (`bad_request`: send it again).",
        {},
    ),
    401: (
        "The Bearer token is missing, unknown or revoked.",
        {
            "WWW-Authenticate": {
                "schema": {"type": "string"},
                "description": '`Bearer realm="support-portal"` without a Bearer token; '
                '`Bearer realm="support-portal", error="invalid_token"` for an unknown or revoked one.',
            }
        },
    ),
    403: (
        "The token's site cannot do this: its backend is not a BeyondTrust appliance with "
        "API credentials, (prefill links) it has no prefill secret, or (links) it is not the "
        "default site and has no hostname, so no link would reach it.",
        {},
    ),
    413: ("The body is larger than 64 KiB.", {}),
    415: ("The body is not `application/json`.", {}),
    429: (
        "More requests for this token in a sliding minute than the portal allows "
        "(PORTAL_API_RATE_LIMIT, default 120). The sliding minute is estimated from this and "
        "the previous calendar minute's counts, the previous one's as if spread evenly over "
        "it: its limit in one minute's last second leaves little for the next one's first, and "
        "its limit in a minute's first second is freed one request at a time over the next "
        "minute. Wait `Retry-After` seconds. A refused request does not count.",
        {
            "Retry-After": {
                "schema": {"type": "integer", "minimum": 1},
                "description": "Whole seconds until a request for this token is admitted again, "
                "if none is sent meanwhile.",
            }
        },
    ),
    502: ("The appliance failed, answered something unreadable, or refused the request.", {}),
    503: (
        "The appliance failed repeatedly; the portal does not call it for a while.",
        {
            "Retry-After": {
                "schema": {"type": "integer"},
                "description": "Seconds until the portal tries again.",
            }
        },
    ),
}
BODY_ERRORS = (400, 401, 403, 413, 415, 429, 502, 503)


def documented(status: int, model, description: str, errors_: tuple[int, ...]) -> dict:
    """`response` and `openapi_extra` for an operation: django-ninja writes the schemas, this
    adds the descriptions and the headers each status carries."""
    responses: dict[int, dict[str, Any]] = {status: {"description": description}}
    for code in errors_:
        text, headers = ERRORS[code]
        responses[code] = {"description": text, **({"headers": headers} if headers else {})}
    return {
        "response": {status: model, **{code: Error for code in errors_}},
        "openapi_extra": {"responses": responses},
    }


# ------------------------------------------------------------------------------
# Endpoints
# ------------------------------------------------------------------------------
def require_reachable(site: Site) -> None:
    """403 for a site no link can reach: not the default site and without a hostname, its pages
    answer on no address (a link on the API's own host opened the default site instead)."""
    if not site.is_default and not selectors.first_hostname(site):
        raise ApiError(
            403,
            "forbidden",
            "This site has no hostname, so no link reaches it; an admin must add one (site > Hostnames).",
        )


def portal_url(request, *, site: Site, path: str) -> str:
    """An absolute link to one of the site's pages, on its first hostname (require_reachable
    first: a site without one is the default site, which answers any host)."""
    return f"{site_origin(site, request)}{path}"


def record(
    *,
    site: Site,
    outcome: str,
    issue: Issue | None = None,
    chat: bool = False,
    customer: services.Customer | None = None,
    error_fields=None,
    language: str = "",
) -> None:
    """A start the API made or refused, in the site's default language unless the call names
    the customer's (a chat hand-off's `locale`): the start record's, and the webhook's."""
    context = services.StartContext(site=site, language=language or site.default_language)
    services.record_start(
        context=context,
        flow=StartRequest.Flow.API,
        outcome=outcome,
        issue=issue,
        chat=chat,
        customer=customer,
        error_fields=error_fields,
    )


@contextlib.contextmanager
def calling_appliance(action: str):
    """Appliance failures as API errors: 503 while the breaker is open, 502 otherwise."""
    try:
        yield
    except appliance.ApplianceCircuitOpen as error:
        raise ApiError(
            503,
            "unavailable",
            "The appliance failed repeatedly; try again later.",
            headers={"Retry-After": str(error.retry_after)},
        ) from None
    except appliance.ApplianceError as error:
        logger.warning("API %s failed: %s", action, error)
        if isinstance(error, appliance.ApplianceKeyRefused):
            # A setting disagrees with the appliance: say which, as no key is given.
            message = f"The appliance made a session key the portal's key page refuses: {error}."
        elif isinstance(error, appliance.ApplianceUnavailable):
            message = "The appliance could not be reached or failed to answer."
        else:
            message = "The appliance refused the request; the portal's log has details."
        raise ApiError(502, "appliance_error", message) from None


@api.post(
    "/session-keys",
    auth=SESSION_KEY_SITE,
    url_name="api_session_keys",
    operation_id="createSessionKey",
    summary="Create a session key for a queue",
    **documented(201, SessionKey, "The new session key.", BODY_ERRORS),
)
def session_keys(request, payload: SessionKeyRequest):
    site = request.auth.site
    wanted = payload.appliance_arguments()
    issue = payload.queue.issue
    customer = services.Customer(external_key=wanted["external_key"], custom=tuple(wanted["custom"].items()))
    require_reachable(site)  # before the appliance makes a key whose portal link would be wrong
    try:
        with calling_appliance("generate_session_key"):
            key = appliance.create_session_key(backend=site.backend, **wanted)
    except ApiError:
        record(site=site, outcome=StartRequest.Outcome.FAILED, issue=issue, customer=customer)
        raise
    record(site=site, outcome=StartRequest.Outcome.STARTED, issue=issue, customer=customer)
    return Status(
        201,
        {
            "short_key": key.short_key,
            "key_url": key.key_url,
            "portal_url": portal_url(
                request, site=site, path=f"{reverse('session_key')}?{urlencode({'key': key.short_key})}"
            ),
            "expires": utc_to_the_second(key.expires) if key.expires else None,
        },
    )


@api.post(
    "/chat-handoffs",
    auth=SESSION_KEY_SITE,
    url_name="api_chat_handoffs",
    operation_id="handOffChat",
    summary="Hand a chat-bot conversation to a human",
    **documented(201, ChatHandoff, "A chat-only customer now waits in the queue.", BODY_ERRORS),
)
def chat_handoffs(request, payload: ChatHandoffRequest):
    token = request.auth
    site = token.site
    wanted = payload.appliance_arguments()
    issue = payload.queue.issue
    customer = services.Customer(
        name=payload.name, external_key=wanted["external_key"], custom=tuple(wanted["custom"].items())
    )
    # In the chat's language: the start record's and the webhook's is the customer's.
    recorded = functools.partial(
        record, site=site, issue=issue, chat=True, customer=customer, language=payload.locale
    )
    try:
        with calling_appliance("chat hand-off"):
            handoff = appliance.hand_off_chat(
                backend=site.backend,
                name=payload.name,
                ip_address=payload.ip_address,
                operating_system=payload.operating_system or DEFAULT_OPERATING_SYSTEM,
                computer_name=payload.computer_name or default_computer_name(token.name),
                locale=payload.locale,
                **wanted,
            )
    except ApiError:
        recorded(outcome=StartRequest.Outcome.FAILED)
        raise
    recorded(outcome=StartRequest.Outcome.STARTED)
    return Status(
        201,
        {
            "short_key": handoff.session_key.short_key,
            "download_url": handoff.download_url,
            "chat_url": handoff.chat_url or None,
        },
    )


@api.get(
    "/reps",
    auth=BEYONDTRUST_SITE,
    url_name="api_reps",
    operation_id="listReps",
    summary="List the online representatives customers may pick",
    **documented(200, RepList, "Representatives showing on the public list.", (401, 403, 429, 502, 503)),
)
def reps(request):
    """Online representatives showing on the public list, from the rep page's cache."""
    site = request.auth.site
    # An integration, not a customer: with nothing cached it may wait for the appliance, as
    # long as one vendor call may take (a thread of its own; customer pages never wait).
    patience = default_timeout()
    result = selectors.online_reps(site=site, wait=patience, wait_for_others=patience)
    if result.unavailable or result.pending:
        breaker = selectors.vendor_breaker(site.backend)
        if breaker is not None and breaker.is_open:
            raise ApiError(
                503,
                "unavailable",
                "The appliance failed repeatedly; try again later.",
                headers={"Retry-After": str(math.ceil(breaker.reset_after))},
            )
        raise ApiError(
            502,
            "appliance_error",
            "The appliance could not be asked for its representatives; the portal's log has details.",
        )
    # Already in RepList's shape and types: rendered as the API renders (`ready_json`), without
    # django-ninja's validation of the answer, a tenth of the endpoint's CPU
    # (docs/decisions/0095-rep-list-answer-without-validation.md).
    return ready_json(
        {"reps": [{"id": rep.id, "name": rep.public_name} for rep in result.reps], "stale": result.stale}
    )


@api.post(
    "/prefill-links",
    auth=ANY_SITE,
    url_name="api_prefill_links",
    operation_id="createPrefillLink",
    summary="Create a signed prefill link whose values the customer cannot change",
    **documented(201, PrefillLink, "The signed link.", (400, 401, 403, 413, 415, 429)),
)
def prefill_links(request, payload: PrefillLinkRequest):
    """A signed prefill link (`portal.prefill`): the values are locked for the customer.
    Works for every backend; needs the site's prefill secret."""
    site = request.auth.site
    if not site.prefill_secret:
        raise ApiError(
            403, "forbidden", "This site has no prefill link secret; an admin must set one (site > Advanced)."
        )
    require_reachable(site)
    problems = services.signed_link_problems(site=site, flow=payload.flow, values=payload.values)
    if problems:  # the form's own words, where the schema's rules (above) hold
        raise ApiError(
            400,
            "invalid",
            "Some fields are invalid.",
            fields={f"values.{name[:LOCATION_MAX_CHARS]}": messages for name, messages in problems.items()},
        )
    expires_at = int(time.time()) + payload.expires_in
    query = prefill.sign_prefill(secret=site.prefill_secret, values=payload.values, expires_at=expires_at)
    too_long = prefill.link_too_long(flow=payload.flow, query=query)
    if too_long:
        raise ApiError(400, "invalid", "Some fields are invalid.", fields={"values": [too_long]})
    return Status(
        201,
        {
            "url": portal_url(
                request, site=site, path=f"{reverse(prefill.LINK_PAGES[payload.flow])}?{query}"
            ),
            "expires": utc_to_the_second(datetime.fromtimestamp(expires_at, tz=UTC)),
        },
    )


@api.get(
    "/openapi.json",
    auth=None,
    url_name="api_openapi",
    operation_id="openapi",
    summary="This document",
    response={200: dict},
    openapi_extra={"responses": {200: {"description": "The OpenAPI 3.1 document."}}},
)
def openapi(request):
    return openapi_document()


@functools.cache
def _document() -> str:
    # Paths under the server URL (`/api/v1`), as integrators call them.
    return json.dumps(api.get_openapi_schema(path_prefix=""), ensure_ascii=False)


def openapi_document() -> dict:
    """The generated OpenAPI 3.1 document, as JSON reads it (a fresh copy: callers may change it)."""
    return json.loads(_document())


# ------------------------------------------------------------------------------
# URLs: django-ninja's, with its 405 in the envelope, and a JSON 404 for everything else
# ------------------------------------------------------------------------------
def _json_405(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            methods = [m.strip() for m in response["Allow"].split(",")]
            return errors.method_not_allowed(sorted(methods)).response()
        return response

    return wrapper


@csrf_exempt  # a POST to a mistyped path gets this JSON 404, not the CSRF failure page
def not_found(request, rest=""):
    """The JSON 404 of a path no endpoint has; one that has an endpoint but for its trailing
    slash (`/api/v1/reps/`) names it, as Django's APPEND_SLASH would redirect a page."""
    other = rest[:-1] if rest.endswith("/") else f"{rest}/"
    endpoint = other and any(pattern.resolve(other) for pattern in urlpatterns[:-1])
    meant = (request.path[:-1] if rest.endswith("/") else f"{request.path}/") if endpoint else ""
    return errors.not_found(meant=meant).response()


def _urlpatterns() -> list:
    patterns, _app, _namespace = api.urls
    ours = []
    for pattern in patterns:
        assert isinstance(pattern, URLPattern)  # ninja's routes are flat: one pattern per path
        if pattern.name == "api-root":  # ninja's "/" (an HTML 404): ours is JSON
            continue
        ours.append(
            URLPattern(pattern.pattern, _json_405(pattern.callback), pattern.default_args, pattern.name)
        )
    return [*ours, re_path(r"^(?P<rest>.*)$", not_found)]


urlpatterns = _urlpatterns()
