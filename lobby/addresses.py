"""A client's own address: the peer's, or behind trusted proxies the last one they name."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in trusted)


def client_address(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str:
    """`X-Forwarded-For` is believed only from a trusted proxy, and only as far back as the
    chain stays trusted: the rightmost address no trusted proxy added is the client."""
    address = peer or "unknown"
    if not forwarded_for or not _trusted(address, networks(trusted)):
        return address
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if not _valid(hop):
            return address  # a forged or broken chain: stop at the last proxy we trust
        address = hop
        if not _trusted(hop, networks(trusted)):
            return hop
    return address


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _valid(address: str) -> bool:
    try:
        ipaddress.ip_address(address)
    except ValueError:
        return False
    return True
