"""Who is calling, and can they prove it: addresses, URL secrets and signatures."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import typing as t

if t.TYPE_CHECKING:
    from erp_webhooks.config import Network


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: tuple[Network, ...]
) -> str | None:
    """The caller's address.

    `X-Forwarded-For` is believed only as far as it was written by trusted proxies:
    walking from the right, each hop added by a trusted proxy is skipped and the
    first untrusted one is the client. Anyone can write the header, so a request
    that did not come through a trusted proxy is judged by its own address.
    """
    if peer is None or not is_in(peer, trusted_proxies) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_in(hop, trusted_proxies):
            return hop
    return hops[0] if hops else peer


def is_in(address: str, networks: tuple[Network, ...]) -> bool:
    """Whether an address falls in any of the networks (never for garbage)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def same_secret(given: str | None, expected: str) -> bool:
    """Compare secrets in constant time (no early exit on the first wrong character)."""
    if given is None:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def hmac_sha256_hex(secret: str, message: bytes) -> str:
    """Lowercase hex HMAC-SHA256."""
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
