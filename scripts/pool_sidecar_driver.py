"""Shim: `python -m scripts.pool_sidecar_driver` runs `miner.pool_driver`."""

from core.cli import run_main
from miner.pool_driver import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
