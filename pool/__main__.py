"""`python -m pool`: serve the pool API (pool.md §1.1)."""

from pool.cli import main

raise SystemExit(main())
