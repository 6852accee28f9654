"""Shim: `python -m scripts.profile_miner_local_one_iter` runs `python -m benchmarks.profiling.one_iter`."""
from benchmarks.profiling.one_iter import main
from core.cli import run_main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
