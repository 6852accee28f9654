"""Shim: `python -m scripts.profile_gui_like` runs `python -m benchmarks.profiling.gui_like`."""
from benchmarks.profiling.gui_like import main
from core.cli import run_main

if __name__ == "__main__":
    raise SystemExit(run_main(main))
