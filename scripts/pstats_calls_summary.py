"""Shim: `python -m scripts.pstats_calls_summary` runs `python -m miner.profiling.pstats_summary`."""
from core.cli import run_main
from miner.profiling.pstats_summary import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
