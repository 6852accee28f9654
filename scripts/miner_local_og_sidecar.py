"""Shim: `python -m scripts.miner_local_og_sidecar` runs `python -m miner.sidecar_miner`."""
from core.cli import run_main
from miner.sidecar_miner import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
