"""Checks on one relay `/results` row shared by the local validator and the node (validator.md §6 step 2)."""

from __future__ import annotations

import json
from typing import Any

from core import signing


def text_field(row: dict, name: str) -> str:
    """The stripped string value of a row field, "" when it is absent or not a string."""
    value = row.get(name)
    return value.strip() if isinstance(value, str) else ""


def dedup_key(row: dict) -> tuple[str, str] | None:
    """(miner hotkey, signed message), both stripped; None when either is missing or empty."""
    hotkey, message = text_field(row, "miner_hotkey"), text_field(row, "timestamp_message")
    return (hotkey, message) if hotkey and message else None


def miner_signature_ok(row: dict) -> bool:
    """Re-verify the miner's stored signature over its signed message, with no freshness rule."""
    signature = row.get("signature")
    if not isinstance(signature, str):
        return False
    return signing.verify(text_field(row, "miner_hotkey"), text_field(row, "timestamp_message"), signature)


def parse_algorithm_result(value: Any) -> dict | None:
    """An object as is, a JSON string decoding to an object, else None."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def claimed_score(value: Any) -> float | None:
    """The claimed score as a float, None when it cannot be converted."""
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def claim_or_zero(value: Any) -> float:
    """The claim for failed-validation records: its float value, 0.0 when not numeric."""
    claim = claimed_score(value)
    return 0.0 if claim is None else claim


def exceeds_cutoff(validator_score: float, claim: float, cutoff: float) -> bool:
    """Strict absolute difference, IEEE semantics: a NaN claim never trips it, an infinite one always does."""
    return abs(validator_score - claim) > cutoff
