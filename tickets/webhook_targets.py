"""Where outbound webhooks may post: only to public addresses. A URL whose host is or resolves to a
loopback, link-local, private, shared, multicast or otherwise non-global address is refused, unless
`settings.webhook_allow_private` says this deployment's integrations live on such a network, or the address
is in one of `settings.webhook_allow_networks`. Checked when a subscription is made and again before each
delivery, since a name's addresses can change in between; and a delivery connects to the very address it
checked (`pinned`), with the URL's own name in the Host header and TLS SNI, so a name that resolves elsewhere
a moment later (DNS rebinding) cannot steer the post to an address the check would refuse.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from core.errors import InvalidInput

Resolve = Callable[[str, int], Awaitable[list[str]]]  # (host, port) -> its addresses


class RefusedTarget(InvalidInput):
    """The URL points at an address webhooks may not reach."""


async def resolve_host(host: str, port: int) -> list[str]:
    """The addresses the system's resolver gives for `host`."""
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in found]


def _refused(address: str, networks: Sequence[str]) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in ipaddress.ip_network(n, strict=False) for n in networks):
        return False
    return not ip.is_global or ip.is_multicast


def _parts(url: str) -> Any:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("url: must be an http:// or https:// address with a host")
    return parts


async def check_target(url: str, allow_private: bool, *, unresolved_ok: bool, networks: Sequence[str] = (),
                       resolve: Resolve = resolve_host) -> str | None:
    """RefusedTarget if `url` reaches a non-public address; else the address checked (None if none was: a
    private one allowed outright, or a name that does not resolve, which passes only when `unresolved_ok`, at
    subscription time: it is checked again when there is something to deliver)."""
    parts = _parts(url)
    if allow_private and unresolved_ok:
        return None
    try:
        found = await resolve(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError) as err:
        if unresolved_ok:
            return None
        raise RefusedTarget(f"url: {parts.hostname} does not resolve") from err
    if not found:
        raise RefusedTarget(f"url: {parts.hostname} does not resolve")
    for address in [] if allow_private else found:
        if _refused(address, networks):
            raise RefusedTarget(f"url: {parts.hostname} is {address}, a loopback, link-local or private "
                                "address; webhooks post only to public ones (HELPDESK_WEBHOOK_ALLOW_PRIVATE=true "
                                "or HELPDESK_WEBHOOK_ALLOW_NETWORKS allows them)")
    return found[0]


@dataclass(frozen=True)
class Pinned:
    """A request for `url` that connects to `address`: the URL with the address for its host, the URL's own
    host in the Host header, and its name for TLS (SNI and the certificate check)."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, Any]


def pinned(url: str, address: str) -> Pinned:
    parts = _parts(url)
    userinfo, _, host_port = parts.netloc.rpartition("@")
    host = f"[{address}]" if ":" in address else address
    netloc = (f"{userinfo}@" if userinfo else "") + host + (f":{parts.port}" if parts.port else "")
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    return Pinned(urlunsplit(parts._replace(netloc=netloc)), {"Host": host_port}, extensions)
