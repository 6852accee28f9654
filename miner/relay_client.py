"""The one client of the relay's HTTP API (relay.md §5-7), for miners, validators, the TUI and tests.

Every signed call signs afresh (sr25519 signatures are randomised and the relay refuses replays). Every
failure is a `RelayError`: `status` is the HTTP status of a non-2xx answer, or None when no usable answer
came (transport error, timeout, a body that is not JSON). Callers that want "log and go on" wrap it.
"""

from __future__ import annotations

from typing import Any

import httpx
from bittensor_wallet import Keypair

from core.errors import BitsotaError
from core.signing import Role, signed_headers
from core.tls import client_context

DEFAULT_TIMEOUT_S = 10.0
SUBMIT_TIMEOUT_S = 30.0
_DETAIL_CHARS = 300


class RelayError(BitsotaError):
    """A relay call that failed; `status` is None when the relay gave no usable answer."""

    def __init__(self, message: str, *, status: int | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail

    @property
    def transport(self) -> bool:
        """True when no HTTP answer came at all (network, timeout): worth retrying later."""
        return self.status is None and isinstance(self.__cause__, httpx.TransportError)


def _detail_of(response: httpx.Response) -> Any:
    """The answer's `detail` field, or a short excerpt of a body that is not the relay's JSON."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.strip()
        kind = response.headers.get("content-type", "unknown content type").split(";")[0]
        if not text:
            return None
        return f"non-JSON answer ({kind}): {text[:_DETAIL_CHARS]}" + ("…" if len(text) > _DETAIL_CHARS else "")
    return body.get("detail") if isinstance(body, dict) else body


class RelayClient:
    """Calls to one relay, signed with `keypair` in `role` (None for a client of the public routes only)."""

    def __init__(self, base_url: str, keypair: Keypair | None, role: Role = "miner", *,
                 timeout: float = DEFAULT_TIMEOUT_S, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.keypair = keypair
        self.role = role
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport,
                                  verify=client_context())

    def __enter__(self) -> RelayClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    @property
    def hotkey(self) -> str | None:
        return self.keypair.ss58_address if self.keypair is not None else None

    def request(self, method: str, path: str, *, signed: bool = True, **kwargs: Any) -> httpx.Response:
        """The raw response (tests use it to probe the relay); signed unless `signed` is false."""
        headers = dict(kwargs.pop("headers", None) or {})
        if signed:
            if self.keypair is None:
                raise RelayError(f"{method} {path} needs a hotkey to sign with")
            headers.update(signed_headers(self.keypair, self.role))
        return self._http.request(method, path, headers=headers, **kwargs)

    def call(self, method: str, path: str, *, signed: bool = True, **kwargs: Any) -> Any:
        """The decoded JSON of a 2xx answer (None for an empty body); RelayError for anything else."""
        try:
            response = self.request(method, path, signed=signed, **kwargs)
        except httpx.HTTPError as exc:
            raise RelayError(f"{method} {path}: {type(exc).__name__}: {exc}".rstrip(": ")) from exc
        if response.is_error:
            detail = _detail_of(response)
            raise RelayError(f"{method} {path}: relay answered {response.status_code}: {detail}",
                             status=response.status_code, detail=detail)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            detail = _detail_of(response)
            raise RelayError(f"{method} {path}: {detail}", detail=detail) from exc

    def _object(self, method: str, path: str, **kwargs: Any) -> dict:
        answer = self.call(method, path, **kwargs)
        if not isinstance(answer, dict):
            raise RelayError(f"{method} {path}: expected a JSON object, got {type(answer).__name__}", detail=answer)
        return answer

    def _list(self, method: str, path: str, **kwargs: Any) -> list:
        answer = self.call(method, path, **kwargs)
        if not isinstance(answer, list):
            raise RelayError(f"{method} {path}: expected a JSON list, got {type(answer).__name__}", detail=answer)
        return answer

    # Public routes
    def health(self) -> dict:
        return self._object("GET", "/health", signed=False)

    def sota_threshold(self) -> float | None:
        """The global SOTA (None while the relay has none)."""
        value = self._object("GET", "/sota_threshold", signed=False).get("sota_threshold")
        try:
            return None if value is None else float(value)
        except (TypeError, ValueError) as exc:
            raise RelayError(f"GET /sota_threshold: not a number: {value!r}", detail=value) from exc

    # Miner routes
    def submit_solution(self, task_id: str, algorithm_result: dict, score: float | None) -> dict:
        body = {"task_id": task_id, "algorithm_result": algorithm_result, "score": score}
        return self._object("POST", "/submit_solution", json=body, timeout=SUBMIT_TIMEOUT_S)

    def link_invite(self, code: str, coldkey_address: str | None = None) -> bool:
        """True when the relay linked the code to this hotkey."""
        body = {"code": code, "coldkey_address": coldkey_address}
        return self._object("POST", "/invitation_code/link", json=body).get("data") == 1

    def invite_linked(self) -> bool:
        return self._object("GET", "/invitation_code/linked").get("data") is not None

    def update_coldkey(self, coldkey_address: str) -> dict:
        return self._object("POST", "/coldkey_address/update", json={"coldkey_address": coldkey_address})

    # Validator routes
    def results(self, limit: int = 256, task_id: str | None = None) -> list:
        params: dict[str, Any] = {"limit": max(1, limit)}
        if task_id:
            params["task_id"] = task_id
        return self._list("GET", "/results", params=params)

    def vote(self, miner_hotkey: str, score: float, seen_block: int, result_id: str | None = None,
             *, timeout: float = 15.0) -> dict:
        body: dict[str, Any] = {"miner_hotkey": miner_hotkey, "score": score, "seen_block": seen_block}
        if result_id is not None:
            body["result_id"] = result_id
        return self._object("POST", "/sota/vote", json=body, timeout=timeout)

    def sota_events(self, limit: int = 20) -> list:
        return self._list("GET", "/sota/events", params={"limit": limit})

    def blacklist(self, miner_hotkey: str) -> dict:
        return self._object("POST", f"/blacklist/{miner_hotkey}")

    def claim_test_submissions(self, limit: int = 50) -> list:
        """The test-mode UID0 queue (claim on read)."""
        return self._list("GET", "/test/submissions", params={"limit": limit})
