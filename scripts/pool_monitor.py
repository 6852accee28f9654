"""Shim: `python -m scripts.pool_monitor` runs `pool_monitor.cli`."""

from core.cli import run_main
from pool_monitor.cli import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
