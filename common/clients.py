"""Who a request comes from: its client's address and scheme, believing forwarded headers only from trusted proxies.

Shared by the REST channel (per-address limits) and the staff console (login limits, the Secure flag, the Origin
check). From a trusted peer, the client is the right-most ``X-Forwarded-For`` entry that is not itself a trusted
proxy (entries further left are whatever the client sent, so they are never believed); ``X-Forwarded-Proto: https``
marks the request as TLS, and ``X-Forwarded-Host`` names the host the browser asked for.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Union

from common.settings import Network


def _address(text: str) -> Optional[Union[ipaddress.IPv4Address, ipaddress.IPv6Address]]:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "203.0.113.7:51234"
        text = text.split(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def is_trusted(peer: str, trusted: Sequence[Network]) -> bool:
    address = _address(peer)
    return address is not None and any(address in network for network in trusted)


def _last(value: Optional[str]) -> Optional[str]:
    """The right-most entry of a comma-separated header: the one the nearest proxy wrote."""
    entries = [entry.strip() for entry in (value or "").split(",") if entry.strip()]
    return entries[-1] if entries else None


@dataclass(frozen=True)
class Visitor:
    address: str  # the client's address: the peer's, or the one a trusted proxy saw
    tls: bool     # served over TLS (directly, or to a trusted proxy that says so)
    host: str     # the host the browser asked for (Host, or X-Forwarded-Host from a trusted proxy)


def visitor(peer: str, tls: bool, header: Callable[[str], Optional[str]],
            trusted: Sequence[Network] = ()) -> Visitor:
    """Who is asking. ``header(name)`` gives a request header (several of one name joined by commas)."""
    host = header("host") or ""
    if not is_trusted(peer, trusted):
        return Visitor(address=str(_address(peer) or peer or "unknown"), tls=tls, host=host)
    address = str(_address(peer) or peer)
    hops = [entry.strip() for entry in (header("x-forwarded-for") or "").split(",") if entry.strip()]
    for hop in reversed(hops):
        parsed = _address(hop)
        if parsed is None:  # not an address: nothing to the left of it can be believed either
            break
        address = str(parsed)
        if not any(parsed in network for network in trusted):
            break
    proto = (_last(header("x-forwarded-proto")) or "").lower()
    return Visitor(address=address, tls=tls or proto == "https", host=_last(header("x-forwarded-host")) or host)
