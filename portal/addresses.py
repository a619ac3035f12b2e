"""IP address facts shared by the rate limits (`portal.guards`) and the webhook receivers'
address check (`portal.webhooks.transport`)."""

from __future__ import annotations

import ipaddress

# NAT64's well-known prefix (RFC 6052): an IPv4 host seen through a 4-to-6 translator.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def translated_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for on its way through a translator: IPv4-mapped
    (`::ffff:a.b.c.d`), or NAT64's well-known prefix, whose last 32 bits are the IPv4 address;
    None for any other."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None
