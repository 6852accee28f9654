"""The pool API service (pool.md): signed miner routes, consensus, reputation, windows and rewards."""

from core import __version__

__all__ = ["__version__"]
