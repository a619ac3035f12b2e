"""One webhook request over requests, guarded against server-side request forgery.

The guard checks the address the socket actually connected to (after DNS, so a name that
resolves to 10.0.0.1 or 127.0.0.1 is caught, and so is a name re-pointed between a check and
the connection), unless PORTAL_WEBHOOKS_ALLOW_PRIVATE is set
(docs/decisions/0072-webhook-receiver-addresses.md). No proxy from the environment, no
redirects followed, at most EXCERPT_BYTES of the answer read.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from portal.addresses import translated_ipv4

EXCERPT_BYTES = 1024


class BlockedAddress(Exception):
    """The receiver's address is not on the public internet."""


# The deprecated IPv4-compatible addresses (RFC 4291 2.5.5.1): as with NAT64's, the last 32 bits
# are an IPv4 address a translator takes the connection on to.
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def is_public_address(text: str) -> bool:
    """Whether a receiver may have this address: a global unicast address, and for an IPv6
    address carrying an IPv4 one (mapped, NAT64, 6to4, IPv4-compatible), that IPv4 address's
    verdict. Python calls 64:ff9b::a9fe:a9fe global, and a NAT64 gateway takes it on to
    169.254.169.254. Reserved space is never public, though Python 3.11 calls most of it global:
    ::/8 holds the local-use NAT64 prefix (64:ff9b:1::/48, RFC 8215, a site's own translator
    with the IPv4 address wherever its prefix length puts it) and SIIT's ::ffff:0:0:0/96."""
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        if (translated := translated_ipv4(address)) is not None:
            address = translated
        elif address.sixtofour is not None:
            address = address.sixtofour
        elif address in IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
            address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.is_global and not address.is_multicast and not address.is_reserved


def _check_resolved(host: str, port: int) -> None:
    """Refuses a receiver whose name resolves to any address that is not public, before any
    connection is tried: a connect attempt would tell an open port ("not a public address")
    from a closed one ("connection refused") in the delivery log, a scan of the portal's own
    network. The check on the connected peer (below) stays: a name re-pointed between the two
    is still caught."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return  # the connection attempt reports the failure as before
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:  # any private one: the connection might take it
        if not is_public_address(address):
            raise BlockedAddress(address)


def _check_peer(sock) -> None:
    peer = sock.getpeername()[0]
    if not is_public_address(peer):
        sock.close()
        raise BlockedAddress(peer)


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self):
        _check_resolved(self._dns_host, self.port)
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self):
        _check_resolved(self._dns_host, self.port)
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def session(*, allow_private: bool) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # no proxy or .netrc from the environment
    if not allow_private:
        s.mount("http://", _GuardedAdapter())
        s.mount("https://", _GuardedAdapter())
    return s


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    excerpt: str = ""
    error: str = ""
    # Not worth another try (the address is refused by policy).
    final: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _excerpt(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").replace("\x00", "")


def post(
    *, url: str, body: bytes, headers: dict[str, str], timeout: tuple[float, float], allow_private: bool
) -> Outcome:
    """POSTs once; never raises for what the network or the receiver does."""
    started = time.perf_counter()

    def took() -> int:
        return round((time.perf_counter() - started) * 1000)

    with session(allow_private=allow_private) as s:
        try:
            response = s.post(
                url, data=body, headers=headers, timeout=timeout, allow_redirects=False, stream=True
            )
        except BlockedAddress as error:
            return Outcome(
                None,
                took(),
                error=f"Refused: {error} is not a public address (PORTAL_WEBHOOKS_ALLOW_PRIVATE)",
                final=True,
            )
        except requests.exceptions.SSLError:
            return Outcome(None, took(), error="TLS error: the receiver's certificate was not accepted")
        except requests.exceptions.ConnectTimeout:
            return Outcome(None, took(), error=f"Connect timeout after {timeout[0]:g} s")
        except requests.exceptions.ReadTimeout:
            return Outcome(None, took(), error=f"No answer within {timeout[1]:g} s")
        except requests.exceptions.ConnectionError as error:
            return Outcome(None, took(), error=_connection_error(error))
        except requests.exceptions.RequestException as error:
            return Outcome(None, took(), error=type(error).__name__)
        try:
            raw = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
        except (requests.exceptions.RequestException, OSError, Exception):  # noqa: BLE001
            raw = b""
        finally:
            response.close()
        return Outcome(response.status_code, took(), excerpt=_excerpt(raw[:EXCERPT_BYTES]))


def _connection_error(error: Exception) -> str:
    text = str(error)
    if "refused" in text.lower():
        return "Connection refused"
    if "Name or service not known" in text or "getaddrinfo" in text or "resolve" in text:
        return "The receiver's host name does not resolve"
    return "Connection failed"
