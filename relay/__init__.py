"""bitsota relay: where miners post solutions and validators vote on the state of the art."""

from core import __version__

__all__ = ["__version__"]
