"""`python -m sidecar`: run the sidecar service."""

from core.cli import run_main
from sidecar.cli import main

raise SystemExit(run_main(main))
