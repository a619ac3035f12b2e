"""The Take Control REST client: create a session (docs/decisions/0015-takecontrol-rest-start.md),
read session history (docs/decisions/0019-takecontrol-session-history.md).

Built once per backend with `TakeControlClient.for_backend(backend)`, as the BeyondTrust client
is; nothing else in the portal knows the vendor's paths, headers or field names.

How it behaves, and why:
- Every call has (connect, read) timeouts from `PORTAL_VENDOR_CONNECT_TIMEOUT` and
  `PORTAL_VENDOR_READ_TIMEOUT` and a capped response size, `MAX_RESPONSE_BYTES`
  (docs/architecture.md#talking-to-vendors).
- Redirects are not followed: requests would forward the custom `INTEGRATION-KEY` header to
  whatever host a redirect names (it strips only `Authorization`), and a redirect from the API
  means the configured domain is wrong anyway.
- 429 (docs/decisions/0015-takecontrol-rest-start.md): the wait the vendor asks for in `Retry-After`
  (seconds or an HTTP date) is honoured when it fits under `PORTAL_TC_RETRY_AFTER_MAX` (default 3 s,
  the request path must stay short); then the call is retried once. A longer wait is not shortened:
  the call fails at once instead of retrying early. Without the header (rate-limit headers are
  UNCONFIRMED, docs/vendors/takecontrol.md#rest-create-session) the wait is about a second, jittered
  so workers do not retry in step. Every 429 counts against a circuit breaker shared by all workers
  through the cache (`PORTAL_TC_BREAKER_THRESHOLD`, default 3, open for `PORTAL_TC_BREAKER_RESET`,
  default 60 s); while it is open no call leaves the portal. Any other answer from the vendor closes
  it again. A second breaker with the same threshold and pause counts the calls the vendor did
  not answer (timeouts, connection errors, 5xx answers), so a hung vendor holds a worker thread
  for the vendor timeouts a few times, not once per customer; any answer below 500 closes it
  (docs/decisions/0096-takecontrol-health-breaker.md). Retrying the POST is safe because a 429
  means the request was not processed. Both endpoints share each breaker per backend: the limit
  is the account's, and history reads must not use up what customers need.
- Errors are exceptions under `TakeControlError`. Their messages never hold a key or the
  vendor's text: `vendor_message` keeps the vendor's words for logs and admins only.
- Keys are never logged; log lines name the API host only.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from portal.conf import portal_settings
from portal.log import seconds
from portal.vendors.base import redacted, stopped_mid_answer
from portal.vendors.cache import CircuitBreaker
from portal.vendors.takecontrol.history import DEFAULT_HISTORY_COLUMNS, HISTORY_COLUMNS
from portal.vendors.takecontrol.start_url import (
    TakeControlValueError,
    check_customer_fields,
    check_routing,
    language_for_locale,
)
from portal.vendors.urls import vendor_link

if TYPE_CHECKING:
    from portal.models import Backend

logger = logging.getLogger(__name__)

KEY_HEADER = (
    "INTEGRATION-KEY"  # docs/vendors/takecontrol.md#keys-and-authentication: the primary form; the
    # Authorization variants are UNCONFIRMED
)
SESSION_PATH = "/session"
HISTORY_PATH = "/session/history"

# Details keys that might carry a link for the customer's applet. The documented response has
# none (docs/vendors/takecontrol.md#rest-create-session and docs/vendors/takecontrol.md#unconfirmed:
# UNCONFIRMED); these are the names a vendor plausibly uses, checked in this order. `install_link`
# is what the Device Installer endpoint calls its link (docs/vendors/takecontrol.md#pin).
APPLET_LINK_KEYS = (
    "applet_url",
    "applet_link",
    "download_url",
    "download_link",
    "join_url",
    "join_link",
    "session_url",
    "support_link",
    "install_link",
    "link",
    "url",
)
# The documented `requests[].waiting_time` is per queued request and its unit is UNCONFIRMED;
# an estimate for this customer is read only from a top-level details key like these, and only
# in a form that names its unit (docs/decisions/0123-estimated-wait-only-with-a-certain-unit.md).
WAIT_KEYS = (
    "estimated_waiting_time",
    "estimated_wait_time",
    "expected_waiting_time",
    "waiting_time",
)
# The forms of a wait whose unit is written in it: an ISO 8601 duration ("PT3M", "PT1H30M",
# "PT90S") and a clock of hours, minutes and seconds ("0:03:00"). A bare number, "180" or
# "03:00" (minutes or hours?) could be seconds or minutes, so it is not read.
ISO_DURATION = re.compile(
    r"P(?:(?P<days>\d{1,4})D)?(?:T(?=\d)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,8})M)?"
    r"(?:(?P<seconds>\d{1,10}(?:[.,]\d{1,9})?)S)?)?",
    re.ASCII,
)
CLOCK_DURATION = re.compile(
    r"(?P<hours>\d{1,6}):(?P<minutes>[0-5]\d):(?P<seconds>[0-5]\d(?:\.\d{1,9})?)", re.ASCII
)
# A longer estimate is not an estimate a customer can act on: a vendor's placeholder or a
# mistake, not shown.
MAX_ESTIMATED_WAIT_SECONDS = 24 * 3600
# A third-party client guesses `details.session_id` / `details.id`
# (docs/vendors/takecontrol.md#rest-create-session).
SESSION_ID_KEYS = ("session_id", "id")
# Session history (docs/decisions/0019-takecontrol-session-history.md, UNCONFIRMED shape): rows
# under one of these keys of `details`, or `details` itself when it is a list; paging under the
# other names.
ROWS_KEYS = ("sessions", "rows", "history", "items", "data", "results")
PAGE_KEYS = ("page", "pageNumber", "page_number")
PAGE_SIZE_KEYS = ("pageSize", "page_size")
TOTAL_KEYS = ("total", "totalCount", "total_count", "nsessions", "count")
# Columns the history endpoint may be asked for: the ones admins can choose, plus the chat
# transcript, which the portal does not offer but a caller might want.
KNOWN_HISTORY_VARS = frozenset(HISTORY_COLUMNS) | {"CHAT_INFO"}
HISTORY_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"  # docs/vendors/takecontrol.md#session-history
# Tri-state filters: None leaves the filter out.
_PROCESSED = {None: "", True: "ANSWERED", False: "UNANSWERED"}
_TRUE_FALSE = {None: "", True: "TRUE", False: "FALSE"}
# Without Retry-After: wait about this long (capped by the setting) before the one retry.
DEFAULT_RETRY_WAIT = 1.0
VENDOR_MESSAGE_MAX_CHARS = 300  # enough to log the vendor's reason, not a whole page
# An answer larger than this is refused unread, like the BeyondTrust client's: a session or a
# page of history is a few kilobytes (docs/architecture.md#talking-to-vendors).
MAX_RESPONSE_BYTES = 5 * 1024 * 1024


# ------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------


class TakeControlError(Exception):
    """Something went wrong talking to Take Control. Safe to log; never shown to customers."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: object = None,
        vendor_message: str = "",
    ):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.vendor_message = vendor_message


class TakeControlRejected(TakeControlError):
    """400: the vendor refused our values, so our validation missed something
    (docs/decisions/0015-takecontrol-rest-start.md).

    The customer gets an apology and the redirect path; the vendor's reason is logged.
    """


class TakeControlMisconfigured(TakeControlError):
    """401/403 (key invalid, expired, lacking permission or IP), 404 or a redirect (wrong API
    domain), or a key missing in admin. Logged as an error for the admin; the customer sees
    "temporarily unavailable" (docs/decisions/0015-takecontrol-rest-start.md)."""


class TakeControlUnavailable(TakeControlError):
    """The vendor could not be reached or failed (connection error, 5xx)."""


class TakeControlTimeout(TakeControlUnavailable):
    """The vendor did not answer within the configured timeouts."""


class TakeControlUnreachable(TakeControlUnavailable):
    """No connection at all: the API domain does not resolve, nothing answers there, or a
    firewall or proxy is in the way (the connection test then says what to check)."""


class TakeControlRateLimited(TakeControlUnavailable):
    """429 that one bounded retry did not cure, or the shared breaker is open (no call made).

    `retry_after` is the wait the vendor asked for, in seconds, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        breaker_open: bool = False,
        status: int | None = 429,
    ):
        super().__init__(message, status=status)
        self.retry_after = retry_after
        self.breaker_open = breaker_open


class TakeControlBadResponse(TakeControlError):
    """An answer we cannot use: not JSON, not the envelope, or `"result": "ERROR"` with 200."""


# ------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A vendor answer, read whole (and bounded) before the connection is released."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class SessionCreated:
    """What `POST /session` told us (docs/decisions/0015-takecontrol-rest-start.md;
    docs/vendors/takecontrol.md#rest-create-session).

    - `queue_length`: `details.nrequests`, or the number of `requests` when that is missing.
      Whether it counts this customer's own request is UNCONFIRMED.
    - `estimated_wait_seconds`: the wait of a top-level wait key (`WAIT_KEYS`) in whole seconds,
      only when the value names its unit (an ISO 8601 duration or an h:mm:ss clock) and lies
      between 0 and a day; otherwise None. The unit of a bare number is UNCONFIRMED, so it is
      not shown (docs/decisions/0123-estimated-wait-only-with-a-certain-unit.md).
    - `applet_url`: an https link for the customer from one of `APPLET_LINK_KEYS`, else "" and
      the page falls back to the configured PIN/support link
      (docs/decisions/0015-takecontrol-rest-start.md).
    - `session_id`: `details.session_id` or `details.id` as text, else "" (a guess,
      docs/vendors/takecontrol.md#rest-create-session).
    - `requests`: the queue entries as the vendor sent them (computer_name, computer_domain,
      tech_username, waiting_time, ...). They describe other customers' computers: for admins
      and logs, not for the customer's page.
    """

    queue_length: int | None
    estimated_wait_seconds: int | None
    applet_url: str
    session_id: str
    requests: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class SessionHistory:
    """Rows of `GET /session/history` and paging information when the vendor sent any."""

    rows: tuple[Mapping[str, Any], ...]
    page: int | None = None
    page_size: int | None = None
    total: int | None = None


# ------------------------------------------------------------------------------
# The client
# ------------------------------------------------------------------------------


class TakeControlClient:
    def __init__(
        self,
        *,
        api_domain: str,
        public_key: str = "",
        private_key: str = "",
        ask_customer_info: bool = False,
        show_waiting_queue: bool = True,
        breaker_key: str = "",
    ):
        # The REST base is the domain as the admin copied it, `/rest` included
        # (docs/vendors/takecontrol.md#api-domain).
        self.api_domain = api_domain.strip().rstrip("/")
        self._public_key = public_key
        self._private_key = private_key
        self.ask_customer_info = ask_customer_info
        self.show_waiting_queue = show_waiting_queue
        self.host = urlsplit(self.api_domain).hostname or "?"
        digest = hashlib.sha256(f"{breaker_key}|{self.api_domain}".encode()).hexdigest()[:16]
        self.breaker = CircuitBreaker(
            f"takecontrol:rate-limit:{digest}",
            failure_threshold=portal_settings.TC_BREAKER_THRESHOLD,
            reset_after=portal_settings.TC_BREAKER_RESET,
        )
        # A vendor that does not answer (timeouts, connection errors, 5xx) is paused like one
        # that rate-limits: each call to a hung vendor holds a worker thread for up to the
        # vendor timeouts (docs/decisions/0096-takecontrol-health-breaker.md).
        self.health = CircuitBreaker(
            f"takecontrol:health:{digest}",
            failure_threshold=portal_settings.TC_BREAKER_THRESHOLD,
            reset_after=portal_settings.TC_BREAKER_RESET,
        )

    def __repr__(self) -> str:  # never the keys
        return f"<TakeControlClient {self.api_domain}>"

    @classmethod
    def for_backend(cls, backend: Backend) -> TakeControlClient:
        """The client for a `Backend` of kind takecontrol
        (docs/decisions/0013-takecontrol-backend-settings.md)."""
        if backend.kind != "takecontrol":
            raise ValueError("not a Take Control backend")
        return cls(
            api_domain=backend.base_url,
            public_key=backend.tc_public_key,
            private_key=backend.tc_private_key,
            ask_customer_info=backend.tc_ask_customer_info,
            show_waiting_queue=backend.tc_show_waiting_queue,
            breaker_key=f"backend-{backend.pk}",
        )

    # -- create session (docs/decisions/0015-takecontrol-rest-start.md)
    # ------------------------------------------------

    def create_session(
        self,
        *,
        department_id: int | None = None,
        technician_username: str = "",
        locale: str = "",
        customer_name: str = "",
        customer_email: str = "",
        customer_number: str = "",
        problem_description: str = "",
    ) -> SessionCreated:
        """`POST {domain}/session` with the public key; the body is exactly the fields of
        docs/decisions/0015-takecontrol-rest-start.md.

        `locale` is the portal's language code, sent as the vendor's two-letter `language`.
        Empty optional values (no department, no technician, unknown language, blank customer
        fields) are left out of the body instead of being sent as "" or null: the vendor lists
        every field as optional (docs/vendors/takecontrol.md#rest-create-session) and an empty
        string might overwrite a default. `ask_customer_info` and `show_waiting_queue` are always
        sent, as 1/0 like the vendor's example, because 0 is a choice the admin made.
        """
        if not self._public_key:
            raise TakeControlMisconfigured("no public integration key is configured")
        check_routing(department_id=department_id, technician_username=technician_username)
        check_customer_fields(
            customer_name=customer_name,
            customer_email=customer_email,
            customer_number=customer_number,
            problem_description=problem_description,
        )
        body: dict[str, Any] = {
            "department_id": department_id,
            "technician_username": technician_username,
            "language": language_for_locale(locale) if locale else "",
            "customer_name": customer_name,
            "customer_email": customer_email,
            "customer_number": customer_number,
            "problem_description": problem_description,
        }
        body = {name: value for name, value in body.items() if value not in ("", None)}
        body["ask_customer_info"] = 1 if self.ask_customer_info else 0
        body["show_waiting_queue"] = 1 if self.show_waiting_queue else 0
        details = self._call("POST", SESSION_PATH, key=self._public_key, body=body, what="create session")
        return _session_created(details)

    # -- session history (docs/decisions/0019-takecontrol-session-history.md)
    # -------------------------------------------------

    def session_history(
        self,
        *,
        date_from: date | datetime,
        date_to: date | datetime,
        variables: Sequence[str] = DEFAULT_HISTORY_COLUMNS,
        session_id: str = "",
        customer_name: str = "",
        customer_email: str = "",
        computer_name: str = "",
        technician_username: str = "",
        start_method: str = "",
        processed: bool | None = None,
        has_videos: bool | None = None,
        page: int | None = None,
        page_size: int | None = None,
    ) -> SessionHistory:
        """`GET {domain}/session/history` with the private key and a JSON body
        (docs/decisions/0019-takecontrol-session-history.md).

        The REST parameters are UNCONFIRMED (docs/vendors/takecontrol.md#session-history and
        docs/vendors/takecontrol.md#unconfirmed). docs/decisions/0019-takecontrol-session-history.md
        says the vendor's example sends `vars` and `filters` as a JSON body on the GET; inside them
        we use the only documented spelling, the legacy Session History API's:
            {"vars": "ID DATE_START ...",            # VARS: space-separated column names
             "filters": {"FILTER_DATE_START_INI": "2024-05-01 00:00:00",
                         "FILTER_DATE_START_END": "2024-05-31 23:59:59", ...}}
        Documented legacy filters: FILTER_ID, FILTER_DATE_START_INI/_END, FILTER_CUSTOMER_NAME,
        FILTER_PROCESSED=ANSWERED. By analogy (UNCONFIRMED): FILTER_CUSTOMER_EMAIL,
        FILTER_COMPUTER_NAME, FILTER_TECH_USERNAME, FILTER_START_METHOD, FILTER_HAS_VIDEOS
        (TRUE/FALSE, as HAS_VIDEOS is written) and FILTER_PROCESSED=UNANSWERED for False.
        A `date` for `date_to` covers that whole day; aware datetimes are sent in UTC (the
        vendor's time zone is UNCONFIRMED). `page`/`page_size` go in the query string as
        `pageNumber`/`pageSize`, the device-group API's names
        (docs/vendors/takecontrol.md#other-endpoints). If a proxy on the way drops GET bodies, this
        is the call that breaks.
        """
        if not self._private_key:
            raise TakeControlMisconfigured("no private integration key is configured")
        unknown = [name for name in variables if name not in KNOWN_HISTORY_VARS]
        if unknown or not variables:
            raise TakeControlValueError("unknown or no history columns", field="variables")
        start, end = (
            _history_date(date_from, end_of_day=False),
            _history_date(date_to, end_of_day=True),
        )
        if start > end:
            raise TakeControlValueError("the history range ends before it starts", field="date_to")
        filters: dict[str, str] = {
            "FILTER_DATE_START_INI": start,
            "FILTER_DATE_START_END": end,
            "FILTER_ID": session_id,
            "FILTER_CUSTOMER_NAME": customer_name,
            "FILTER_CUSTOMER_EMAIL": customer_email,
            "FILTER_COMPUTER_NAME": computer_name,
            "FILTER_TECH_USERNAME": technician_username,
            "FILTER_START_METHOD": start_method,
            "FILTER_PROCESSED": _PROCESSED[processed],
            "FILTER_HAS_VIDEOS": _TRUE_FALSE[has_videos],
        }
        body = {
            "vars": " ".join(variables),
            "filters": {name: value for name, value in filters.items() if value},
        }
        query = {
            name: str(value)
            for name, value in (("pageNumber", page), ("pageSize", page_size))
            if value is not None
        }
        details = self._call(
            "GET",
            HISTORY_PATH,
            key=self._private_key,
            body=body,
            query=query,
            what="session history",
        )
        return _session_history(details)

    # -- transport --------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        *,
        key: str,
        body: Mapping[str, Any],
        what: str,
        query: Mapping[str, str] | None = None,
    ) -> Any:
        """One call with at most one retry after a 429; returns the envelope's `details`."""
        if not self.breaker.allow():
            raise TakeControlRateLimited(
                f"{what}: paused after repeated 429 answers", breaker_open=True, status=None
            )
        if not self.health.allow():
            raise TakeControlUnavailable(f"{what}: paused after repeated failures to answer", status=None)
        cap = portal_settings.TC_RETRY_AFTER_MAX
        for attempt in (1, 2):
            try:
                response = self._send(method, path, key=key, body=body, query=query, what=what)
            except TakeControlUnavailable:  # timed out or unreachable
                self.health.record_failure()
                raise
            if response.status_code >= 500:
                self.health.record_failure()
            else:
                self.health.record_success()  # it answered: alive, even when it says 429
            if response.status_code != 429:
                self.breaker.record_success()
                return _details(
                    response, what=what, host=self.host, keys=(self._public_key, self._private_key)
                )
            self.breaker.record_failure()
            asked = retry_after_seconds(response.headers.get("Retry-After"))
            wait = asked if asked is not None else min(cap, DEFAULT_RETRY_WAIT) * random.uniform(0.5, 1.0)
            if attempt == 2 or wait > cap or self.breaker.is_open:
                logger.warning("Take Control %s at %s: 429, retry after %s", what, self.host, seconds(asked))
                raise TakeControlRateLimited(f"{what}: rate limited", retry_after=asked)
            time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(
        self,
        method: str,
        path: str,
        *,
        key: str,
        body: Mapping[str, Any],
        what: str,
        query: Mapping[str, str] | None,
    ) -> Answer:
        """One request, its answer read whole but never past MAX_RESPONSE_BYTES."""
        timeout = (
            portal_settings.VENDOR_CONNECT_TIMEOUT,
            portal_settings.VENDOR_READ_TIMEOUT,
        )
        try:
            with requests.request(
                method,
                self.api_domain + path,
                params=query or None,
                data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
                headers={
                    KEY_HEADER: key,
                    "Content-Type": "application/json; charset=utf-8",
                    "Accept": "application/json",
                },
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            ) as response:
                content = bytearray()
                for chunk in response.iter_content(64 * 1024):
                    content += chunk
                    if len(content) > MAX_RESPONSE_BYTES:
                        logger.warning("Take Control %s at %s: the answer is too large", what, self.host)
                        raise TakeControlBadResponse(
                            f"{what}: the answer is larger than allowed", status=response.status_code
                        )
                return Answer(
                    status_code=response.status_code, headers=response.headers, content=bytes(content)
                )
        except requests.Timeout as error:
            logger.warning("Take Control %s at %s: timed out", what, self.host)
            raise TakeControlTimeout(f"{what}: the vendor did not answer in time") from error
        except requests.ConnectionError as error:
            logger.warning("Take Control %s at %s: %s", what, self.host, type(error).__name__)
            if stopped_mid_answer(error):
                raise TakeControlTimeout(f"{what}: the vendor did not answer in time") from error
            raise TakeControlUnreachable(f"{what}: the vendor could not be reached") from error
        except requests.RequestException as error:
            logger.warning("Take Control %s at %s: %s", what, self.host, type(error).__name__)
            raise TakeControlUnavailable(f"{what}: the vendor could not be reached") from error


# ------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _error_details(payload: Any, keys: Sequence[str] = ()) -> tuple[object, str]:
    """`errorDetails.errorCode` and `.errorMsg` from an envelope, if there are any
    (docs/vendors/takecontrol.md#errors). The message goes to logs, admin messages and the kept
    connection-test result, which staff who may only view a backend read: each of `keys` the
    vendor repeats in it (a refused key, say) is `***`, before the message is cut short."""
    if isinstance(payload, Mapping) and isinstance(payload.get("errorDetails"), Mapping):
        details = payload["errorDetails"]
        message = redacted(str(details.get("errorMsg") or ""), keys)
        return details.get("errorCode"), message[:VENDOR_MESSAGE_MAX_CHARS]
    return None, ""


def _json(response: Answer) -> Any:
    try:
        return json.loads(response.content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _details(response: Answer, *, what: str, host: str, keys: Sequence[str] = ()) -> Any:
    """The `details` of a SUCCESS envelope, or the matching exception
    (docs/decisions/0015-takecontrol-rest-start.md); `keys` never reach its message."""
    status = response.status_code
    payload = _json(response)
    code, message = _error_details(payload, keys)
    if status == 400:
        # Our validation should have caught it: log for developers, apologise to the customer.
        logger.warning("Take Control %s at %s: 400 %s %s", what, host, code, message)
        raise TakeControlRejected(
            f"{what}: the vendor rejected the request",
            status=status,
            error_code=code,
            vendor_message=message,
        )
    if status in (401, 403, 404) or 300 <= status < 400:
        logger.error(
            "Take Control %s at %s: HTTP %s %s. Admin: check the API domain, the key, its "
            "permissions, IP allow-list and expiry date.",
            what,
            host,
            status,
            message,
        )
        raise TakeControlMisconfigured(
            f"{what}: the vendor refused the configuration",
            status=status,
            error_code=code,
            vendor_message=message,
        )
    if status >= 500:
        logger.warning("Take Control %s at %s: HTTP %s", what, host, status)
        raise TakeControlUnavailable(f"{what}: the vendor failed", status=status)
    if not 200 <= status < 300:
        logger.warning("Take Control %s at %s: unexpected HTTP %s", what, host, status)
        raise TakeControlBadResponse(f"{what}: unexpected HTTP status", status=status)
    if isinstance(payload, list):
        return payload  # a bare list of rows, as legacy JSON output may be (history only)
    if not isinstance(payload, Mapping) or "result" not in payload:
        logger.warning("Take Control %s at %s: the answer is not a JSON envelope", what, host)
        raise TakeControlBadResponse(f"{what}: the answer is not a JSON envelope", status=status)
    if payload["result"] != "SUCCESS":
        logger.warning("Take Control %s at %s: result %s %s %s", what, host, payload["result"], code, message)
        raise TakeControlBadResponse(
            f"{what}: the vendor reported an error",
            status=status,
            error_code=code,
            vendor_message=message,
        )
    return payload.get("details")


def _int_or_none(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def estimated_wait_seconds(value: object) -> int | None:
    """A wait in whole seconds (rounded up) when `value` is a text that names its unit and is at
    most a day; None for anything else (numbers of any type, unitless or worded texts, negative
    or absurd values)."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    text = value.strip().upper()
    match = ISO_DURATION.fullmatch(text) if text.startswith("P") and len(text) > 1 else None
    match = match or CLOCK_DURATION.fullmatch(text)
    if match is None or not any(match.groups()):
        return None
    parts = {name: float((part or "0").replace(",", ".")) for name, part in match.groupdict().items()}
    total = parts.get("days", 0) * 86400 + parts["hours"] * 3600 + parts["minutes"] * 60 + parts["seconds"]
    if total > MAX_ESTIMATED_WAIT_SECONDS:
        return None
    return -int(-total // 1)


def _first(mapping: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        if mapping.get(key) not in (None, ""):
            return mapping[key]
    return None


def _https_link(value: object) -> str:
    """A vendor link is passed to a customer only if it is a plain https URL."""
    return vendor_link(value, schemes=("https",))


def _session_created(details: Any) -> SessionCreated:
    if details is None:
        details = {}
    if not isinstance(details, Mapping):
        raise TakeControlBadResponse("create session: details is not an object")
    raw_requests = details.get("requests")
    queue = (
        tuple(item for item in raw_requests if isinstance(item, Mapping))
        if isinstance(raw_requests, list)
        else ()
    )
    queue_length = _int_or_none(details.get("nrequests"))
    if queue_length is None and isinstance(raw_requests, list):
        queue_length = len(raw_requests)
    wait = _first(details, WAIT_KEYS)
    wait_seconds = estimated_wait_seconds(wait)
    if wait is not None and wait_seconds is None:
        logger.debug("Take Control estimated wait not shown, its unit unknown or its value absurd: %r", wait)
    session_id = _first(details, SESSION_ID_KEYS)
    return SessionCreated(
        queue_length=queue_length,
        estimated_wait_seconds=wait_seconds,
        applet_url=next((link for key in APPLET_LINK_KEYS if (link := _https_link(details.get(key)))), ""),
        session_id=str(session_id)
        if isinstance(session_id, (int, str)) and not isinstance(session_id, bool)
        else "",
        requests=queue,
    )


def _session_history(details: Any) -> SessionHistory:
    rows: list[Any] | None
    info: Mapping[str, Any]
    if isinstance(details, list):
        rows, info = details, {}
    elif isinstance(details, Mapping):
        rows = next((details[key] for key in ROWS_KEYS if isinstance(details.get(key), list)), None)
        if rows is None:
            raise TakeControlBadResponse("session history: no rows in the answer")
        info = details
    elif details is None:
        rows, info = [], {}
    else:
        raise TakeControlBadResponse("session history: details is not a list or an object")
    return SessionHistory(
        rows=tuple(row for row in rows if isinstance(row, Mapping)),
        page=_int_or_none(_first(info, PAGE_KEYS)),
        page_size=_int_or_none(_first(info, PAGE_SIZE_KEYS)),
        total=_int_or_none(_first(info, TOTAL_KEYS)),
    )


def _history_date(value: date | datetime, *, end_of_day: bool) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.strftime(HISTORY_DATE_FORMAT)
    moment = (
        datetime(value.year, value.month, value.day, 23, 59, 59)
        if end_of_day
        else datetime(value.year, value.month, value.day)
    )
    return moment.strftime(HISTORY_DATE_FORMAT)
