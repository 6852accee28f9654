"""Shim: `python -m scripts.pool_monitor` runs `pool_monitor.cli`."""

from pool_monitor.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
