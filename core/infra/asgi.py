"""ASGI pieces every service mounts: the request guard (size, time and content checks before any parsing or
authentication), the request id, and the handlers that turn errors into `{"detail": ...}` bodies."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import cast

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

from core.infra.errors import Conflict, ServiceError
from core.infra.jsonsafe import finite_copy

BODY_TOO_LARGE = "Request body too large"
BODY_TIMEOUT = "Request body not received in time"
NUL_IN_URL = "NUL characters are not accepted in the URL"
LONE_SURROGATE = "Invalid JSON: a lone UTF-16 surrogate escape (e.g. \\udc00) cannot be stored"
NUL_IN_JSON = "Invalid JSON: NUL characters (\\u0000) are not accepted"
DEFAULT_BODY_TIMEOUT_S = 30.0

# A run of backslashes before `u` and four hex digits: an odd run is a \u escape, an even one a literal "\\u".
_UNICODE_ESCAPE = re.compile(rb"(\\+)u([0-9a-fA-F]{4})")


def json_escape_problem(body: bytes, refuse_nul: bool = True) -> str | None:
    """Why a JSON text's \\u escapes cannot be stored (a lone surrogate, or NUL), or None.

    JSON's UTF-8 text cannot carry a surrogate or NUL raw, so the escapes are the only way in. Checking the
    bytes finds them without decoding the body twice.
    """
    if b"\\u" not in body:
        return None
    pair_end = -1
    for match in _UNICODE_ESCAPE.finditer(body):
        if len(match.group(1)) % 2 == 0 or match.start() < pair_end:
            continue
        code = int(match.group(2), 16)
        if code == 0 and refuse_nul:
            return NUL_IN_JSON
        if 0xD800 <= code <= 0xDBFF:
            low = _UNICODE_ESCAPE.match(body, match.end())
            if low is None or len(low.group(1)) != 1 or not 0xDC00 <= int(low.group(2), 16) <= 0xDFFF:
                return LONE_SURROGATE
            pair_end = low.end()
        elif 0xDC00 <= code <= 0xDFFF:
            return LONE_SURROGATE
    return None


class RequestGuard:
    """Outermost ASGI layer: reads the whole body first and refuses, before the app parses or authenticates,
    - a body over `max_body_bytes`, declared or streamed (413);
    - a body whose next part does not arrive within `body_timeout_s` (408);
    - NUL in the path or query string (400);
    - a body whose JSON escapes hold a lone surrogate, or NUL when `refuse_nul` (400).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S,
                 refuse_nul: bool = True, too_large_detail: str = BODY_TOO_LARGE):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.refuse_nul = refuse_nul
        self.too_large_detail = too_large_detail

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"] or b"\x00" in scope["query_string"]:
            await _refuse(scope, send, 400, NUL_IN_URL)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await _refuse(scope, send, 413, self.too_large_detail)
            return
        try:
            body = await asyncio.wait_for(self._read_body(receive), self.body_timeout_s)
        except TimeoutError:
            await _refuse(scope, send, 408, BODY_TIMEOUT)
            return
        if body is None:
            await _refuse(scope, send, 413, self.too_large_detail)
            return
        problem = json_escape_problem(body, self.refuse_nul)
        if problem:
            await _refuse(scope, send, 400, problem)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole request body, or None once it passes the limit."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the buffered body once, then defers to the server (for the disconnect)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _refuse(_scope: Scope, send: Send, status: int, detail: str) -> None:
    """Answer without reading (the rest of) the body; the connection is closed afterwards."""
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestId:
    """Every response carries `X-Request-ID`: the request's own when it sent one, else a new uuid4. The id is
    kept in `scope["state"]["request_id"]` for logs and error bodies."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Request(scope).headers.get("x-request-id") or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = request_id
            await send(message)

        await self.app(scope, receive, send_with_id)


async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's standard 422 list, without the echoed input (hostile input is not sent back) and JSON-safe."""
    errors = [{key: value for key, value in error.items() if key not in ("input", "url")} for error in exc.errors()]
    return JSONResponse({"detail": finite_copy(jsonable_encoder(errors))}, status_code=422)


async def service_error(_request: Request, exc: ServiceError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


async def conflict(_request: Request, exc: Conflict) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=409)


def install_handlers(app: FastAPI) -> None:
    """The kit's error handlers: ServiceError and Conflict as `{"detail"}`, and the JSON-safe 422."""
    app.add_exception_handler(ServiceError, cast(ExceptionHandler, service_error))
    app.add_exception_handler(Conflict, cast(ExceptionHandler, conflict))
    app.add_exception_handler(RequestValidationError, cast(ExceptionHandler, validation_error))
