"""Where outbound webhooks may post: only to public addresses. A URL whose host is or resolves to a
loopback, link-local, private, shared, multicast or otherwise non-global address is refused, unless
`settings.webhook_allow_private` says this deployment's integrations live on such a network. Checked when a
subscription is made and again before each delivery, since a name's addresses can change in between.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from core.errors import InvalidInput


class RefusedTarget(InvalidInput):
    """The URL points at an address webhooks may not reach."""


def _refused(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


async def check_target(url: str, allow_private: bool, *, unresolved_ok: bool) -> None:
    """RefusedTarget if `url` reaches a non-public address. A name that does not resolve passes only when
    `unresolved_ok` (at subscription time: it is checked again when there is something to deliver)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RefusedTarget("url: must be an http:// or https:// address with a host")
    if allow_private:
        return
    try:
        found = await asyncio.get_running_loop().getaddrinfo(parts.hostname, parts.port or 443,
                                                             type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        if unresolved_ok:
            return
        raise RefusedTarget(f"url: {parts.hostname} does not resolve") from err
    for *_, sockaddr in found:
        if _refused(str(sockaddr[0])):
            raise RefusedTarget(f"url: {parts.hostname} is {sockaddr[0]}, a loopback, link-local or private "
                                "address; webhooks post only to public ones (HELPDESK_WEBHOOK_ALLOW_PRIVATE=true "
                                "allows them)")
