"""Shared helpers for the tasks, data set and verification tests: an isolated data dir with the network
disabled, the golden synthetic CIFAR pool, and small data sets in the real on-disk formats."""

from __future__ import annotations

import gzip
import struct
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from core import datasets
from core.tasks.store import STORE

GOLDEN_CIFAR_SEED = 20260101
GOLDEN_CIFAR_ROWS, GOLDEN_CIFAR_FEATURES = 20000, 3072


@cache
def golden_cifar_pool() -> tuple[np.ndarray, np.ndarray]:
    """The golden README's synthetic CIFAR set: already pixel/255-scaled floats, label = row mod 10."""
    rng = np.random.default_rng(GOLDEN_CIFAR_SEED)
    X = rng.random((GOLDEN_CIFAR_ROWS, GOLDEN_CIFAR_FEATURES), dtype=np.float64).astype(np.float32)
    y = (np.arange(GOLDEN_CIFAR_ROWS) % 10).astype(np.int32)
    return X, y


@pytest.fixture
def isolated_data(tmp_path, monkeypatch) -> Path:
    """A fresh data dir; downloads other than file:// URLs fail; sklearn/gui-config lookups point nowhere."""
    root = tmp_path / "data"
    monkeypatch.setenv("BITSOTA_DATA_DIR", str(root))
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn"))
    monkeypatch.setenv("BITSOTA_GUI_CONFIG", str(tmp_path / "no_gui_config.json"))
    monkeypatch.delenv("CIFAR10_DATASET_URL", raising=False)
    monkeypatch.delenv("MNIST_DATASET_URL", raising=False)
    real_download = datasets.download

    def offline_download(url, target, **kwargs):
        if not url.startswith("file://"):
            raise OSError("network disabled in tests")
        return real_download(url, target, **kwargs)

    monkeypatch.setattr(datasets, "download", offline_download)
    STORE.forget()
    yield root
    STORE.forget()


def class_means_pixels(labels: np.ndarray, n_features: int, seed: int = 0) -> np.ndarray:
    """uint8 pixels whose mean depends on the class, so tasks built from them are learnable."""
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 60, size=(len(labels), n_features))
    return (noise + 20 * labels[:, None]).clip(0, 255).astype(np.uint8)


def write_arff_gz(path: Path, X: np.ndarray, y: np.ndarray, *, class_values=None, quote_class=False) -> Path:
    """A dense ARFF file (gzipped) in the OpenML layout: numeric features, then a nominal `class`."""
    class_values = class_values or [str(v) for v in range(10)]
    lines = ["% generated for tests", "@relation test", ""]
    lines += [f"@attribute a{j} numeric" for j in range(X.shape[1])]
    lines.append("@attribute class {" + ",".join(class_values) + "}")
    lines += ["", "@data"]
    for row, label in zip(X, y):
        value = class_values[label]
        lines.append(",".join(str(v) for v in row) + "," + (f"'{value}'" if quote_class else value))
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def write_idx(path: Path, array: np.ndarray) -> Path:
    """An unsigned-byte IDX file (gzipped when the name ends in .gz)."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(payload) if path.suffix == ".gz" else payload)
    return path
