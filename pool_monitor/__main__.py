"""`python -m pool_monitor`."""

from core.cli import run_main
from pool_monitor.cli import main

raise SystemExit(run_main(main))
