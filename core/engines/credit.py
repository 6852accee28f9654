"""Adaptive proposal weights: a bandit over arms (instruction forms, mutation operators) by recent
improvement rate.

An arm wins when a child it took part in scores strictly above its parent. Each arm's win rate is shrunk
towards the overall rate with `PSEUDO_TRIALS` pseudo-trials, and its weight is that rate relative to the
overall rate, clipped so that no arm is ever starved or dominant. Counts halve once `HORIZON` trials have
accumulated, so the weights follow what is improving now. Nothing here knows what a good program is: the
weights are learned from the search's own successes.
"""

from __future__ import annotations

PSEUDO_TRIALS = 50.0
HORIZON = 20_000.0
MIN_WEIGHT, MAX_WEIGHT = 0.2, 5.0


class Credit:
    def __init__(self, arms: int) -> None:
        self.trials = [0.0] * arms
        self.wins = [0.0] * arms
        self.total_trials = 0.0
        self.total_wins = 0.0

    def record(self, arms: list[int], won: bool) -> None:
        for arm in arms:
            self.trials[arm] += 1.0
            if won:
                self.wins[arm] += 1.0
        self.total_trials += 1.0
        self.total_wins += won
        if self.total_trials >= HORIZON:
            self._halve()

    def weights(self) -> list[float]:
        overall = (self.total_wins + 1.0) / (self.total_trials + 2.0)
        result = []
        for trials, wins in zip(self.trials, self.wins):
            rate = (wins + PSEUDO_TRIALS * overall) / (trials + PSEUDO_TRIALS)
            result.append(min(MAX_WEIGHT, max(MIN_WEIGHT, rate / overall)))
        return result

    def state(self) -> dict:
        return {"trials": self.trials, "wins": self.wins, "total_trials": self.total_trials,
                "total_wins": self.total_wins}

    def restore(self, state: dict) -> None:
        if len(state["trials"]) != len(self.trials) or len(state["wins"]) != len(self.trials):
            raise ValueError("credit state has another number of arms")
        self.trials = [float(x) for x in state["trials"]]
        self.wins = [float(x) for x in state["wins"]]
        self.total_trials = float(state["total_trials"])
        self.total_wins = float(state["total_wins"])

    def _halve(self) -> None:
        self.trials = [t / 2 for t in self.trials]
        self.wins = [w / 2 for w in self.wins]
        self.total_trials /= 2
        self.total_wins /= 2
