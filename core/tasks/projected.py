"""The projected binary recipe shared by cifar10_binary and mnist_binary (algorithm.md §8.1).

Projection and standardisation run in binary64 with index-order sums, so the features do not depend on a
BLAS build; they are rounded to float32 once at the end.
"""

from __future__ import annotations

import numpy as np

from core.tasks.base import BINARY, TaskData

NORM_FLOOR = 1e-6
STD_EPSILON = 1e-6


def sample_indices(pool_size: int, n_samples: int, sample_seed: int) -> np.ndarray:
    """Step 1: the drawn pool rows, in drawn order (with replacement only when the pool is too small)."""
    rng = np.random.Generator(np.random.PCG64(sample_seed))
    return rng.choice(pool_size, size=n_samples, replace=n_samples > pool_size)


def split_sizes(n_samples: int, train_split: float) -> int:
    """Step 5: the number of training rows (at least 1, and at least one validation row when n > 1)."""
    n_train = max(1, int(np.floor(train_split * n_samples)))
    return min(n_train, n_samples - 1) if n_samples > 1 else n_train


def index_order_sum(values: np.ndarray, axis: int) -> np.ndarray:
    """Sum along `axis` strictly in index order (cumulative add), unlike numpy's pairwise `sum`."""
    return np.take(np.cumsum(values, axis=axis), -1, axis=axis)


def projection_matrix(input_features: int, n_components: int, projection_seed: int) -> np.ndarray:
    """Step 3: float32-rounded standard normals, columns scaled to unit L2 norm in binary64."""
    rng = np.random.Generator(np.random.PCG64(projection_seed))
    weights = rng.standard_normal((input_features, n_components)).astype(np.float32).astype(np.float64)
    norms = np.sqrt(index_order_sum(weights * weights, axis=0))
    return weights / np.maximum(norms, NORM_FLOOR)


def project(rows: np.ndarray, projection: np.ndarray) -> np.ndarray:
    """Step 4's Z = X·P with each dot product summed in feature order; returns (n, k) binary64."""
    rows_t = np.ascontiguousarray(rows.T, dtype=np.float64)  # (D_in, n)
    projected_t = np.zeros((projection.shape[1], rows_t.shape[1]))
    term = np.empty_like(projected_t)
    for feature, weights in enumerate(projection):
        np.multiply(weights[:, None], rows_t[feature], out=term)
        projected_t += term
    return projected_t.T


def standardize(projected: np.ndarray) -> np.ndarray:
    """Step 4: per-column (Z − μ) ÷ (σ + 1e-6) over all rows, σ the population std, in binary64."""
    n = projected.shape[0]
    mean = index_order_sum(projected, axis=0) / n
    centered = projected - mean
    std = np.sqrt(index_order_sum(centered * centered, axis=0) / n)
    return centered / (std + STD_EPSILON)


def build_projected_task(
    rows: np.ndarray,
    positive: np.ndarray,
    *,
    projection_seed: int,
    perm_seed: int,
    n_components: int,
    train_split: float,
) -> TaskData:
    """Steps 2-5 on the already drawn rows (float32 features in drawn order, `positive` their class flags)."""
    projection = projection_matrix(rows.shape[1], n_components, projection_seed)
    features = standardize(project(rows, projection)).astype(np.float32)
    labels = np.where(positive, 1.0, 0.0).astype(np.float32)
    n = rows.shape[0]
    perm = np.random.Generator(np.random.PCG64(perm_seed)).permutation(n)
    n_train = split_sizes(n, train_split)
    train, val = perm[:n_train], perm[n_train:]
    return TaskData.from_arrays(features[train], labels[train], features[val], labels[val], BINARY)
