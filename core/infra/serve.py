"""Serving a service app with uvicorn so that a slow client cannot hold a connection for ever.

uvicorn's h11 protocol waits without limit for the headers of a request (the keep-alive timer stops at the first
byte), so a client that trickles a header line holds a connection and its memory. `HeaderTimeoutH11` closes a
connection whose request headers are not complete within `header_timeout_s` of the connection, or of the end of
the previous response. Slow bodies are cut off by `core.infra.asgi.RequestGuard`.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_HEADER_TIMEOUT_S = 10.0


class HeaderTimeoutH11(H11Protocol):
    def __init__(self, *args: Any, header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s
        self._header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:  # the request line and headers are in
            self._cancel_header_timer()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_header_timer()  # the next request on this keep-alive connection gets the same bound

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers took over %.0f s", self.header_timeout_s)
            self.transport.close()


def uvicorn_config(app: Any, *, header_timeout_s: float = DEFAULT_HEADER_TIMEOUT_S, **options: Any) -> uvicorn.Config:
    """A uvicorn.Config on the h11 protocol with the header timeout (a partial pickles, so workers get it too)."""
    protocol: Any = functools.partial(HeaderTimeoutH11, header_timeout_s=header_timeout_s)  # uvicorn calls it as a class
    return uvicorn.Config(app, http=protocol, **options)
