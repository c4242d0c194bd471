"""Where webhooks may be sent: public addresses only (loopback too on a dev gateway), checked
when subscribing and again before every attempt, so a name later pointed at an internal
address is refused (server-side request forgery)."""

from __future__ import annotations

import ipaddress
import socket

import httpx

# IPv6 prefixes whose addresses carry an IPv4 address a gateway or relay may forward to.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _addresses(address: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address, then the IPv4 address it carries if any (IPv4-mapped, 6to4, Teredo,
    NAT64): a connection to it may end there, so each must be allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    found: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        found += [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
        if ip.teredo is not None:
            found.append(ip.teredo[1])
        if ip in _NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _allowed(address: str, allow_loopback: bool) -> bool:
    ips = _addresses(address)
    if allow_loopback:
        # 127.0.0.0/8 or ::1, or 127.x as IPv4-mapped IPv6: this machine, and only it.
        mapped = ips[0].ipv4_mapped if isinstance(ips[0], ipaddress.IPv6Address) else None
        if (mapped or ips[0]).is_loopback:
            return True
    return all(ip.is_global and not ip.is_multicast for ip in ips)


def destination_problem(url: str, *, allow_loopback: bool) -> str | None:
    """Why webhooks may not be sent to `url`, or None: not an http(s) URL with a host, or
    a host that does not resolve or resolves to any address that is not public (loopback,
    private, link-local incl. 169.254.169.254, shared, reserved, multicast), loopback
    excepted when `allow_loopback`. The answer never says what a name resolves to."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        parsed = None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        return f"webhook url {url!r} is not an http(s) URL with a host"
    allowed = "public or loopback addresses" if allow_loopback else "public addresses"
    refused = f"webhook host {parsed.host!r} does not resolve to {allowed} only"
    try:
        infos = socket.getaddrinfo(parsed.host, parsed.port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return refused
    if not all(_allowed(str(info[4][0]), allow_loopback) for info in infos):
        return refused
    return None
