"""Shim: `python -m scripts.miner_local_og` runs `python -m miner.local_miner`."""
from core.cli import run_main
from miner.local_miner import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
