"""The sidecar's refusals, answered `{"detail": ...}` by the kit's ServiceError handler, and their texts."""

from core.infra.errors import ServiceError


class ApiError(ServiceError):
    """A sidecar refusal (status and detail)."""


NO_RUN = "run_id must be provided (or start a run)"
PAYLOAD_TOO_LARGE = "Payload too large"
