"""Shim: `python -m scripts.pool_miner_sidecar` runs `miner.pool_worker`."""

from miner.pool_worker import main

if __name__ == "__main__":
    raise SystemExit(main())
