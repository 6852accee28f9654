"""Shim: `python -m scripts.pstats_calls_summary` runs `python -m benchmarks.profiling.pstats_summary`."""
from core.cli import run_main
from benchmarks.profiling.pstats_summary import main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
