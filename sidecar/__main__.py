"""`python -m sidecar`: run the sidecar service."""

from sidecar.cli import main

raise SystemExit(main())
