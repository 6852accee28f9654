"""Shim: `python -m scripts.pool_miner_sidecar` runs `miner.pool_worker`."""

from core.cli import run_main
from miner.pool_worker import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
