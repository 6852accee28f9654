"""Profiling tools (miner.md §7): cProfile harnesses around the production mining path and a `.pstats`
summariser."""
