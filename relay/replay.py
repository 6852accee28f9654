"""The in-process replay cache of verified signatures (§3.3); it lives in core, shared with the pool."""

from core.replay_cache import ReplayCache

__all__ = ["ReplayCache"]
