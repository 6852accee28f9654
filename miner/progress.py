"""Progress events (miner.md §4.2 step 2): population statistics, rates since the last report."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from miner.events import json_number


def population_stats(scores: Sequence[float | None]) -> dict[str, float | None]:
    """pop_best (max), pop_median, pop_q1, pop_q3 (linear percentiles) over the finite scores (None: not
    evaluated yet); null if none."""
    values = np.asarray([s for s in scores if s is not None], dtype=np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return {"pop_best": None, "pop_median": None, "pop_q1": None, "pop_q3": None}
    q1, median, q3 = np.percentile(finite, [25, 50, 75])
    return {"pop_best": float(finite.max()), "pop_median": float(median), "pop_q1": float(q1), "pop_q3": float(q3)}


class ProgressMeter:
    """Builds progress events; rates are per second since the previous event (the first: since start)."""

    def __init__(self, worker_id: int, clock: Callable[[], float] = time.perf_counter) -> None:
        self.worker_id = worker_id
        self._clock = clock
        self._last_time = clock()
        self._last_iteration = 0
        self._last_evaluations = 0

    def event(self, iteration: int, engine_best: float, scores: Sequence[float | None], evaluations: int,
              fec_stats: dict | None) -> dict:
        now = self._clock()
        elapsed = now - self._last_time
        rate = (iteration - self._last_iteration) / elapsed if elapsed > 0 else None
        eval_rate = (evaluations - self._last_evaluations) / elapsed if elapsed > 0 else None
        self._last_time, self._last_iteration, self._last_evaluations = now, iteration, evaluations
        return {
            "type": "progress",
            "worker_id": self.worker_id,
            "iteration": iteration,
            "engine_best": json_number(engine_best),
            **population_stats(scores),
            "rate": json_number(rate),
            "evaluations": evaluations,
            "eval_rate": json_number(eval_rate),
            "fec_hit_rate": json_number(fec_stats.get("hit_rate")) if fec_stats else None,
        }
