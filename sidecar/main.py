"""`uvicorn sidecar.main:app`: the sidecar app configured from the environment (sidecar.md §1)."""

from sidecar.app import create_app
from sidecar.config import parse_config

app = create_app(parse_config([]))
