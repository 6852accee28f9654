"""bitsota sidecar: the loopback HTTP hub between miner processes and the user interface (spec: sidecar.md)."""

from core import __version__

__all__ = ["__version__", "SERVICE_NAME"]

SERVICE_NAME = "bitsota-sidecar"
