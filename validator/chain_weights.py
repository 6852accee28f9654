"""Setting weights on chain through `core.chain` (validator.md §9.4): the u16 conversion, the keyword-drop
retry, success detection and the rate-limit gate. All chain calls are serialised by one re-entrant lock."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import Any

import numpy as np

from core.chain import MetagraphView

logger = logging.getLogger("validator.weights")

U16_MAX = 65535
VERSION_KEY = 1337
MAX_SET_WEIGHTS_ATTEMPTS = 4
_UNEXPECTED_KEYWORD = re.compile(r"unexpected keyword argument '(\w+)'")


def weight_vector(metagraph: MetagraphView, weights_by_hotkey: Mapping[str, float]) -> np.ndarray:
    """float32 weights over all uids 0..n-1 (0 for hotkeys not in the mapping)."""
    return np.array([weights_by_hotkey.get(hotkey, 0.0) for hotkey in metagraph.hotkeys], dtype=np.float32)


def emission_u16(weights: np.ndarray) -> tuple[list[int], list[int]]:
    """The chain's standard conversion: divide by the maximum, round half-to-even to u16, drop zeros."""
    if weights.size == 0 or not np.any(weights > 0):
        return [], []
    scaled = np.round(weights.astype(np.float64) / float(weights.max()) * U16_MAX).astype(np.int64)
    uids = [int(uid) for uid in np.nonzero(scaled)[0]]
    return uids, [int(scaled[uid]) for uid in uids]


def call_succeeded(result: Any) -> bool:
    """A truthy result, or a tuple whose first element is truthy."""
    if isinstance(result, tuple):
        return bool(result) and bool(result[0])
    return bool(result)


class ChainWeights:
    """The node's view of its subnet: metagraph cache, block, rate-limit gate and set-weights."""

    def __init__(self, chain: Any, wallet: Any, netuid: int, *, epoch_length: int = 0,
                 wait_for_inclusion: bool = False, wait_for_finalization: bool = False) -> None:
        self.chain = chain
        self.wallet = wallet
        self.netuid = netuid
        self.epoch_length = epoch_length
        self.wait_for_inclusion = wait_for_inclusion
        self.wait_for_finalization = wait_for_finalization
        self.lock = threading.RLock()
        self.metagraph: MetagraphView | None = None

    def resync(self) -> MetagraphView:
        with self.lock:
            self.metagraph = self.chain.metagraph(self.netuid, lite=True)
            return self.metagraph

    def current_block(self) -> int:
        with self.lock:
            return self.chain.block()

    def has_hotkey(self, hotkey: str) -> bool:
        return self.metagraph is not None and hotkey in self.metagraph.hotkeys

    def has_hotkey_after_resync(self, hotkey: str) -> bool:
        """Present now, or after one resync attempt (whose errors are logged)."""
        if self.has_hotkey(hotkey):
            return True
        try:
            self.resync()
        except Exception:
            logger.exception("Metagraph resync failed")
        return self.has_hotkey(hotkey)

    def should_set_weights(self) -> bool:
        """Blocks since our last update > max(epoch_length, weights_rate_limit); true when the gate cannot tell."""
        try:
            with self.lock:
                min_blocks = self.epoch_length
                try:
                    min_blocks = max(min_blocks, self.chain.weights_rate_limit(self.netuid))
                except Exception:
                    logger.debug("weights_rate_limit unavailable", exc_info=True)
                metagraph = self.metagraph
                if metagraph is None:  # not loaded yet: the gate cannot tell
                    return True
                uid = metagraph.hotkeys.index(self.wallet.hotkey.ss58_address)
                try:
                    since = self.chain.blocks_since_last_update(self.netuid, uid)
                except Exception:
                    since = self.chain.block() - metagraph.last_update[uid]
                return since > min_blocks
        except Exception:
            logger.warning("Rate-limit check failed; setting weights anyway", exc_info=True)
            return True

    def set_weights(self, weights_by_hotkey: Mapping[str, float]) -> bool:
        """Emit the weights; True on a successful chain call."""
        with self.lock:
            if self.metagraph is None:
                raise RuntimeError("metagraph not loaded")
            uids, values = emission_u16(weight_vector(self.metagraph, weights_by_hotkey))
            if not uids:
                logger.warning("All weights are zero; nothing to emit")
                return False
            return self._set_weights_call(uids, values)

    def _set_weights_call(self, uids: list[int], values: list[int]) -> bool:
        options = {"wait_for_inclusion": self.wait_for_inclusion, "wait_for_finalization": self.wait_for_finalization,
                   "version_key": VERSION_KEY}
        for _ in range(MAX_SET_WEIGHTS_ATTEMPTS):
            try:
                result = self.chain.set_weights(self.wallet, self.netuid, uids, values, **options)
            except TypeError as exc:
                rejected = _UNEXPECTED_KEYWORD.search(str(exc))
                if rejected and rejected.group(1) in options:
                    del options[rejected.group(1)]
                    continue
                logger.exception("set_weights failed")
                return False
            except Exception:
                logger.exception("set_weights failed")
                return False
            ok = call_succeeded(result)
            logger.info("set_weights uids=%s weights=%s ok=%s result=%s", uids, values, ok, result)
            return ok
        return False
