"""Where webhooks may go: the allow-list, and URL checks that resist DNS rebinding.

A target URL is parsed once, its host resolved once, and every resolved address checked against
the allow-list; the delivery then connects to one of those checked addresses (sending the
original ``Host``), so a second, different DNS answer can never redirect it. IPv4 written in
decimal, octal or hex (``http://2130706433/``) is read the way the C library reads it, and an
IPv4-mapped IPv6 address (``[::ffff:10.0.0.1]``) counts as its IPv4 address.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "LOOPBACK",
    "AllowList",
    "Resolver",
    "Target",
    "TargetBlocked",
    "TargetPolicy",
    "TargetUnresolved",
    "system_resolver",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: The allow-list keyword for this machine: 127.0.0.0/8 and ::1.
LOOPBACK = "loopback"

_LOOPBACK_NETWORKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
_LABEL = r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


def _is_host_name(name: str) -> bool:
    """A syntactically valid DNS name (an all-digit last label would be a malformed address)."""
    return bool(_HOST_NAME.match(name)) and not name.rsplit(".", 1)[-1].isdigit()


_LEGACY_IPV4 = re.compile(r"^[0-9a-fx.]+$")
_SCHEMES = {"http": 80, "https": 443}

#: ``resolver(host, port)`` answers the host's addresses as strings.
Resolver = Callable[[str, int], Sequence[str]]


class TargetBlocked(Exception):
    """The URL may not be delivered to; ``reason`` says why. Nothing is sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TargetUnresolved(Exception):
    """The host name did not resolve (a failed attempt, retried like a connection error)."""


def system_resolver(host: str, port: int) -> list[str]:
    """The host's addresses from the system resolver (``getaddrinfo``), first answer first."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _normalise(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address is its IPv4 address; scope ids are dropped for checks."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return ipaddress.IPv6Address(str(address).split("%", 1)[0])
    return address


def _ip_literal(host: str) -> IPAddress | None:
    """The address a numeric host names (including legacy IPv4 forms), or None for a name."""
    try:
        return _normalise(ipaddress.ip_address(host))
    except ValueError:
        pass
    if _LEGACY_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


@dataclass(frozen=True)
class AllowList:
    """Allowed networks and host names. Build it with ``AllowList.parse(entries)``."""

    networks: tuple[IPNetwork, ...]
    names: frozenset[str]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        """Entries are ``loopback``, an IP address, a CIDR, or a host name (``ValueError`` if not).

        A host name entry allows URLs naming that host, wherever it resolves.
        """
        networks: list[IPNetwork] = []
        names: set[str] = set()
        for raw in entries:
            entry = raw.strip().lower()
            if entry == LOOPBACK:
                networks.extend(_LOOPBACK_NETWORKS)
                continue
            try:
                network = ipaddress.ip_network(entry.strip("[]"), strict=False)
            except ValueError:
                name = entry.rstrip(".")
                if not _is_host_name(name) or _ip_literal(name) is not None:
                    raise ValueError(
                        f"webhook allow-list entry {raw!r} is not 'loopback', "
                        "an IP address, a CIDR or a host name"
                    ) from None
                names.add(name)
                continue
            mapped = getattr(network.network_address, "ipv4_mapped", None)
            if mapped is not None and network.prefixlen >= 96:
                network = ipaddress.ip_network(f"{mapped}/{network.prefixlen - 96}")
            networks.append(network)
        return cls(networks=tuple(networks), names=frozenset(names))

    def allows_name(self, host: str) -> bool:
        """Whether the host name itself was allowed."""
        return host in self.names

    def allows_address(self, address: IPAddress) -> bool:
        """Whether the (normalised) address is inside an allowed network."""
        return any(address in network for network in self.networks)


@dataclass(frozen=True)
class Target:
    """A checked URL: connect only to ``addresses``; send ``host_header`` and ``path``."""

    url: str
    scheme: str
    host: str
    port: int
    host_header: str
    path: str
    addresses: tuple[str, ...]


def _never_allowed(address: IPAddress) -> str | None:
    if address.is_unspecified:
        return "the unspecified address is never a webhook target"
    if address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"):
        return "broadcast and multicast addresses are never webhook targets"
    return None


class TargetPolicy:
    """Checks webhook URLs against the allow-list, resolving each host once."""

    def __init__(self, *, allow: Iterable[str] = (LOOPBACK,), resolver: Resolver | None = None):
        self.allow = AllowList.parse(allow)
        self.resolver: Resolver = resolver or system_resolver

    def check(self, url: str, *, resolve: Resolver | None = None) -> Target:
        """The checked target of ``url``.

        Raises ``TargetBlocked`` (with the reason) when it must not be sent to, and
        ``TargetUnresolved`` when its host name does not resolve now. ``resolve`` replaces the
        policy's ``resolver`` for this call (the sender passes one bounded by the attempt's
        deadline); it may raise ``TargetUnresolved`` itself.
        """
        scheme, host, port, host_header, path = self._parse(url)
        literal = _ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                answers = (resolve or self.resolver)(host, port)
            except (OSError, UnicodeError) as exc:
                raise TargetUnresolved(f"cannot resolve {host}: {exc}") from None
            if not answers:
                raise TargetUnresolved(f"cannot resolve {host}: no address")
            addresses = []
            for answer in answers:
                try:
                    addresses.append(_normalise(ipaddress.ip_address(answer)))
                except ValueError:
                    raise TargetBlocked(f"{host} resolved to {answer!r}, not an address") from None
        named = literal is None and self.allow.allows_name(host)
        for address in addresses:
            reason = _never_allowed(address)
            if reason is None and not named and not self.allow.allows_address(address):
                shown = f"{host} resolves to {address}" if literal is None else str(address)
                reason = f"{shown}, which is not an allowed webhook target (see --webhook-allow)"
            if reason is not None:
                raise TargetBlocked(reason)
        return Target(
            url=url,
            scheme=scheme,
            host=host,
            port=port,
            host_header=host_header,
            path=path,
            addresses=tuple(dict.fromkeys(str(a) for a in addresses)),
        )

    @staticmethod
    def _parse(url: str) -> tuple[str, str, int, str, str]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise TargetBlocked(f"not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme not in _SCHEMES:
            raise TargetBlocked(f"only http and https URLs are allowed, not {scheme or 'none'!r}")
        if "@" in parts.netloc:
            raise TargetBlocked("credentials in the URL (user@host) are not allowed")
        host = (parts.hostname or "").rstrip(".")
        if not host:
            raise TargetBlocked("the URL has no host")
        if ":" not in host and _ip_literal(host) is None and not _is_host_name(host):
            raise TargetBlocked(f"{host!r} is not a valid host name")
        if "%" in host:
            raise TargetBlocked("IPv6 zone ids are not supported in webhook URLs")
        if ":" in host:
            try:
                ipaddress.ip_address(host)
            except ValueError:
                raise TargetBlocked(f"{host!r} is not a valid IPv6 address") from None
        port = port or _SCHEMES[scheme]
        if port == 0:
            raise TargetBlocked("port 0 is not a valid target port")
        shown = f"[{host}]" if ":" in host else host
        host_header = shown if port == _SCHEMES[scheme] else f"{shown}:{port}"
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return scheme, host, port, host_header, path
