"""Research benchmark for issue 11's open problem: `search_quality` with a shaped search fitness.

    python -m benchmarks.shaped_fitness --config quick --seeds 1,2,3,4 --cpu-seconds 120 \\
        [--delta D] [--validator-weight W] [--restart-after N] [--local-search-every N] [--feature-dim F] [--task-count T]

The `evolve` engine exactly as `search_quality` builds it, with only each suite task's score replaced (the
evaluator's `task_scores`), on the validation rows (p = predictions, y = labels):

    scale-free  = 1 - (2/pi) * atan(rmse of y against b * p), with the best scale b = p.y / p.p (b = 1 when p = 0)
    score       = scale-free - D * min(|ln |b|| + 3 * [b < 0], 20) + W * (the validator's score, 0 if not finite)

D = W = 0 is the scale-free score alone. A prediction right up to a scale gets the partial credit the
validator's score does not give (a Hebbian rule without a learning rate scores ~0.003 there); D pulls the
scale towards 1. The best program is re-scored on the unseen tasks with the validator's score, as in
`search_quality` (docs/performance.md, "Session 4" and "Session 5", has the measured tables: without local
search no setting found a rule with quick's 4 tasks; with `--delta 0.005 --local-search-every 50000` 1 to 3
seeds of 5 do).
Prints search_quality's lines, and per seed seed_<s>_search_fitness (the shaped fitness of its best).
Regression tasks only (scalar_linear).
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from benchmarks import search_quality as quality
from core.cli import OneLineParser
from core.engines.evolve import EvolveEngine
from core.engines.search_fitness import SuiteEvaluator, evaluator_for
from core.program import Program
from core.tasks.base import REGRESSION

SIGN_PENALTY = 3.0  # a prediction of the wrong sign counts as a scale e^3 off
MAX_PENALTY = 20.0


def shaped_scores(preds: np.ndarray, labels: np.ndarray, delta: float = 0.0, validator_weight: float = 0.0) -> np.ndarray:
    """Scores (programs, tasks) from predictions (programs, tasks, rows) and labels (tasks, rows); -inf where a
    prediction is not finite."""
    p = preds.astype(np.float64)
    y = labels.astype(np.float64)[np.newaxis]
    rows = y.shape[-1]
    with np.errstate(all="ignore"):
        pp, py, yy = (p * p).sum(-1), (p * y).sum(-1), (y * y).sum(-1)
        scaled = pp > 0
        safe_pp = np.where(scaled, pp, 1.0)
        b = np.where(scaled, py / safe_pp, 1.0)
        residual = np.where(scaled, yy - py * py / safe_pp, yy)
        scores = 1.0 - (2.0 / math.pi) * np.arctan(np.sqrt(np.maximum(residual, 0.0) / rows))
        miscalibration = np.minimum(np.abs(np.log(np.abs(b))) + SIGN_PENALTY * (b < 0), MAX_PENALTY)
        scores = scores - delta * miscalibration
        if validator_weight:
            real = 1.0 - (2.0 / math.pi) * np.arctan(np.sqrt(((p - y) ** 2).mean(-1)))
            scores = scores + validator_weight * np.where(np.isfinite(real), real, 0.0)
    finite = np.isfinite(p).all(-1) & np.isfinite(scores)
    return np.where(finite, scores, -np.inf)


class ShapedEvaluator(SuiteEvaluator):
    """The `evolve` evaluator (probe, hurdle, cache, held-out check) with `shaped_scores` as the task score."""

    def __init__(self, *args, delta: float = 0.0, validator_weight: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        tasks = self.suite.tasks
        if any(task.kind != REGRESSION or len(task.y_val) != len(tasks[0].y_val) for task in tasks):
            raise ValueError("the shaped search fitness needs regression tasks of one size (scalar_linear)")
        self.labels = np.stack([task.y_val for task in tasks])
        self.delta, self.validator_weight = delta, validator_weight

    def task_scores(self, programs: list[Program], tasks: slice) -> list[list[float]]:
        begin, end, _ = tasks.indices(len(self.suite.tasks))
        if end <= begin:
            return [[] for _ in programs]
        preds, ran = self.suite.run_many(programs, tasks=slice(begin, end))
        shaped = shaped_scores(preds.reshape(len(programs), len(self.labels), -1)[:, begin:end], self.labels[begin:end],
                               self.delta, self.validator_weight)
        return np.where(ran[:, begin:end], shaped, -np.inf).tolist()


def build_engine(args, config: quality.QualityConfig, feature_dim: int, task_count: int, seed: int) -> EvolveEngine:
    overrides = {name: value for name, value in (("restart_after", args.restart_after),
                                                  ("local_search_every", args.local_search_every)) if value is not None}
    params, fitness_fn = quality.engine_setup(config, feature_dim, task_count, **overrides)
    evaluator = evaluator_for(fitness_fn, combine=params.search_fitness, held_out_tasks=params.held_out_tasks,
                              evaluator_class=ShapedEvaluator, delta=args.delta, validator_weight=args.validator_weight)
    return EvolveEngine(params, fitness_fn, seed=seed, evaluator=evaluator)


def non_negative(kind):
    def parse(text: str):
        value = kind(text)
        if not (value >= 0 and math.isfinite(value)):
            raise argparse.ArgumentTypeError(f"must be a finite number, 0 or more, not {text!r}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks.shaped_fitness", description=__doc__.split("\n")[0])
    parser.add_argument("--config", choices=sorted(quality.CONFIGS), required=True,
                        help="search_quality's configs: quick (all 23 opcodes) or automl-zero-demo (the six demo ops)")
    parser.add_argument("--seeds", type=quality.parse_seeds, default=[1, 2, 3], help="comma-separated engine seeds")
    parser.add_argument("--cpu-seconds", type=quality.positive(float), required=True, help="search CPU seconds per seed")
    parser.add_argument("--delta", type=non_negative(float), default=0.0, help="weight D of the scale penalty (default 0)")
    parser.add_argument("--validator-weight", type=non_negative(float), default=0.0, help="weight W of the validator's score (default 0)")
    parser.add_argument("--restart-after", type=non_negative(int), default=None,
                        help="evaluations without progress before a restart; 0 = never (default: the engine's)")
    parser.add_argument("--local-search-every", type=non_negative(int), default=None,
                        help="evaluations between climbs from the population's best through its one-step "
                             "neighbourhood; 0 = never (default: the engine's, never)")
    parser.add_argument("--feature-dim", type=quality.positive(int), default=None, help="default: the config's (4)")
    parser.add_argument("--task-count", type=quality.positive(int), default=None, help="default: the config's")
    args = parser.parse_args(argv)
    config = quality.CONFIGS[args.config]
    feature_dim = args.feature_dim or config.feature_dim
    task_count = args.task_count or config.task_count
    scorer = quality.UnseenScorer(feature_dim)
    quality.report({"config": args.config, "delta": args.delta, "validator_weight": args.validator_weight,
                    "local_search_every": args.local_search_every or 0,
                    "feature_dim": feature_dim, "task_count": task_count, "cpu_seconds": args.cpu_seconds})
    results = []
    for seed in args.seeds:
        engine = build_engine(args, config, feature_dim, task_count, seed)
        results.append(quality.run_seed(engine, scorer, args.cpu_seconds))
        quality.report({**quality.seed_lines(results[-1]), f"seed_{seed}_search_fitness": f"{engine.best_fitness:.6f}"})
    quality.report(quality.summary(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
