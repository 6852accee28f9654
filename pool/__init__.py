"""The pool API service (pool.md): signed miner routes, consensus, reputation, windows and rewards."""

__version__ = "0.1.0"
