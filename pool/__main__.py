"""`python -m pool`: serve the pool API (pool.md §1.1)."""

from core.cli import run_main
from pool.cli import main

raise SystemExit(run_main(main))
