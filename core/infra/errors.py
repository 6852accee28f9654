"""The error a service answers with `{"detail": ...}`: raised anywhere below a route, turned into a response by the
handler that `core.infra.asgi.install_handlers` registers."""

from __future__ import annotations

from core.errors import BitsotaError


class ServiceError(BitsotaError):
    """An HTTP status with its `detail` text (the texts are part of each service's wire contract)."""

    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


class Conflict(BitsotaError):
    """A unique or primary-key violation the handler did not foresee: 409, never 500.

    `detail` is what the client reads; `reason` is the database's own message (which constraint fired)."""

    def __init__(self, detail: str, reason: str = ""):
        super().__init__(detail)
        self.detail = detail
        self.reason = reason
