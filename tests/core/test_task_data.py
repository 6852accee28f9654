"""Prepared task data: scalar_linear digests, the projected recipe on the golden synthetic CIFAR set,
MNIST tasks from a small pool, and the memory and disk caches."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from core import datasets
from core.tasks import BINARY, REGRESSION, Cifar10Spec, MnistSpec, ScalarLinearSpec
from core.tasks.store import STORE
from core.tasks.projected import split_sizes
from tests.core.tasks_support import class_means_pixels, golden_cifar_pool, isolated_data  # noqa: F401

ARRAYS = ("X_train", "y_train", "X_val", "y_val")


def _sha(array) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def test_scalar_linear_arrays_equal_the_reference_bytes(golden_dir):
    tasks = json.loads((golden_dir / "scalar_tasks.json").read_text())["tasks"]
    assert {t["n_features"] for t in tasks} == {4, 16} and len(tasks) == 16
    for golden in tasks:
        data = ScalarLinearSpec.for_id(golden["task_id"], n_features=golden["n_features"]).build()
        assert data.kind == REGRESSION
        assert {name: _sha(getattr(data, name)) for name in ARRAYS} == golden["sha256"], golden["task_id"]
        assert data.X_train[0].tolist() == golden["X_train_row0"]


@pytest.fixture(scope="module")
def golden_cifar(golden_dir):
    doc = json.loads((golden_dir / "cifar_fixture_tasks.json").read_text())
    X, y = golden_cifar_pool()
    assert _sha(X) == doc["synthetic_X_sha256_float32"] and _sha(y) == doc["synthetic_y_sha256_int32"]
    with STORE.override("cifar10", X, y):
        built = {t["task_id"]: Cifar10Spec.for_id(t["task_id"]).build_with_indices() for t in doc["tasks"]}
    return doc, built


def test_cifar_fixture_tasks_match_the_reference(golden_cifar, golden_dir):
    doc, built = golden_cifar
    assert len(doc["tasks"]) == 8
    for golden in doc["tasks"]:
        data, positions = built[golden["task_id"]]
        first = golden["first_sample_indices_into_pair_pool"]
        assert positions[:len(first)].tolist() == first
        assert (len(data.y_train), len(data.y_val)) == (golden["n_train"], golden["n_val"])
        assert data.kind == BINARY and data.X_train.dtype == np.float32
        for name in ARRAYS:
            reference = np.load(golden_dir / "cifar_fixture_tasks" / f"task{golden['task_id']}_{name}.npy")
            if name.startswith("y"):
                assert np.array_equal(getattr(data, name), reference)
            else:
                # binary64 path vs the reference's float32 sgemm path (algorithm.md §8.1.6)
                assert np.abs(getattr(data, name) - reference).max() <= 1e-5


def test_suite_loads_go_through_the_override_and_are_read_only(golden_cifar):
    X, y = golden_cifar_pool()
    with STORE.override("cifar10", X, y):
        data = Cifar10Spec.for_id(1538).load()
        assert data is Cifar10Spec.for_id(1538).load()  # memory cache hit
    assert not data.X_train.flags.writeable and not data.y_val.flags.writeable
    with pytest.raises(ValueError):
        data.X_train[0, 0] = 1.0


def _small_mnist_pool(rows: int = 600):
    y = np.arange(rows) % 2
    return class_means_pixels(y, 784, seed=3), y.astype(np.int32)


def test_mnist_tasks_use_data_seed_and_pixel_scaling():
    X, y = _small_mnist_pool()
    spec = MnistSpec.for_id(5, n_components=4, n_samples=100, train_split=0.5)
    with STORE.override("mnist", X, y):
        data, positions = spec.build_with_indices()
        again = MnistSpec.for_id(5, n_components=4, n_samples=100, train_split=0.5).build()
    expected = np.random.default_rng(spec.data_seed).choice(600, size=100, replace=False)
    assert positions.tolist() == expected.tolist()
    assert data.X_train.shape == (50, 4) and data.X_val.shape == (50, 4)
    assert np.array_equal(data.X_train, again.X_train)
    labels = np.concatenate([data.y_train, data.y_val])
    assert sorted(labels.tolist()) == sorted((y[expected] == 1).astype(np.float32).tolist())
    features = np.concatenate([data.X_train, data.X_val]).astype(np.float64)
    assert np.allclose(features.mean(axis=0), 0.0, atol=1e-5)  # standardised over all rows


def test_small_pools_are_sampled_with_replacement():
    X, y = _small_mnist_pool(40)
    with STORE.override("mnist", X, y):
        data, positions = MnistSpec.for_id(0, n_components=3, n_samples=100).build_with_indices()
    assert len(positions) == 100 and len(set(positions.tolist())) <= 40
    assert len(data.y_train) + len(data.y_val) == 100


@pytest.mark.parametrize("n, split, expected", [(2000, 0.5, 1000), (1, 0.5, 1), (2, 0.99, 1), (10, 0.01, 1),
                                                (400, (300 + 1e-6) / 400, 300)])
def test_split_sizes(n, split, expected):
    assert split_sizes(n, split) == expected


def test_memory_cache_is_an_lru_sized_by_env(monkeypatch):
    monkeypatch.setattr(STORE, "_memory", {})
    monkeypatch.setenv("SCALAR_TASK_CACHE_MAXSIZE", "2")
    specs = [ScalarLinearSpec.for_id(t, n_features=2, train_samples=5, val_samples=5) for t in range(3)]
    first = specs[0].load()
    specs[1].load()
    assert specs[0].load() is first  # refreshes 0, so 1 is now the oldest
    specs[2].load()
    cache = STORE.memory_cache("scalar_linear")
    assert len(cache) == 2 and cache.get(specs[1].descriptor) is None and cache.get(specs[0].descriptor) is first


def _fixture_data_dir(root, rows: int = 400):
    y = (np.arange(rows) % 10).astype(np.int32)
    datasets.save_dataset(root, "cifar10", class_means_pixels(y, 48), y, synthetic=True)


def test_disk_cache_stores_verifies_and_rebuilds(isolated_data):
    _fixture_data_dir(isolated_data)
    spec = Cifar10Spec.for_id(120, n_components=4, n_samples=60)
    data = spec.load()
    stored = STORE.disk_path(spec)
    assert stored.is_file() and stored.parent == isolated_data / "tasks" / "cifar10_binary"
    STORE.clear_memory()
    from_disk = spec.load()
    assert from_disk is not data and np.array_equal(from_disk.X_val, data.X_val)
    with np.load(stored) as npz:  # tamper: a digest mismatch must rebuild, not serve the bad array
        arrays = {k: npz[k] for k in npz.files}
    arrays["X_train"] = arrays["X_train"] + 1
    np.savez(stored, **arrays)
    STORE.clear_memory()
    assert np.array_equal(spec.load().X_train, data.X_train)


def test_overrides_never_reach_the_disk_cache(isolated_data):
    X, y = _small_mnist_pool()
    with STORE.override("mnist", X, y):
        MnistSpec.for_id(1, n_components=2, n_samples=50).load()
    assert not (isolated_data / "tasks").exists()


def test_a_rewritten_data_set_is_noticed_without_being_told(isolated_data):
    _fixture_data_dir(isolated_data)
    spec = Cifar10Spec.for_id(0, n_components=2, n_samples=40)
    old, old_path = spec.load(), STORE.disk_path(spec)
    assert old_path.is_file()
    y = (np.arange(300) % 10).astype(np.int32)
    datasets.save_dataset(isolated_data, "cifar10", class_means_pixels(y, 48, seed=7), y, synthetic=True)
    new = spec.load()  # no forget(): the store sees the new file and its new digest
    assert STORE.disk_path(spec) != old_path and STORE.disk_path(spec).is_file()
    assert not np.array_equal(new.X_train, old.X_train)
    assert np.array_equal(new.X_train, spec.build().X_train)  # what the recipe makes from the new data


def test_data_fetching_knows_nothing_of_tasks():
    import subprocess
    import sys

    probe = "import sys, core.datasets; print(sorted(m for m in sys.modules if m.startswith('core.tasks')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
