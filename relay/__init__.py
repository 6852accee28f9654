"""bitsota relay: where miners post solutions and validators vote on the state of the art."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bitsota")
except PackageNotFoundError:  # running from a source tree without installing
    __version__ = "0.1.0"
