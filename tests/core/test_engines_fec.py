"""The functional equivalence cache (algorithm.md §11) and the miner fitness built on it."""

from __future__ import annotations

import hashlib
import math
import struct

import numpy as np
import pytest

from core import fast
from core.dsl import from_dsl
from core.engines import BaselineEngine, EngineParams
from core.engines.fitness import miner_fitness
from core.evaluate import evaluate_tasks
from core.fec import FecCache, probe_task, trace_bytes
from core.interpreter import run_task
from core.scoring import fitness
from core.tasks import ScalarLinearSpec, miner_suite

DIM = 2


@pytest.fixture(scope="module")
def task():
    return ScalarLinearSpec.for_id(3, n_features=DIM, train_samples=60, val_samples=50).build()


def make_cache(task, **overrides):
    options = dict(input_dim=DIM, task_count=3, miner_task_seed=0, capacity=100, train_examples=8,
                   valid_examples=6)
    return FecCache(task, ("scalar_linear", 1000, 11000, 60, 50, DIM), **{**options, **overrides})


class Compute:
    def __init__(self, value=0.5):
        self.value, self.calls = value, 0

    def __call__(self, program):
        self.calls += 1
        return self.value


def test_probe_rows_are_drawn_with_seeds_1337_and_1338_in_drawn_order(task):
    probe = probe_task(task, 8, 6)
    train_rows = np.random.Generator(np.random.PCG64(1337)).choice(60, 8, replace=False)
    valid_rows = np.random.Generator(np.random.PCG64(1338)).choice(50, 6, replace=False)
    assert np.array_equal(probe.X_train, task.X_train[train_rows])
    assert np.array_equal(probe.y_val, task.y_val[valid_rows])
    assert len(probe_task(task, 500, 500).y_train) == 60  # min(wanted, rows)


def test_key_is_sha1_of_version_descriptor_integers_and_trace(task):
    cache = make_cache(task, miner_task_seed=5)
    program = from_dsl("# predict\ns0 = mean(v0)", DIM)
    predictions = run_task(program, cache.probe, 1337)
    expected = hashlib.sha1(
        b"fec-v2" + repr(("scalar_linear", 1000, 11000, 60, 50, DIM)).encode()
        + struct.pack("<7q", 8, 6, DIM, 3, 5, 1337, 3)
        + np.round(predictions - cache.probe.y_val, 3).astype("<f4").tobytes()
    ).digest()
    assert cache.key(program) == expected


def test_trace_rounds_and_maps_non_finite_errors():
    predictions = np.array([np.nan, np.inf, -np.inf, 0.12345], dtype=np.float32)
    trace = np.frombuffer(trace_bytes(predictions, np.zeros(4, np.float32)), dtype="<f4")
    assert trace.tolist() == [0.0, 1e6, -1e6, pytest.approx(0.123)]


@pytest.mark.skipif(not fast.available(), reason="core._fastexec is not built")
def test_compiled_trace_equals_the_numpy_definition():
    g = np.random.default_rng(4)
    ties = (np.arange(-3000, 3000) + 0.5) / 1000  # x.xxx5: rint's ties-to-even decides
    specials = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 3e38, -3e38, 1e30, 5e-4, -5e-4, 1e-40]
    predictions = np.concatenate([ties, specials, g.standard_normal(5000) * 10.0 ** g.integers(-6, 9, 5000)])
    predictions = predictions.astype(np.float32)
    labels = g.standard_normal(predictions.size).astype(np.float32)
    labels[: ties.size + len(specials)] = 0.0
    assert fast.fec_trace(predictions, labels) == trace_bytes(predictions, labels)


def test_equivalent_programs_hit_and_the_stats_count_them(task):
    cache, compute = make_cache(task), Compute()
    plain = from_dsl("# predict\ns0 = mean(v0)", DIM)
    padded = from_dsl("# predict\ns3 = 1.0\ns0 = mean(v0)", DIM)  # same predictions, another program
    other = from_dsl("# predict\ns0 = norm(v0)", DIM)
    assert cache.fitness(plain, compute) == 0.5
    compute.value = 0.9
    assert cache.fitness(padded, compute) == 0.5 and compute.calls == 1
    assert cache.fitness(other, compute) == 0.9 and compute.calls == 2
    assert cache.stats() == {"lookups": 3, "hits": 1, "misses": 2, "key_failures": 0, "size": 2,
                             "capacity": 100, "hit_rate": pytest.approx(1 / 3)}


def test_a_failing_probe_counts_as_key_failure_and_is_evaluated_uncached(task):
    cache, compute = make_cache(task), Compute(-math.inf)
    broken = from_dsl("# meta: scalar_count=1\n# predict\ns0 = 1.0", DIM)  # cannot be evaluated (§2.4)
    assert cache.fitness(broken, compute) == -math.inf
    assert cache.fitness(broken, compute) == -math.inf
    assert compute.calls == 2 and cache.stats()["key_failures"] == 2 and len(cache) == 0


def test_lru_evicts_the_least_recently_used_entry(task):
    cache = make_cache(task, capacity=2)
    cache.put(b"a", 1.0)
    cache.put(b"b", 2.0)
    assert cache.get(b"a") == 1.0  # refreshes a
    cache.put(b"c", 3.0)
    assert b"b" not in cache and b"a" in cache and b"c" in cache and len(cache) == 2


def test_forget_every_clears_the_map_after_that_many_inserts(task):
    cache = make_cache(task, forget_every=3)
    for i, key in enumerate([b"a", b"b"]):
        cache.put(key, float(i))
    assert len(cache) == 2
    cache.put(b"c", 2.0)
    assert len(cache) == 0
    cache.put(b"d", 3.0)
    assert len(cache) == 1 and cache.get(b"d") == 3.0


def test_miner_fitness_is_the_median_of_finite_scores_over_the_miner_suite():
    fitness_fn = miner_fitness("scalar_linear", DIM, 3, 0, train_examples=30, val_examples=20)
    suite = miner_suite("scalar_linear", DIM, 3, 0, train_examples=30, val_examples=20)
    program = from_dsl("# predict\ns0 = mean(v0)", DIM)
    expected = fitness(evaluate_tasks(program, [e.load() for e in suite], [e.eval_seed for e in suite]))
    assert fitness_fn(program) == expected and math.isfinite(expected)
    assert fitness_fn.fec_stats() is None


def test_an_engine_with_fec_reports_hits_and_keeps_fitness_values_of_equivalent_programs():
    fitness_fn = miner_fitness("scalar_linear", DIM, 2, 0, train_examples=30, val_examples=20,
                               fec_cache_size=1000, fec_train_examples=10, fec_valid_examples=10)
    params = EngineParams(input_dim=DIM, pop_size=20, scalar_count=4, vector_count=2, matrix_count=1,
                          setup_max_ops=4, predict_max_ops=3, learn_max_ops=4)
    engine = BaselineEngine(params, fitness_fn, seed=0)
    for _ in range(60):
        engine.evolve_generation()
    stats = engine.fec_stats()
    assert stats["lookups"] == engine.evaluations == 80
    assert stats["hits"] >= 19  # the 20 empty programs of the first population share one key
    assert stats["hits"] + stats["misses"] + stats["key_failures"] == stats["lookups"]
    assert stats["size"] == stats["misses"]


def test_frozen_fec_keys_on_the_default_scalar_linear_miner_suite():
    """Keys are part of the cache format: a change here must be deliberate (bump `fec-v2`)."""
    cache = miner_fitness("scalar_linear", 4, 3, 0, fec_cache_size=10).fec
    assert cache.key(from_dsl("# predict\ns0 = mean(v0)", 4)).hex() == "a79d0bd402b164eaa37363d0052e2de95db1442f"
    assert cache.key(from_dsl("", 4)).hex() == "1dd395e1b90f91c9b09a2d05e96133533f1973ff"
