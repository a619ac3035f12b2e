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
import time
from dataclasses import dataclass

from django.core import signing
from django.core.cache import cache

from portal.addresses import translated_ipv4
from portal.cache_backend import incr_or_add
from portal.conf import portal_settings

FORM_SALT = "portal.public-form"
HONEYPOT_FIELD = "website"
TIMESTAMP_FIELD = "ts"
_signer = signing.TimestampSigner(salt=FORM_SALT)


def form_timestamp() -> str:
    """A signed 'rendered at' value; the same for every visitor, so pages stay cacheable."""
    return _signer.sign("form")


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
    return counted


def same_origin(request) -> bool:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in {"same-origin", "none"}:
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.get_host()}"


def over_limit(key: str, *, limit: int, window: int) -> int:
    """Counts one more request for `key` in the current window of the shared cache; returns
    the seconds to wait when the count is over `limit`, else 0."""
    bucket = int(time.time() // window)
    # One SQL statement or Redis round trip, a client's first request in a window too (most
    # customers send one start, docs/decisions/0100-counters-created-in-one-step.md).
    count = incr_or_add(cache, f"portal:rate:{key}:{bucket}", window + 1)
    if count > limit:
        return window - int(time.time()) % window or 1
    return 0


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
