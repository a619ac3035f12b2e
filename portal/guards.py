"""Protection for the public forms without any cookie
(docs/decisions/0020-cookie-free-public-forms.md).

Third-party cookies are blocked in embedded frames, so the customer flows cannot rely on
Django's CSRF cookie. Instead a POST must pass four local checks:

- Origin / Sec-Fetch-Site: a browser that sends them must say the POST came from our own
  origin. (A cross-site form post is the CSRF attack; an old browser sending neither header
  still has to pass the checks below.)
- a signed timestamp field (`ts`) from a page we rendered, no older than PORTAL_FORM_MAX_AGE;
- a honeypot field (`website`) that people never see or reach by keyboard;
- a per-client rate limit on POSTs, kept in the shared cache.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache

from portal.addresses import translated_ipv4
from portal.cache_backend import incr_or_add, incr_or_add_reading
from portal.conf import portal_settings

logger = logging.getLogger(__name__)

FORM_SALT = "portal.public-form"
HONEYPOT_FIELD = "website"
TIMESTAMP_FIELD = "ts"
_signer = signing.TimestampSigner(salt=FORM_SALT)


def form_timestamp() -> str:
    """A signed 'rendered at' value; the same for every visitor, so pages stay cacheable."""
    return _signer.sign("form")


def form_rendered_at(value: str) -> float | None:
    """When the page whose form sent this `ts` was rendered (Unix time), None unless our own
    signature holds and the page is young enough to send (PORTAL_FORM_MAX_AGE, as
    check_public_post asks): a form too old is shown again, rendered now, and judged as of now."""
    try:
        _signer.unsign(value, max_age=portal_settings.FORM_MAX_AGE)
    except signing.BadSignature:  # SignatureExpired too
        return None
    return float(signing.b62_decode(value.rsplit(_signer.sep, 2)[1]))


@dataclass(frozen=True)
class GuardResult:
    ok: bool
    reason: str = ""  # "origin", "expired", "unverified", "honeypot", "rate"
    retry_after: int = 0


def client_address(request) -> str:
    """REMOTE_ADDR, or the client address a trusted proxy chain put in X-Forwarded-For."""
    hops = portal_settings.TRUSTED_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if hops and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(addresses) >= hops:
            return addresses[-hops]
    return request.META.get("REMOTE_ADDR", "")


def without_port(address: str) -> str:
    """The address without the port some proxies add in X-Forwarded-For ("203.0.113.7:50123",
    "[2001:db8::1]:50123"): the client's port changes with every connection."""
    if address.startswith("["):
        return address[1:].partition("]")[0]
    host, sep, port = address.rpartition(":")
    if sep and ":" not in host and port.isdigit():
        return host
    return address


def client_network(address: str) -> str:
    """Who a rate limit or the admin lockout counts, as an address: an IPv4 address as it is
    (without a port a proxy may have added); an IPv6 address by its /64's network address. One
    IPv6 subscriber or host is given a whole /64 (RFC 6177) and picks addresses in it at will
    (privacy extensions: a new one per connection if it likes), so counting per /128 would
    give one brute-forcer 2**64 separate limits. An IPv4 client in IPv6 form (IPv4-mapped, or
    through NAT64) is its IPv4 address. Anything that is no IP address is "", never a key of
    its own nor a value for axes' address column."""
    address = without_port(address)
    if ":" not in address:
        try:
            return str(ipaddress.IPv4Address(address))
        except ValueError:
            return ""
    try:
        parsed = ipaddress.IPv6Address(address.split("%", 1)[0])
    except ValueError:
        return ""
    ipv4 = translated_ipv4(parsed)
    if ipv4 is not None:
        return str(ipv4)
    return str(ipaddress.IPv6Network((parsed, 64), strict=False).network_address)


def counted_client(request) -> str:
    """The client a limit counts: the public forms' rate limit and the admin sign-in lockout
    (django-axes' AXES_CLIENT_IP_CALLABLE), so that an IPv6 attacker is one client for both.
    A valid IP address, as axes stores it (PostgreSQL's column is `inet`): when what a trusted
    proxy forwarded is none, the proxy's own address; "" only without REMOTE_ADDR."""
    counted = client_network(client_address(request))
    if not counted:  # a trusted proxy wrote something that is no address ("unknown", "_hidden")
        counted = client_network(request.META.get("REMOTE_ADDR", ""))
    if not counted:
        report_no_client_address()
    return counted


_no_address_reported = threading.Event()


def report_no_client_address() -> None:
    """Say once per process that requests come with no client address. Every such request is
    then one client: they share one rate-limit count and one admin lockout, so a busy hour or
    one attacker's failed sign-ins refuse everyone. Still counted, never let through unlimited:
    the limits keep holding, the log names the fix, and refusing the requests would take the
    portal down (docs/decisions/0020-cookie-free-public-forms.md)."""
    if _no_address_reported.is_set():
        return
    _no_address_reported.set()
    logger.error(
        "Requests reach the portal with no client address (gunicorn on a Unix socket leaves "
        "REMOTE_ADDR empty): every client shares one rate-limit count and one admin lockout. "
        "Set PORTAL_TRUSTED_PROXY_COUNT to the number of proxies in front (1 for one nginx) and "
        "have the proxy send X-Forwarded-For; PORTAL_TRUSTED_PROXY_COUNT is %s.",
        portal_settings.TRUSTED_PROXY_COUNT,
    )


def same_origin(request) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.get_host()}"


def counter_key(key: str, bucket: int) -> str:
    """The shared cache's counter of `key` in window number `bucket`: one name for the fixed
    and the sliding limit, so a deploy that moves a key from one to the other keeps its counts
    (docs/decisions/0111-sliding-api-rate-limit.md)."""
    return f"portal:rate:{key}:{bucket}"


def over_limit(key: str, *, limit: int, window: int) -> int:
    """Counts one more request for `key` in the current window of the shared cache; returns
    the seconds to wait when the count is over `limit`, else 0."""
    bucket = int(time.time() // window)
    # One SQL statement or Redis round trip, a client's first request in a window too (most
    # customers send one start, docs/decisions/0100-counters-created-in-one-step.md).
    count = incr_or_add(cache, counter_key(key, bucket), window + 1)
    if count > limit:
        return window - int(time.time()) % window or 1
    return 0


def over_sliding_limit(key: str, *, limit: int, window: int) -> int:
    """Admits one more request for `key` when at most `limit` fall, by the two counters'
    estimate below, in the sliding `window` seconds that end now, and returns 0; else the whole
    seconds until a request would be admitted (at least 1), and the refused request is not
    counted.

    Two fixed windows' counters stand for the sliding one, the current window's count plus the
    part of the previous window's still inside (`still_inside`): one round trip on Redis, a
    read and the one-step raise on the embedded cache (docs/decisions/0111-sliding-api-rate-limit.md).
    A fixed window alone let a client send `limit` in a window's last second and `limit` again
    in the next one's first."""
    now = time.time()
    bucket = int(now // window)
    current = counter_key(key, bucket)
    # Each counter lives through the next window too, where it is the previous one.
    count, previous = incr_or_add_reading(cache, current, 2 * window + 1, counter_key(key, bucket - 1))
    left = (bucket + 1) * window - now  # of the current window; the previous one's share inside
    if admits(previous, count - 1, limit=limit, window=window, left=left):
        return 0
    try:
        cache.decr(current)  # refused: not counted, so a client that retries early waits no longer
    except ValueError:  # gone (a cache that was cleared): nothing to take back
        pass
    return sliding_wait(previous, count - 1, limit=limit, window=window, left=left)


def still_inside(previous: int, left: float, window: int) -> int:
    """How many of the previous window's `previous` requests are inside the sliding window that
    ends `left` seconds before the current window does (so `left / window` of the previous
    window is inside): counted as if they came evenly spaced from the previous window's start,
    the one at its very start leaving first. A client sending exactly `limit` a window, evenly,
    is admitted whatever its phase; the rounding the other way refused one of its requests in
    every window."""
    return max(0, math.ceil(previous * left / window) - 1)


def admits(previous: int, counted: int, *, limit: int, window: int, left: float) -> bool:
    """A request now is admitted, `counted` requests of the current window admitted before it
    and `previous` in the previous window, `left` seconds before the current window ends."""
    return still_inside(previous, left, window) + counted + 1 <= limit


def sliding_wait(previous: int, counted: int, *, limit: int, window: int, left: float) -> int:
    """The fewest whole seconds (at least 1) after which a request would be admitted, if no
    other came meanwhile: `Retry-After`. Later is never worse (the previous window's share only
    shrinks, and at the next window's start the current count becomes that share), so it is
    searched for; `left + window` seconds on, both windows have passed."""

    def admitted_after(seconds: int) -> bool:
        rest = left - seconds
        if rest > 0:  # still in the current window
            return admits(previous, counted, limit=limit, window=window, left=rest)
        if rest > -window:  # in the next one: this window's count is then the previous one's
            return admits(counted, 0, limit=limit, window=window, left=rest + window)
        return True

    low, high = 1, math.ceil(left + window)
    while low < high:
        middle = (low + high) // 2
        if admitted_after(middle):
            high = middle
        else:
            low = middle + 1
    return low


def rate_limited(request, *, scope: str) -> int:
    """Counts this POST per client (its address, an IPv6 one by its /64); seconds to wait when
    over the limit, else 0."""
    return over_limit(
        f"{scope}:{counted_client(request)}",
        limit=portal_settings.RATE_LIMIT,
        window=portal_settings.RATE_WINDOW,
    )


def check_public_post(request, *, scope: str = "start") -> GuardResult:
    if not same_origin(request):
        return GuardResult(False, "origin")
    retry_after = rate_limited(request, scope=scope)
    if retry_after:
        return GuardResult(False, "rate", retry_after)
    if request.POST.get(HONEYPOT_FIELD):
        return GuardResult(False, "honeypot")
    try:
        _signer.unsign(request.POST.get(TIMESTAMP_FIELD, ""), max_age=portal_settings.FORM_MAX_AGE)
    except signing.SignatureExpired:
        return GuardResult(False, "expired")
    except signing.BadSignature:  # missing, altered, or signed with a SECRET_KEY since replaced
        return GuardResult(False, "unverified")
    return GuardResult(True)
