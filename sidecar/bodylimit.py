"""ASGI middleware that answers 413 to request bodies over a size limit (sidecar.md §2.1)."""

from __future__ import annotations

import json

from sidecar.errors import PAYLOAD_TOO_LARGE


class BodyLimit:
    """Reads the whole body first (the app would anyway) and refuses it once it passes `max_bytes`,
    whether or not the client declared a Content-Length."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body_message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(body_message, receive), send)


def _replay(body_message: dict, receive):
    delivered = False

    async def replay_receive():
        nonlocal delivered
        if delivered:
            return await receive()  # after the body: wait for the disconnect, as the server would
        delivered = True
        return body_message

    return replay_receive


async def _too_large(send) -> None:
    body = json.dumps({"detail": PAYLOAD_TOO_LARGE}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
