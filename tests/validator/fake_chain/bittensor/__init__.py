"""A fake `bittensor` for the validator node's end-to-end test (tests/validator/test_node_e2e.py).

`core.chain` imports `bittensor` lazily, so a node process with this folder's parent first on PYTHONPATH talks
to this module instead of a chain. The subnet's hotkeys (uid order) come from $FAKE_BITTENSOR_HOTKEYS
(comma-separated); every set_weights call is appended as one JSON line to $FAKE_BITTENSOR_CALLS. Blocks advance
ten per second, and the chain's weights rate limit (2 blocks) is kept per uid.
"""

from __future__ import annotations

import json
import os
import time
from types import SimpleNamespace

BLOCKS_PER_SECOND = 10
RATE_LIMIT_BLOCKS = 2
_started = time.monotonic()


class Subtensor:
    def __init__(self, network: str = "finney") -> None:
        self.network = network
        self.hotkeys = os.environ["FAKE_BITTENSOR_HOTKEYS"].split(",")
        self.last_update = [0] * len(self.hotkeys)

    def get_current_block(self) -> int:
        return 1000 + int((time.monotonic() - _started) * BLOCKS_PER_SECOND)

    def metagraph(self, netuid: int, lite: bool = True) -> SimpleNamespace:
        count = len(self.hotkeys)
        return SimpleNamespace(hotkeys=list(self.hotkeys), stake=[1.0] * count, validator_permit=[True] * count,
                               last_update=list(self.last_update))

    def weights_rate_limit(self, netuid: int) -> int:
        return RATE_LIMIT_BLOCKS

    def blocks_since_last_update(self, netuid: int, uid: int) -> int:
        return self.get_current_block() - self.last_update[uid]

    def set_weights(self, wallet, netuid: int, uids: list[int], weights: list[int], **options) -> tuple[bool, str]:
        signer = wallet.hotkey.ss58_address
        self.last_update[self.hotkeys.index(signer)] = self.get_current_block()
        record = {"signer": signer, "netuid": netuid, "uids": list(uids), "weights": list(weights), **options}
        with open(os.environ["FAKE_BITTENSOR_CALLS"], "a", encoding="utf-8") as calls:
            calls.write(json.dumps(record) + "\n")
        return True, ""
