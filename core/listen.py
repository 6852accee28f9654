"""Binding a service's port before it announces itself, so a busy port is one clear line and exit status 1
(sidecar.md §1) rather than a "listening on" line followed by uvicorn's bind error.

The sockets are bound the way asyncio's `create_server(host=..., port=...)` binds them (every address the
host resolves to, SO_REUSEADDR, IPv6 sockets IPv6-only), then handed to `uvicorn.Server.run(sockets=...)`.
"""

from __future__ import annotations

import errno
import socket

from core.errors import BitsotaError


class BindError(BitsotaError):
    """The port cannot be bound; the message is the one line to print."""


def service_url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def bind_sockets(host: str, port: int, service: str) -> list[socket.socket]:
    """Sockets bound to host:port, ready for uvicorn; BindError names the port (and `service`) otherwise."""
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise BindError(f"{service}: cannot resolve {host}: {exc.strerror or exc}") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(addresses):
            sock = _bound_socket(family, kind, proto, address)
            if sock is not None:
                sockets.append(sock)
        if not sockets:
            raise OSError(errno.EADDRNOTAVAIL, f"no address of {host} is available here")
    except OSError as exc:
        for sock in sockets:
            sock.close()
        raise _bind_error(exc, host, port, service) from None
    return sockets


def _bound_socket(family: int, kind: int, proto: int, address: tuple) -> socket.socket | None:
    """A socket bound as asyncio binds it; None for an address (family) this machine lacks, as asyncio skips it."""
    try:
        sock = socket.socket(family, kind, proto)
    except OSError:
        return None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRNOTAVAIL:
            return None
        raise
    return sock


def _bind_error(exc: OSError, host: str, port: int, service: str) -> BindError:
    if exc.errno == errno.EADDRINUSE:
        return BindError(f"port {port} is in use (another {service}? try GET {service_url(host, port)}/health)")
    return BindError(f"{service}: cannot bind {host}:{port}: {exc.strerror or exc}")
