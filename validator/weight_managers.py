"""Who gets the weights (validator.md §9.2-9.3): the sticky burn-split manager and the windowed manager.

Both run one `tick()` every `poll_interval_s`; `run_ticks` adds the failure back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from core.errors import BitsotaError
from validator.chain_weights import ChainWeights
from validator.node_config import CapacitorlessConfig

logger = logging.getLogger("validator.weights")

MAX_BACKOFF_S = 300.0
EVENTS_REUSE_S = 120.0


class WeightError(BitsotaError, RuntimeError):
    """A tick that could not apply weights at all (counts as a failed tick)."""


def run_ticks(tick: Callable[[], None], interval_s: float, stop: threading.Event) -> None:
    """Call `tick` every `interval_s` until `stop`; after a failure first sleep min(5·2^failures, 300) s."""
    failures = 0
    while True:
        try:
            tick()
            failures = 0
        except Exception:
            failures += 1
            logger.exception("Weight tick failed (%d in a row)", failures)
            if stop.wait(min(5.0 * 2 ** failures, MAX_BACKOFF_S)):
                return
        if stop.wait(interval_s):
            return


@dataclass
class LocalWinner:
    hotkey: str
    score: float
    generation: int


class _Manager:
    def __init__(self, weights: ChainWeights, config: CapacitorlessConfig, relay: Any = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.weights = weights
        self.config = config
        self.relay = relay
        self.clock = clock
        self.last_attempt: float | None = None
        self._last_resync: float | None = None

    def _resync_if_due(self) -> None:
        now = self.clock()
        if self._last_resync is not None and now - self._last_resync < self.config.metagraph_refresh_interval_s:
            return
        self._last_resync = now
        try:
            self.weights.resync()
        except Exception:
            logger.exception("Metagraph resync failed")

    def _retry_gate_closed(self) -> bool:
        retry = self.config.retry_interval_s
        return retry > 0 and self.last_attempt is not None and self.clock() - self.last_attempt < retry

    def _require_burn(self) -> str:
        if self.weights.metagraph is None:
            raise WeightError("metagraph not loaded")
        burn = self.config.burn_hotkey
        if not self.weights.has_hotkey_after_resync(burn):
            raise WeightError(f"Burn hotkey not found in metagraph: {burn}")
        return burn


class StickyBurnSplitManager(_Manager):
    """Burn share to the burn hotkey, winner share to the latest winner, which is kept until replaced."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relay_winner: tuple[int, str] | None = None  # (event id, hotkey) of the highest event id seen
        self.local_winner: LocalWinner | None = None
        self.applied_state: tuple | None = None
        self.applied_ok = False
        self._last_events: float | None = None
        self._lock = threading.RLock()

    def desired_state(self) -> tuple:
        if self.config.winner_source == "local":
            w = self.local_winner
            return ("local", w.generation, w.hotkey) if w else ("none",)
        return ("relay", *self.relay_winner) if self.relay_winner else ("none",)

    def tick(self) -> None:
        with self._lock:
            self._resync_if_due()
            if self.config.winner_source == "relay":
                self._refresh_relay_winner()
            if not self.weights.should_set_weights():
                self.last_attempt = self.clock()
                return
            if self.config.winner_source == "local" and self.local_winner is None:
                self._apply_weights(None)
                return
            desired = self.desired_state()
            if desired == self.applied_state and self.applied_ok:
                self._apply_weights(_winner_of(desired))
                return
            if self._retry_gate_closed():
                return
            self._apply(desired)

    def offer_local_winner(self, hotkey: str, score: float) -> bool:
        """Replace the local winner only on score > current + margin; True when it changed."""
        with self._lock:
            current = self.local_winner
            if current is not None and not score > current.score + self.config.min_winner_improvement:
                return False
            generation = current.generation + 1 if current else 1
            self.local_winner = LocalWinner(hotkey, score, generation)
            self.last_attempt = None
            logger.info("New local winner %s score=%s generation=%d", hotkey, score, generation)
            if self.config.apply_weights_inline and self.config.winner_source == "local":
                self._apply(self.desired_state())
            return True

    def _refresh_relay_winner(self) -> None:
        now = self.clock()
        interval = self.config.event_refresh_interval_s
        if interval > 0 and self._last_events is not None and now - self._last_events < interval:
            return
        self._last_events = now
        events = self.relay.fetch_sota_events(self.config.events_limit) if self.relay else None
        for event in events or []:
            event_id, hotkey = event.get("id"), event.get("miner_hotkey")
            if isinstance(event_id, int) and hotkey and (self.relay_winner is None or event_id > self.relay_winner[0]):
                self.relay_winner = (event_id, hotkey)

    def _apply(self, desired: tuple) -> None:
        self.last_attempt = self.clock()
        self.applied_state = desired
        winner = _winner_of(desired)
        ok, applied_winner = self._apply_weights(winner)
        self.applied_ok = ok and applied_winner == winner

    def _apply_weights(self, winner: str | None) -> tuple[bool, str | None]:
        """Set the burn/winner split; returns (chain call ok, the winner actually given weight)."""
        burn = self._require_burn()
        if winner is None or winner == burn:
            return self.weights.set_weights({burn: 1.0}), winner
        if not self.weights.has_hotkey_after_resync(winner):
            logger.warning("Winner %s not in metagraph; burn only for now", winner)
            return self.weights.set_weights({burn: 1.0}), None
        split = {burn: self.config.burn_share, winner: self.config.winner_share}
        return self.weights.set_weights(split), winner


def _winner_of(state: tuple) -> str | None:
    return state[2] if state[0] != "none" else None


def active_event(events: list[dict], block: int) -> dict | None:
    """The event with start ≤ block < min(end, the next event's start), among well-formed events."""
    usable = [e for e in events if _int(e.get("start_block")) > 0 and _int(e.get("end_block")) > _int(e.get("start_block"))]
    usable.sort(key=lambda e: (_int(e["start_block"]), _int(e.get("id"))))
    for index, event in enumerate(usable):
        end = _int(event["end_block"])
        if index + 1 < len(usable):
            end = min(end, _int(usable[index + 1]["start_block"]))
        if _int(event["start_block"]) <= block < end:
            return event
    return None


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class WindowedManager(_Manager):
    """All weight to the miner of the active SOTA event window, else to the burn hotkey."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.done_interval: int | None = None
        self.applied_target: str | None = None
        self._events: list[dict] | None = None
        self._events_at: float | None = None

    def tick(self) -> None:
        self._resync_if_due()
        block = self.weights.current_block()
        interval = block // self.config.alignment_mod
        if interval == self.done_interval or self._retry_gate_closed():
            return
        events = self._fetch_events()
        if events is None:
            self.last_attempt = self.clock()
            return
        active = active_event(events, block)
        target = active["miner_hotkey"] if active else self.config.burn_hotkey
        if not self.weights.should_set_weights() and active is None and target == self.applied_target:
            self.last_attempt = self.clock()
            return
        self.last_attempt = self.clock()
        if self._set_target(target):
            self.done_interval = interval
            self.applied_target = target

    def _fetch_events(self) -> list[dict] | None:
        """Fresh events, or the last good ones when they are at most 120 s old."""
        events = self.relay.fetch_sota_events(self.config.events_limit) if self.relay else None
        now = self.clock()
        if events is not None:
            self._events, self._events_at = events, now
            return events
        if self._events is not None and now - self._events_at <= EVENTS_REUSE_S:
            return self._events
        return None

    def _set_target(self, target: str) -> bool:
        burn = self._require_burn()
        if target != burn and not self.weights.has_hotkey_after_resync(target):
            logger.warning("Event miner %s not in metagraph; burn for now", target)
            self.weights.set_weights({burn: 1.0})
            return False
        return self.weights.set_weights({target: 1.0})


def make_manager(weights: ChainWeights, config: CapacitorlessConfig, relay: Any) -> _Manager:
    cls = StickyBurnSplitManager if config.sticky else WindowedManager
    return cls(weights, config, relay)
