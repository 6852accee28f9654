"""Shim: `python -m scripts.pstats_calls_summary` runs `python -m benchmarks.profiling.pstats_summary`."""
from benchmarks.profiling.pstats_summary import main
from core.cli import run_main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
