"""The sidecar refuses browsers (sidecar.md, trust boundary): its API has no authentication because only local
processes of the same user are meant to reach it, so nothing a web page can send may get through.

- any `Origin` header is refused (403): browsers add it to cross-site fetches, local clients never send one;
- a `Host` other than the sidecar's own loopback address and port (or `localhost:<port>`) is refused (403), which
  defeats DNS rebinding (a hostile name resolving to 127.0.0.1 still carries its own name in `Host`);
- a body that is not `application/json` is refused (415): an HTML form can post `text/plain` without a CORS
  preflight, but not `application/json`.
With `--allow-remote` the Host check is off (remote clients name the machine as they see it); the rest stays.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

ORIGIN_REFUSED = "Requests with an Origin header are refused: the sidecar serves local processes, not browsers"
HOST_REFUSED = "Host header does not name this sidecar's loopback address and port"
JSON_ONLY = "Request bodies must be application/json"


class LoopbackOnly:
    def __init__(self, app: ASGIApp, check_host: bool = True):
        self.app = app
        self.check_host = check_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self._refusal(scope)
            if refusal is not None:
                await _answer(send, *refusal)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        headers = dict(scope["headers"])
        if b"origin" in headers:
            return 403, ORIGIN_REFUSED
        if self.check_host and headers.get(b"host", b"").decode("latin-1").lower() not in _own_hosts(scope):
            return 403, HOST_REFUSED
        has_body = headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers
        media_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if has_body and media_type != b"application/json":
            return 415, JSON_ONLY
        return None


def _own_hosts(scope: Scope) -> set[str]:
    """The Host values that name this server: its own address and port, and localhost with that port."""
    server = scope.get("server")
    if not server:
        return set()
    address, port = server[0], server[1]
    if ":" in address:
        address = f"[{address}]"
    return {f"{address}:{port}".lower(), f"localhost:{port}"}


async def _answer(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
