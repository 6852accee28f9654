"""Held-out tasks of the miner suite's family: more tasks for the `evolve` engine's search fitness, so that
a program cannot climb by fitting the few tasks of the miner suite (fixed weights that happen to suit
them) instead of learning.

The tasks are new ids of the same task type, data sizes and feature dimension, drawn with their own
generator from the miner suite's seed. scalar_linear's id space is extended (§8.4) below
`SCALAR_LINEAR_ID_LIMIT`; other types draw from their registry space.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from core.tasks import TASK_SPACE, eval_seed
from core.tasks.registry import SCALAR_LINEAR
from core.tasks.suites import make_spec

SCALAR_LINEAR_ID_LIMIT = 1000
STREAM = 0x48454C44  # separates this draw from the miner suite's own


def held_out_specs(specs: Sequence, count: int, suite_seed_value: int) -> list:
    """`count` specs like `specs[0]` with ids not among `specs`' ids."""
    first = specs[0]
    space = SCALAR_LINEAR_ID_LIMIT if first.task_type == SCALAR_LINEAR else TASK_SPACE[first.task_type]
    taken = {spec.task_id for spec in specs}
    free = [t for t in range(space) if t not in taken]
    if count > len(free):
        raise ValueError(f"only {len(free)} held-out {first.task_type} tasks exist, {count} asked")
    rng = np.random.Generator(np.random.PCG64([suite_seed_value, STREAM]))
    ids = rng.choice(len(free), size=count, replace=False).tolist()
    return [make_spec(first.task_type, free[i], first.input_dim, sizes_of(first)) for i in ids]


def sizes_of(spec) -> dict:
    if spec.task_type == SCALAR_LINEAR:
        return {"train_samples": spec.train_samples, "val_samples": spec.val_samples}
    return {"n_samples": spec.n_samples, "train_split": spec.train_split}


def held_out_seeds(specs: Sequence, suite_seed_value: int) -> list[int]:
    return [eval_seed(spec, suite_seed_value) for spec in specs]
