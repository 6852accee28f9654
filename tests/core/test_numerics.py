"""Canonical numerics (algorithm.md §4.5): reduction orders and the C-library transcendentals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core import numerics as nx

F32 = np.float32
SIZES = list(range(0, 300)) + [511, 512, 513, 1000, 1024, 2049]


def wide_range(rng: np.random.Generator, n: int) -> np.ndarray:
    """Values spread over six decades, so a different summation order almost always shows in the bits."""
    return (rng.standard_normal(n) * 10.0 ** rng.uniform(-3, 3, n)).astype(F32)


def bits(x) -> bytes:
    return np.asarray(x, dtype=F32).tobytes()


def sequential_sum(x: np.ndarray) -> F32:
    total = F32(0)
    for v in x:
        total = total + v
    return total


def test_pw_matches_numpy_add_reduce_on_contiguous_float32():
    rng = np.random.default_rng(11)
    for n in SIZES:
        for _ in range(3):
            x = wide_range(rng, n)
            assert bits(nx.pw(x)) == bits(np.add.reduce(x)), n


def test_pw_rows_match_numpy_reduce_along_last_axis():
    rng = np.random.default_rng(12)
    for n in (3, 8, 16, 100, 129, 300):
        m = wide_range(rng, n * n).reshape(n, n)
        assert bits(nx.pw(m)) == bits(np.add.reduce(m, axis=-1)), n


def test_pw_below_eight_is_sequential_and_blocked_above():
    x = np.array([1e8, 1.0, -1e8, 1.0, 1.0, 1.0, 1.0], dtype=F32)
    assert nx.pw(x) == sequential_sum(x) == F32(4.0)
    # 8 ≤ n ≤ 128: eight lane accumulators, combined as a tree, then the n mod 8 leftovers in index order.
    y = np.array([1e8] + [1.0] * 7 + [-1e8] + [1.0] * 7 + [1.0, 1.0], dtype=F32)
    r = y[:8] + y[8:16]
    expected = (((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7])) + y[16]) + y[17]
    assert nx.pw(y) == expected == F32(16.0)
    assert sequential_sum(y) != expected


def test_pw_splits_above_128_at_a_multiple_of_eight():
    rng = np.random.default_rng(13)
    x = wide_range(rng, 300)
    half = 150 - 150 % 8  # 144
    assert bits(nx.pw(x)) == bits(F32(0) + (nx.pw(x[:half]) + nx.pw(x[half:])))


def test_pw_turns_negative_zero_into_positive_zero():
    for n in (1, 5, 8, 130):
        assert math.copysign(1.0, float(nx.pw(np.full(n, -0.0, dtype=F32)))) == 1.0


def test_dot_matches_numpy_einsum_kernel():
    rng = np.random.default_rng(14)
    for n in range(0, 300):
        a, b = wide_range(rng, n), wide_range(rng, n)
        assert bits(nx.dot(a, b)) == bits(np.einsum("i,i->", a, b)), n


def test_dot_uses_four_lanes_over_blocks_of_sixteen():
    rng = np.random.default_rng(15)
    a, b = wide_range(rng, 22), wide_range(rng, 22)
    p = a * b
    lanes = [F32(0)] * 4
    for lane in range(4):
        lanes[lane] = p[lane] + (p[4 + lane] + (p[8 + lane] + (p[12 + lane] + lanes[lane])))
    for lane in range(4):
        lanes[lane] = p[16 + lane] + lanes[lane]
    for lane in range(4):
        lanes[lane] = (p[20 + lane] if 20 + lane < 22 else F32(0)) + lanes[lane]
    assert bits(nx.dot(a, b)) == bits((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))


def test_vector_statistics_match_numpy_float32():
    rng = np.random.default_rng(16)
    for n in (1, 4, 16, 17, 129, 1024):
        x = (rng.standard_normal(n) * 3 + 1).astype(F32)
        assert bits(nx.mean(x)) == bits(np.mean(x))
        assert bits(nx.std(x)) == bits(np.std(x))
        assert bits(nx.norm(x)) == bits(np.sqrt(np.add.reduce(x * x)))


def test_frobenius_sums_the_squares_in_row_major_order():
    rng = np.random.default_rng(17)
    m = wide_range(rng, 400).reshape(20, 20)
    assert bits(nx.frobenius(m)) == bits(np.sqrt(np.add.reduce((m * m).reshape(-1))))


def test_matvec_rows_are_pairwise_sums_of_products():
    rng = np.random.default_rng(18)
    m, v = wide_range(rng, 9 * 9).reshape(9, 9), wide_range(rng, 9)
    assert bits(nx.matvec(m, v)) == bits(np.array([nx.pw(m[i] * v) for i in range(9)]))


def test_div_adds_epsilon_in_binary32_first():
    assert nx.EPS == F32(1e-8)
    a, b = F32(1.0), F32(3.0)
    assert bits(nx.div(a, b)) == bits(a / (b + F32(1e-8)))
    assert nx.div(F32(1.0), F32(0.0)) == F32(1.0) / F32(1e-8)


def test_heaviside_nan_and_zero_give_zero():
    x = np.array([np.nan, 0.0, -0.0, -1.0, 1e-30, np.inf], dtype=F32)
    assert nx.heaviside(x).tolist() == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    assert nx.heaviside(x).dtype == F32


@pytest.mark.parametrize(
    "fn, libm",
    [(nx.sin, math.sin), (nx.cos, math.cos), (nx.tan, math.tan)],
)
def test_trig_is_libm_in_binary64_rounded_once(fn, libm):
    rng = np.random.default_rng(19)
    x = (rng.standard_normal(500) * 10).astype(F32)
    assert bits(fn(x)) == bits([F32(libm(float(v))) for v in x])
    assert np.isnan(fn(np.array([np.inf, -np.inf, np.nan], dtype=F32))).all()


def test_exp_clamps_in_binary32_then_calls_libm():
    x = np.array([-50.0, -10.0, 0.5, 9.99, 10.0, 1e30, np.inf, -np.inf], dtype=F32)
    expected = [F32(math.exp(min(max(float(v), -10.0), 10.0))) for v in x]
    assert bits(nx.exp(x)) == bits(expected)
    assert np.isnan(nx.exp(np.array([np.nan], dtype=F32)))[0]


def test_log_adds_epsilon_in_binary32_then_calls_libm():
    x = np.array([0.0, -0.0, -2.5, 1e-9, 3.0, np.inf], dtype=F32)
    expected = [F32(math.log(float(abs(v) + F32(1e-8)))) for v in x]
    assert bits(nx.log(x)) == bits(expected)
    assert nx.log(np.array([0.0], dtype=F32))[0] == F32(math.log(float(F32(1e-8))))
    assert np.isnan(nx.log(np.array([np.nan], dtype=F32)))[0]


def test_transcendentals_keep_shape_and_dtype():
    m = np.arange(9, dtype=F32).reshape(3, 3)
    for fn in (nx.exp, nx.log, nx.sin, nx.cos, nx.tan):
        out = fn(m)
        assert out.shape == (3, 3) and out.dtype == F32
    assert nx.sin(F32(1.0)).shape == ()
