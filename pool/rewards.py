"""Reward shares of a closed window (pool.md §3.9 steps 3-6), as a pure function."""

from __future__ import annotations

import math
from dataclasses import dataclass

CAP_ROUNDS = 10


@dataclass(frozen=True)
class MinerWindow:
    hotkey: str
    reputation: float  # sum of the window's ledger deltas
    activity: int  # evaluations plus evolutions submitted in the window
    banned: bool = False


@dataclass(frozen=True)
class Reward:
    hotkey: str
    reputation: float
    share: float
    activity: int
    reward_rao: int


def net_budget(budget_rao: int, fee: float) -> int:
    return math.floor(budget_rao * (1 - fee))


def window_rewards(miners: list[MinerWindow], budget_rao: int, fee: float, min_activity: int,
                   max_share: float = 0.0) -> list[Reward]:
    """Rewards of the eligible miners, floor(net × R_i / T), optionally capped and redistributed."""
    eligible = [m for m in miners if m.reputation > 0 and m.activity >= min_activity and not m.banned]
    total = sum(m.reputation for m in eligible)
    if total <= 0:
        return []
    net = net_budget(budget_rao, fee)
    amounts = {m.hotkey: net * m.reputation / total for m in eligible}
    if max_share > 0:
        amounts = _capped(amounts, {m.hotkey: m.reputation for m in eligible}, math.floor(max_share * budget_rao))
    return [Reward(m.hotkey, m.reputation, m.reputation / total, m.activity, math.floor(amounts[m.hotkey]))
            for m in sorted(eligible, key=lambda m: m.hotkey)]


def _capped(amounts: dict[str, float], weights: dict[str, float], cap: int) -> dict[str, float]:
    """Cap each amount; hand the excess to uncapped miners pro rata, for at most CAP_ROUNDS rounds."""
    amounts = dict(amounts)
    for _ in range(CAP_ROUNDS):
        excess = sum(amount - cap for amount in amounts.values() if amount > cap)
        if excess <= 0:
            break
        open_ = [h for h, amount in amounts.items() if amount < cap]
        amounts = {h: min(amount, cap) for h, amount in amounts.items()}
        open_weight = sum(weights[h] for h in open_)
        if open_weight <= 0:
            break
        for h in open_:
            amounts[h] += excess * weights[h] / open_weight
    return {h: min(amount, cap) for h, amount in amounts.items()}
