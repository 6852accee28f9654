"""Task registry and suites against the reference's golden suites and our frozen miner suites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.tasks import (
    Cifar10Spec,
    MnistSpec,
    ScalarLinearSpec,
    UnknownTaskType,
    miner_suite,
    normalize_task_type,
    verification_suite,
)
from core.tasks.scalar_linear import seeds_for_id
from core.tasks.suites import miner_data_sizes

MINER_GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "miner_suites.json"


def _golden_suites(golden_dir):
    doc = json.loads((golden_dir / "suites.json").read_text())
    return doc["task_seed"], doc["suites"]


def test_every_golden_verification_suite_matches_ids_specs_and_eval_seeds(golden_dir):
    task_seed, suites = _golden_suites(golden_dir)
    checked = 0
    for suite in suites:
        if "error" in suite:
            continue
        entries = verification_suite(suite["task_type"], suite["input_dim"], suite["task_count"], task_seed,
                                     overrides=suite["overrides"], scalar_large_suite="reference")
        assert [e.spec.task_id for e in entries] == suite["task_ids"]
        assert [dict(e.spec.as_dict(), eval_seed=e.eval_seed) for e in entries] == suite["tasks"]
        checked += 1
    assert checked == 20


def test_oversized_scalar_suite_fails_under_reference_as_the_golden_says(golden_dir):
    task_seed, suites = _golden_suites(golden_dir)
    errors = [s for s in suites if "error" in s]
    assert {(s["input_dim"], s["task_count"]) for s in errors} == {(4, 16), (4, 128), (16, 16), (16, 128)}
    for suite in errors:
        with pytest.raises(ValueError) as caught:
            verification_suite("scalar_linear", suite["input_dim"], suite["task_count"], task_seed,
                               overrides=suite["overrides"], scalar_large_suite="reference")
        assert str(caught.value) in suite["error"]


def test_extended_scalar_suite_uses_ids_in_order_with_the_extension_rule():
    entries = verification_suite("scalar_linear", 16, 12, 1337, scalar_large_suite="extended")
    assert [e.spec.task_id for e in entries] == list(range(12))
    assert (entries[10].spec.param_seed, entries[10].spec.data_seed) == (1006, 11006)  # id 10 repeats id 4's pair
    assert entries[10].eval_seed != entries[4].eval_seed
    assert entries[8].spec.descriptor == ("scalar_linear", 1004, 11004, 1000, 1000, 16)


def test_scalar_seed_table_and_extension():
    assert [seeds_for_id(t) for t in range(8)] == [(1001, 11001), (1012, 11012), (1010, 11010), (1000, 11000),
                                                   (1006, 11006), (1008, 11008), (1007, 11007), (1003, 11003)]
    assert seeds_for_id(8) == (1004, 11004)
    assert seeds_for_id(20) == (1016, 11016)


def test_descriptors_follow_the_spec():
    assert Cifar10Spec.for_id(1538).descriptor == ("cifar10_binary", 1538, (1, 8), 18883, 99069, 16, 2000, 0.5)
    assert MnistSpec.for_id(29, n_components=4).descriptor == ("mnist_binary", 29, 21030, 17374, 97560, 4, 2000, 0.5)
    assert ScalarLinearSpec.for_id(3, n_features=4, train_samples=100, val_samples=50).descriptor == (
        "scalar_linear", 1000, 11000, 100, 50, 4)
    assert Cifar10Spec.for_id(4499).class_pair == (8, 9)
    with pytest.raises(ValueError):
        Cifar10Spec.for_id(4500)


def test_large_binary_suites_draw_with_replacement():
    entries = verification_suite("cifar10_binary", 16, 5000, 1337)
    assert len(entries) == 5000
    assert len({e.spec.task_id for e in entries}) < 4500


@pytest.mark.parametrize("name, expected", [(" CIFAR10_Binary ", "cifar10_binary"), ("mnist_binary", "mnist_binary"),
                                            ("Scalar_Linear\n", "scalar_linear")])
def test_normalize_task_type_accepts_registered_names(name, expected):
    assert normalize_task_type(name) == expected


@pytest.mark.parametrize("name", ["cifar10", "", "scalar", "mnist-binary"])
def test_normalize_task_type_refuses_anything_else(name):
    with pytest.raises(UnknownTaskType):
        normalize_task_type(name)
    with pytest.raises(UnknownTaskType):
        verification_suite(name, 16, 4, 1337)


def test_miner_suites_stay_frozen():
    golden = json.loads(MINER_GOLDEN.read_text())["suites"]
    assert len(golden) == 18
    for suite in golden:
        entries = miner_suite(suite["task_type"], suite["input_dim"], suite["task_count"], suite["miner_task_seed"])
        assert [e.spec.task_id for e in entries] == suite["task_ids"], suite
        assert [e.eval_seed for e in entries] == suite["eval_seeds"], suite


def test_miner_suite_draws_each_id_from_its_own_generator():
    import numpy as np

    entries = miner_suite("mnist_binary", 16, 4, 7)
    outer = np.random.Generator(np.random.PCG64(7 + 7919 * 16))
    expected = [int(np.random.Generator(np.random.PCG64(int(outer.integers(0, 2**31 - 1)))).integers(0, 10000))
                for _ in range(4)]
    assert [e.spec.task_id for e in entries] == expected


def test_miner_data_size_overrides():
    scalar = miner_suite("scalar_linear", 4, 2, 0, train_examples=100, val_examples=30)
    assert (scalar[0].spec.train_samples, scalar[0].spec.val_samples, scalar[0].spec.n_features) == (100, 30, 4)
    binary = miner_suite("cifar10_binary", 8, 2, 0, train_examples=300, val_examples=100)
    assert binary[0].spec.n_samples == 400
    assert binary[0].spec.train_split == pytest.approx((300 + 1e-6) / 400, abs=0)
    assert binary[0].spec.n_components == 8
    assert miner_data_sizes("mnist_binary", None, None) == {}
    with pytest.raises(ValueError, match="together"):
        miner_suite("scalar_linear", 4, 2, 0, train_examples=100)
