"""bitsota sidecar: the loopback HTTP hub between miner processes and the user interface (spec: sidecar.md)."""

from importlib import metadata

try:
    __version__ = metadata.version("bitsota")
except metadata.PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

SERVICE_NAME = "bitsota-sidecar"
