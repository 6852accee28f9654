"""`python -m pool_monitor`."""

from pool_monitor.cli import main

raise SystemExit(main())
