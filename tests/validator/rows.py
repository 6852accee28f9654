"""Relay `/results` rows signed by real sr25519 miner hotkeys, for the validator tests."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from core import signing

_row_ids = itertools.count(1)


def miner_row(keypair, algorithm_result: Any, score: Any, *, message: str | None = None,
              signature: str | None = None, row_id: str | None = None) -> dict:
    """A row as the relay returns it: the miner signed `message` (default `auth:<now>`)."""
    message = message if message is not None else signing.auth_message("miner")
    return {
        "id": row_id if row_id is not None else f"{next(_row_ids):016x}",
        "miner_hotkey": keypair.ss58_address,
        "task_id": "run:0:1",
        "algorithm_result": json.dumps(algorithm_result) if isinstance(algorithm_result, dict) else algorithm_result,
        "score": score,
        "timestamp": "2026-02-05T12:00:00",
        "validator_verified": None,
        "signature": signature if signature is not None else signing.sign(keypair, message),
        "timestamp_message": message,
        "coldkey_address": None,
    }


def unique_message(offset: int) -> str:
    """A distinct signed message per submission (a resubmission carries a new timestamp)."""
    return f"auth:{int(time.time()) - offset}"
