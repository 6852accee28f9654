"""The one exception type that handlers turn into `{"detail": ...}` responses."""


class ApiError(Exception):
    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code
        self.detail = detail


NO_RUN = "run_id must be provided (or start a run)"
PAYLOAD_TOO_LARGE = "Payload too large"
