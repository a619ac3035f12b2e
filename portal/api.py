"""The integrations JSON API under /api/v1/ (docs/architecture.md#integrations-api); described by
`portal.openapi`.

Help-desk systems and chat bots call it with `Authorization: Bearer sp_...` (a token from
admin or `manage.py portal_token`); a token acts for its one site. No cookies and no sessions:
that is why the views are CSRF-exempt: a browser cannot attach a Bearer header on its own, so
a forged cross-site request carries no credentials.

Errors are JSON `{"error": <code>, "message": <text>}`, with `fields` for 400 "invalid":
401 missing/unknown/revoked token (with `WWW-Authenticate: Bearer`), 403 the site's backend is
not a configured BeyondTrust appliance, 404, 405 (with `Allow`), 413 body over
`MAX_BODY_BYTES`, 415 not JSON, 429 over the token's PORTAL_API_RATE_LIMIT a minute (with
`Retry-After`), 502 the appliance failed or refused (its own message goes to
the log only, docs/decisions/0011-command-api-errors.md), 503 the appliance's circuit breaker is
open (with `Retry-After`). API messages are English: they are for integrators, not customers.

Decisions where the specs are silent:
- `issue:CODE` must name an active issue of the token's site: the token is scoped to the site,
  and an unknown code would only come back as an appliance error. The issue's priority and
  skills apply when the request gives none, as in the survey.
- `custom_fields` may use any valid code name, not only the site's survey fields: an appliance
  may define fields an integration fills (a ticket URL) that customers are never asked.
- `ttl` is accepted from 60 s to 7 days (the vendor's own bounds are UNCONFIRMED,
  docs/vendors/beyondtrust.md#generate_session_key).
- A prefill link (`POST /prefill-links`) is valid for 7 days unless `expires_in` says otherwise
  (at most 90 days); it is the one endpoint that also works on Take Control sites.
- The document and the views agree exactly where JSON Schema can say it (tests/fuzz runs
  schemathesis both ways): `null` is refused for every field (no schema allows it); an
  integral number such as `3.0` is an integer, as JSON Schema's `integer` says; lengths and
  the text rule (`text_problem`, published as a `not`/`pattern`) apply to the value as sent,
  before surrounding spaces are trimmed; `flow` and `locale`, when given, must be one of
  their values (not empty); `ip_address` is taken exactly as sent (no spaces, no IPv6 zone).
- A chat hand-off's virtual customer needs an IP address, operating system and computer name
  (docs/vendors/beyondtrust.md#create_virtual_customer) that a chat bot rarely knows: they default
  to `0.0.0.0` (the "unspecified" address), "Chat" and the API token's name, so the representative
  sees which integration sent it.
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import json
import logging
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import JsonResponse
from django.urls import path, re_path, reverse
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt

from portal import appliance, guards, prefill, selectors, services
from portal.forms import clean_text, customer_fields_for
from portal.models import ApiToken, Issue, Site, StartRequest
from portal.openapi import openapi_document
from portal.tokens import authenticate_token
from portal.vendors import limits
from portal.vendors.beyondtrust.client import BeyondTrustError, BeyondTrustUnavailable, Queue
from portal.vendors.cache import default_timeout

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024  # a full request (10,000 bytes of custom fields) fits many times
TTL_MIN, TTL_MAX = 60, 7 * 24 * 3600
MAX_SKILLS = 50
VIRTUAL_CUSTOMER_MAX_CHARS = 100  # as customer.name (docs/decisions/0005-beyondtrust-limits.md);
# the vendor's limits are UNCONFIRMED
DEFAULT_IP_ADDRESS = "0.0.0.0"
DEFAULT_OPERATING_SYSTEM = "Chat"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
CODE_NAME_RE = re.compile(limits.CODE_NAME_PATTERN)
QUEUE_RE = re.compile(r"\A(?:(general)|rep:(\d{1,18})|team:(\d{1,18})|issue:(.*))\Z", re.S)


# ------------------------------------------------------------------------------
# Errors and the view decorator
# ------------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str, *, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message
        self.fields, self.headers = fields, headers or {}

    def response(self) -> JsonResponse:
        body = {"error": self.error, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return json_response(body, status=self.status, headers=self.headers)


def json_response(body: dict, *, status: int = 200, headers: dict | None = None) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unauthorized(message: str, *, token_presented: bool) -> ApiError:
    challenge = 'Bearer realm="support-portal"'
    if token_presented:
        challenge += ', error="invalid_token"'
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def authenticated_token(request) -> ApiToken:
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    if not header:
        raise unauthorized("Send the API token as 'Authorization: Bearer <token>'.",
                           token_presented=False)
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized("Use the Bearer scheme: 'Authorization: Bearer <token>'.",
                           token_presented=False)
    token = authenticate_token(secret.strip())
    if token is None:
        raise unauthorized("The API token is unknown or revoked.", token_presented=True)
    return token


def throttle(token: ApiToken) -> None:
    """Per-token limit: the appliance allows an API account 20 requests a second and 15,000 an
    hour (docs/vendors/beyondtrust.md#limits), shared with the customers' rep list; one
    integration's loop must not use that up."""
    wait = guards.over_limit(f"api:{token.pk}", limit=settings.PORTAL_API_RATE_LIMIT, window=60)
    if wait:
        raise ApiError(429, "rate_limited", "Too many requests for this token; slow down.",
                       headers={"Retry-After": str(wait)})


def api_view(*methods: str, public: bool = False):
    """JSON in, JSON out: method check, Bearer token (unless `public`), errors as JSON."""
    def decorator(view: Callable) -> Callable:
        @csrf_exempt  # no cookies: a Bearer token is the only credential (see module docstring)
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(405, "method_not_allowed",
                                   f"Use {' or '.join(methods)} on this endpoint.",
                                   headers={"Allow": ", ".join(methods)})
                if not public:
                    request.api_token = authenticated_token(request)
                    throttle(request.api_token)
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error.response()
        wrapper.api_methods = methods
        return wrapper
    return decorator


def beyondtrust_site(token: ApiToken) -> Site:
    """The token's site, when its backend is a BeyondTrust appliance the portal may call."""
    site = token.site
    backend = site.backend
    if not backend.is_beyondtrust:
        raise ApiError(403, "forbidden", "This site's backend is not a BeyondTrust appliance; "
                       "the API needs one.")
    if not (backend.base_url and backend.client_id and backend.client_secret):
        raise ApiError(403, "forbidden", "This site's BeyondTrust backend has no API "
                       "credentials; an admin must add them.")
    return site


@contextlib.contextmanager
def calling_appliance(action: str):
    """Appliance failures as API errors: 503 while the breaker is open, 502 otherwise."""
    try:
        yield
    except appliance.ApplianceCircuitOpen as error:
        raise ApiError(503, "unavailable", "The appliance failed repeatedly; try again later.",
                       headers={"Retry-After": str(error.retry_after)}) from None
    except BeyondTrustError as error:
        logger.warning("API %s failed: %s", action, error)
        if isinstance(error, BeyondTrustUnavailable):
            message = "The appliance could not be reached or failed to answer."
        else:
            message = "The appliance refused the request; the portal's log has details."
        raise ApiError(502, "appliance_error", message) from None


# ------------------------------------------------------------------------------
# Request bodies
# ------------------------------------------------------------------------------
def json_body(request) -> dict:
    if request.content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send a JSON body with "
                       "'Content-Type: application/json'.")
    too_large = ApiError(413, "too_large", f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            raise too_large
        body = request.body
    except (RequestDataTooBig, ValueError):
        raise too_large from None
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise ApiError(400, "invalid_json", "The body is not valid UTF-8 JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    try:  # a lone surrogate (`"\ud800"`) is valid JSON but no text: it cannot be sent on
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "invalid_json", "The body is not valid UTF-8 JSON: a string "
                       "holds a lone surrogate.") from None
    return data


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


class Fields:
    """Reads typed values from a JSON object and collects per-field errors."""

    def __init__(self, data: dict, allowed: set[str]):
        self.data = data
        self.errors: dict[str, list[str]] = {}
        for name in data:
            if name not in allowed:
                self.error(name, "Unknown field.")

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, "invalid", "Some fields are invalid.", fields=self.errors)

    # A field that is present must have its documented type: `null` is a JSON type of its own
    # and is refused like any other wrong type (the OpenAPI schemas allow null nowhere).
    def string(self, name: str, *, required: bool = False, max_chars: int | None = None) -> str:
        if name not in self.data:
            if required:
                self.error(name, "This field is required.")
            return ""
        value = self.data[name]
        if not isinstance(value, str):
            self.error(name, "Must be a string.")
            return ""
        # Length and characters are judged on the value as sent, as the document's maxLength
        # and pattern say; only then are surrounding spaces trimmed.
        if max_chars is not None and len(value) > max_chars:
            self.error(name, f"At most {max_chars} characters.")
        text_error = text_problem(value)
        value = value.strip()
        if required and not value:
            self.error(name, "This field is required.")
        if text_error:
            self.error(name, text_error)
        return value

    def integer(self, name: str, *, low: int, high: int) -> int | None:
        if name not in self.data:
            return None
        value = self.data[name]
        # JSON has one number type: JSON Schema's `integer` (the document) accepts 3.0 as 3,
        # and so does the API; 3.5 is not an integer.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(name, "Must be an integer.")
            return None
        if not low <= value <= high:
            self.error(name, f"Must be from {low} to {high}.")
            return None
        return value

    def code_names(self, name: str, *, max_items: int) -> list[str]:
        if name not in self.data:
            return []
        value = self.data[name]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            self.error(name, "Must be a list of strings.")
            return []
        if len(value) > max_items:
            self.error(name, f"At most {max_items} items.")
        bad = [item for item in value if not CODE_NAME_RE.fullmatch(item)]
        if bad:
            self.error(name, "Not a code name (1-64 letters, digits, _ or -): "
                       + ", ".join(repr(item[:70]) for item in bad[:5]))
        return list(dict.fromkeys(value))


def session_key_request(fields: Fields, *, site: Site, queue_required: bool) -> dict:
    """The session-key part of a body: queue, external_key, custom_fields, priority, skills,
    ttl, within the limits of docs/decisions/0005-beyondtrust-limits.md. Returns keyword arguments
    for the appliance services."""
    queue, issue = _queue(fields, site=site, required=queue_required)
    external_key = fields.string(limits.EXTERNAL_KEY_CODE, max_chars=limits.CUSTOM_FIELD_MAX_CHARS)
    custom = _custom_fields(fields)
    total = sum(limits.utf8_len(v) for v in [external_key, *custom.values()])
    if total > limits.CUSTOM_TOTAL_MAX_BYTES:
        fields.error("custom_fields", f"Custom fields and the external key together are {total} "
                     f"UTF-8 bytes; at most {limits.CUSTOM_TOTAL_MAX_BYTES}.")
    priority = fields.integer("priority", low=min(limits.PRIORITIES), high=max(limits.PRIORITIES))
    skills = fields.code_names("skills", max_items=MAX_SKILLS)
    if issue is not None:  # the issue's defaults, as the survey sends them
        priority = priority if "priority" in fields.data else issue.priority
        skills = skills if "skills" in fields.data else issue.skill_list
    return {
        "queue": queue, "external_key": external_key, "custom": custom, "priority": priority,
        "skills": skills, "ttl": fields.integer("ttl", low=TTL_MIN, high=TTL_MAX), "issue": issue,
    }


SESSION_KEY_FIELDS = {"queue", "external_key", "custom_fields", "priority", "skills", "ttl"}
CHAT_HANDOFF_FIELDS = SESSION_KEY_FIELDS | {"name", "ip_address", "operating_system",
                                            "computer_name", "locale"}


def _queue(fields: Fields, *, site: Site, required: bool) -> tuple[str, Issue | None]:
    if "queue" not in fields.data and not required:
        return Queue.general(), None
    value = fields.data.get("queue")
    match = QUEUE_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        fields.error("queue", "This field is required." if "queue" not in fields.data else
                     "Use 'general', 'rep:<id>', 'team:<id>' or 'issue:<code name>'.")
        return "", None
    general, rep_id, team_id, code = match.groups()
    if general:
        return Queue.general(), None
    if rep_id:
        return Queue.rep(int(rep_id)), None
    if team_id:
        return Queue.team(int(team_id)), None
    issue = (site.issues.filter(code_name=code, active=True).first()
             if CODE_NAME_RE.fullmatch(code) else None)
    if issue is None:
        fields.error("queue", f"No active issue with code name {code[:70]!r} on this site.")
        return "", None
    return Queue.issue(issue.code_name), issue


def _custom_fields(fields: Fields) -> dict[str, str]:
    if "custom_fields" not in fields.data:
        return {}
    value = fields.data["custom_fields"]
    if not isinstance(value, dict):
        fields.error("custom_fields", "Must be an object of code name to string.")
        return {}
    custom = {}
    for code, text in value.items():
        where = f"custom_fields.{code[:70]}"
        if code == limits.EXTERNAL_KEY_CODE:
            fields.error(where, "Send the external key as 'external_key'.")
        elif not CODE_NAME_RE.fullmatch(code):
            fields.error(where, "Not a code name (1-64 letters, digits, _ or -).")
        elif not isinstance(text, str):
            fields.error(where, "Must be a string.")
        elif len(text) > limits.CUSTOM_FIELD_MAX_CHARS:
            fields.error(where, f"At most {limits.CUSTOM_FIELD_MAX_CHARS} characters.")
        elif text_problem(text, multiline=True):
            fields.error(where, text_problem(text, multiline=True))
        else:
            custom[code] = text
    return custom


def _ip_address(fields: Fields) -> str:
    """An IPv4 or IPv6 address exactly as sent (the document's `ipv4`/`ipv6` formats: no
    surrounding spaces, no IPv6 zone); empty or absent means the default."""
    value = fields.data.get("ip_address", "")
    if not isinstance(value, str):
        fields.error("ip_address", "Must be a string.")
        return ""
    if not value:
        return DEFAULT_IP_ADDRESS
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        address = None
    if address is None or getattr(address, "scope_id", None):
        fields.error("ip_address", "Not an IPv4 or IPv6 address.")
    return value


# ------------------------------------------------------------------------------
# Endpoints
# ------------------------------------------------------------------------------
def portal_url(request, *, site: Site, path: str) -> str:
    """An absolute link to one of the site's pages, on its first hostname."""
    hostname = site.hostnames.order_by("pk").values_list("hostname", flat=True).first()
    if not hostname:  # the default site answers any host, this one included
        return request.build_absolute_uri(path)
    scheme = "https" if settings.HTTPS else request.scheme
    return f"{scheme}://{hostname}{path}"


def record(*, site: Site, outcome: str, issue: Issue | None = None, chat: bool = False,
           customer: services.Customer | None = None, error_fields=None) -> None:
    context = services.StartContext(site=site, language=site.default_language)
    services.record_start(context=context, flow=StartRequest.Flow.API, outcome=outcome,
                          issue=issue, chat=chat, customer=customer, error_fields=error_fields)


def _validated(fields: Fields, *, site: Site, chat: bool) -> None:
    if fields.errors:
        record(site=site, outcome=StartRequest.Outcome.INVALID, chat=chat,
               error_fields=sorted(fields.errors))
    fields.check()


@api_view("POST")
def session_keys(request):
    site = beyondtrust_site(request.api_token)
    fields = Fields(json_body(request), SESSION_KEY_FIELDS)
    wanted = session_key_request(fields, site=site, queue_required=True)
    _validated(fields, site=site, chat=False)
    issue = wanted.pop("issue")
    customer = services.Customer(external_key=wanted["external_key"],
                                 custom=tuple(wanted["custom"].items()))
    try:
        with calling_appliance("generate_session_key"):
            key = appliance.create_session_key(backend=site.backend, **wanted)
    except ApiError:
        record(site=site, outcome=StartRequest.Outcome.FAILED, issue=issue, customer=customer)
        raise
    record(site=site, outcome=StartRequest.Outcome.STARTED, issue=issue, customer=customer)
    return json_response({
        "short_key": key.short_key,
        "key_url": key.key_url,
        "portal_url": portal_url(request, site=site,
                                 path=f"{reverse('session_key')}?{urlencode({'key': key.short_key})}"),
        "expires": key.expires.isoformat() if key.expires else None,
    }, status=201)


@api_view("POST")
def chat_handoffs(request):
    site = beyondtrust_site(request.api_token)
    fields = Fields(json_body(request), CHAT_HANDOFF_FIELDS)
    wanted = session_key_request(fields, site=site, queue_required=False)
    name = fields.string("name", required=True, max_chars=limits.CUSTOMER_TEXT_MAX_CHARS)
    ip_address = _ip_address(fields)
    operating_system = fields.string("operating_system", max_chars=VIRTUAL_CUSTOMER_MAX_CHARS)
    computer_name = fields.string("computer_name", max_chars=VIRTUAL_CUSTOMER_MAX_CHARS)
    locale = fields.string("locale")
    if "locale" in fields.data and locale not in LANGUAGE_CODES:
        fields.error("locale", "Use one of: " + ", ".join(sorted(LANGUAGE_CODES)) + ".")
    _validated(fields, site=site, chat=True)
    issue = wanted.pop("issue")
    customer = services.Customer(name=name, external_key=wanted["external_key"],
                                 custom=tuple(wanted["custom"].items()))
    try:
        with calling_appliance("chat hand-off"):
            handoff = appliance.hand_off_chat(
                backend=site.backend, name=name, ip_address=ip_address,
                operating_system=operating_system or DEFAULT_OPERATING_SYSTEM,
                computer_name=computer_name or request.api_token.name[:VIRTUAL_CUSTOMER_MAX_CHARS],
                locale=locale, **wanted,
            )
    except ApiError:
        record(site=site, outcome=StartRequest.Outcome.FAILED, issue=issue, chat=True,
               customer=customer)
        raise
    record(site=site, outcome=StartRequest.Outcome.STARTED, issue=issue, chat=True,
           customer=customer)
    return json_response({
        "short_key": handoff.session_key.short_key,
        "download_url": handoff.customer.download_url,
        "chat_url": handoff.customer.chat_url or None,
    }, status=201)


@api_view("GET")
def reps(request):
    """Online representatives showing on the public list, from the rep page's cache."""
    site = beyondtrust_site(request.api_token)
    # An integration, not a customer: with nothing cached it may wait for the appliance, as
    # long as one vendor call may take (a thread of its own; customer pages never wait).
    patience = default_timeout()
    result = selectors.online_reps(site=site, wait=patience, wait_for_others=patience)
    if result.unavailable or result.pending:
        breaker = selectors.beyondtrust_breaker(site.backend)
        if breaker.is_open:
            raise ApiError(503, "unavailable", "The appliance failed repeatedly; try again later.",
                           headers={"Retry-After": str(math.ceil(breaker.reset_after))})
        raise ApiError(502, "appliance_error", "The appliance could not be asked for its "
                       "representatives; the portal's log has details.")
    return json_response({
        "reps": [{"id": rep.id, "name": rep.public_name} for rep in result.reps],
        "stale": result.stale,
    })


PREFILL_FLOWS = {"survey": "survey", "key": "session_key"}
PREFILL_TTL_DEFAULT, PREFILL_TTL_MAX = 7 * 24 * 3600, 90 * 24 * 3600
PREFILL_TEXT_ERRORS = {"control": "No control characters.", "line_break": "One line only."}


# The API's text rule, also published in the OpenAPI document as `not: {pattern: ...}` (the
# same regular expression, valid in Python and ECMA-262): the characters the customer forms
# refuse (forms.clean_text: C0/C1 controls, DEL, bidirectional overrides; tab and line breaks
# in one-line fields), refused anywhere in the value, surrounding spaces included. Anything
# this rule lets through the forms accept too.
CONTROL_CHARS = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069"
LINE_BREAK_CHARS = r"\t\n\r\u2028\u2029"
CONTROL_PATTERN = f"[{CONTROL_CHARS}]"
ONE_LINE_CONTROL_PATTERN = f"[{CONTROL_CHARS}{LINE_BREAK_CHARS}]"
_CONTROL_RE = re.compile(CONTROL_PATTERN)
_LINE_BREAK_RE = re.compile(f"[{LINE_BREAK_CHARS}]")


def text_problem(value: str, *, multiline: bool = False) -> str:
    """What the API's text rule (above) says of a value as sent, or ""."""
    if _CONTROL_RE.search(value):
        return PREFILL_TEXT_ERRORS["control"]
    if not multiline and _LINE_BREAK_RE.search(value):
        return PREFILL_TEXT_ERRORS["line_break"]
    return ""


def prefill_value_error(name: str, value: str, *, site: Site) -> str:
    """Why the flow's form would refuse this value, or "".

    A signed value is locked: the customer cannot correct it, so a value the form refuses
    must never be signed. The limits are the form's own (`forms.customer_fields_for`); custom
    fields and anything else get the custom-field limit.
    """
    spec = next((f for f in customer_fields_for(site.backend) if f.name == name), None)
    multiline = bool(spec and spec.multiline)
    # The API's own rule first (characters anywhere, lengths as sent: what the document says),
    # then the form's, which trims and unifies line ends.
    problem = text_problem(value, multiline=multiline)
    if problem:
        return problem
    try:
        text = clean_text(value, multiline=multiline)
    except ValidationError as error:
        return PREFILL_TEXT_ERRORS.get(error.code, "Not accepted by the form.")
    max_chars = spec.max_chars if spec else limits.CUSTOM_FIELD_MAX_CHARS
    max_bytes = spec.max_bytes if spec else None
    if max_chars and len(value) > max_chars:
        return f"At most {max_chars} characters."
    if max_bytes and limits.utf8_len(text) > max_bytes:
        return f"At most {max_bytes} UTF-8 bytes."
    return ""


@api_view("POST")
def prefill_links(request):
    """A signed prefill link (`portal.prefill`): the values are locked for the customer.
    Works for every backend; needs the site's prefill secret."""
    site = request.api_token.site
    fields = Fields(json_body(request), {"flow", "values", "expires_in"})
    flow = fields.string("flow") if "flow" in fields.data else "survey"
    if flow not in PREFILL_FLOWS:
        fields.error("flow", "Use 'survey' or 'key'.")
    expires_in = fields.integer("expires_in", low=TTL_MIN, high=PREFILL_TTL_MAX) or PREFILL_TTL_DEFAULT
    values = fields.data.get("values")
    if not isinstance(values, dict) or not values:
        fields.error("values", "Must be a non-empty object of parameter name to string.")
        values = {}
    for name, value in values.items():
        where = f"values.{name[:70]}"
        if not prefill.is_prefill_name(name) or (
                name.startswith("cf_") and not CODE_NAME_RE.fullmatch(name[3:])):
            fields.error(where, "Not a prefill parameter: " + ", ".join(prefill.BUILT_IN)
                         + " or cf_<code name>.")
        elif not isinstance(value, str):
            fields.error(where, "Must be a string.")
        elif message := prefill_value_error(name, value, site=site):
            fields.error(where, message)
    fields.check()
    if not site.prefill_secret:
        raise ApiError(403, "forbidden", "This site has no prefill link secret; an admin must "
                       "set one (site > Advanced).")
    expires_at = int(time.time()) + expires_in
    query = prefill.sign_prefill(secret=site.prefill_secret, values=values, expires_at=expires_at)
    return json_response({
        "url": portal_url(request, site=site, path=f"{reverse(PREFILL_FLOWS[flow])}?{query}"),
        "expires": datetime.fromtimestamp(expires_at, tz=UTC).isoformat(),
    }, status=201)


@api_view("GET", public=True)
def openapi(request):
    return json_response(openapi_document())


@csrf_exempt  # a POST to a mistyped path gets this JSON 404, not the CSRF failure page
def not_found(request, rest=""):
    return ApiError(404, "not_found", "No such API endpoint; see /api/v1/openapi.json.").response()


urlpatterns = [
    path("session-keys", session_keys, name="api_session_keys"),
    path("chat-handoffs", chat_handoffs, name="api_chat_handoffs"),
    path("reps", reps, name="api_reps"),
    path("prefill-links", prefill_links, name="api_prefill_links"),
    path("openapi.json", openapi, name="api_openapi"),
    re_path(r"^(?P<rest>.*)$", not_found),  # JSON, not the customer 404 page
]
