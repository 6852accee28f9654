"""Canonical binary32 numerics shared by every evaluator (algorithm.md §4.5).

Every function here takes and returns float32 values and fixes the exact order of each operation, so the
canonical interpreter, the compiled evaluator and the scores round identically:
- elementwise `+ - * /`, abs, clip and comparisons are single binary32 operations (numpy float32 ufuncs,
  which never fuse a multiply and an add);
- reductions follow numpy's pairwise sum (`pw`) and its einsum dot kernel, written out explicitly;
- exp, log, sin, cos and tan call the C library (Python's `math`) on binary64 and round once to binary32.
"""

from __future__ import annotations

import math

import numpy as np

F32 = np.float32
EPS = F32(1e-8)  # ε of DIV and LOG
EXP_CLAMP = F32(10.0)
_ZERO = F32(0.0)
_PW_BLOCK = 128  # numpy's PW_BLOCKSIZE
_PW_LANES = 8
_DOT_LANES = 4


def pw(x) -> np.ndarray:
    """numpy's float32 pairwise sum over the last axis (§4.5 rule 4), `0 + result` included.

    Works on any leading shape: row i of a matrix sums independently, as MATMUL needs.
    """
    x = np.asarray(x, dtype=F32)
    return _ZERO + _pairwise(x)


def _pairwise(x: np.ndarray) -> np.ndarray:
    n = x.shape[-1]
    if n < _PW_LANES:
        total = np.zeros(x.shape[:-1], dtype=F32)
        for i in range(n):
            total = total + x[..., i]
        return total
    if n <= _PW_BLOCK:
        full = n - n % _PW_LANES
        r = x[..., :_PW_LANES]
        for i in range(_PW_LANES, full, _PW_LANES):
            r = r + x[..., i : i + _PW_LANES]
        total = ((r[..., 0] + r[..., 1]) + (r[..., 2] + r[..., 3])) + ((r[..., 4] + r[..., 5]) + (r[..., 6] + r[..., 7]))
        for i in range(full, n):
            total = total + x[..., i]
        return total
    half = n // 2
    half -= half % _PW_LANES
    return _pairwise(x[..., :half]) + _pairwise(x[..., half:])


def dot(a: np.ndarray, b: np.ndarray) -> np.float32:
    """Σ a_i·b_i in the order of numpy's baseline float32 einsum kernel: 4 lanes, blocks of 16 (§4.5 rule 4)."""
    p = np.asarray(a, dtype=F32) * np.asarray(b, dtype=F32)
    n = p.shape[0]
    lanes = np.zeros(_DOT_LANES, dtype=F32)
    i = 0
    while i + 16 <= n:
        lanes = p[i : i + 4] + (p[i + 4 : i + 8] + (p[i + 8 : i + 12] + (p[i + 12 : i + 16] + lanes)))
        i += 16
    while i < n:
        group = np.zeros(_DOT_LANES, dtype=F32)  # missing elements count as +0
        tail = p[i : i + _DOT_LANES]
        group[: tail.shape[0]] = tail
        lanes = group + lanes
        i += _DOT_LANES
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])


def matvec(m: np.ndarray, v: np.ndarray) -> np.ndarray:
    """MATMUL: row i is pw over j of M_ij·v_j."""
    return pw(m * v)


def norm(x: np.ndarray) -> np.float32:
    """L2 norm of a vector: sqrt(pw(x_i·x_i))."""
    return np.sqrt(pw(x * x))


def frobenius(m: np.ndarray) -> np.float32:
    """Frobenius norm: sqrt of pw over the n² products M_ij·M_ij in row-major order."""
    flat = np.ascontiguousarray(m).reshape(-1)
    return np.sqrt(pw(flat * flat))


def mean(x: np.ndarray) -> np.ndarray:
    return pw(x) / F32(x.shape[-1])


def std(x: np.ndarray) -> np.ndarray:
    """Population standard deviation, numpy's two-pass order."""
    n = F32(x.shape[-1])
    d = x - pw(x) / n
    return np.sqrt(pw(d * d) / n)


def div(a, b):
    """DIV: a / (b + ε), two binary32 steps."""
    return a / (b + EPS)


def heaviside(x):
    """1 where x > 0, else 0 (NaN gives 0)."""
    return (np.asarray(x) > _ZERO).astype(F32)


def _libm(fn, x) -> np.ndarray | np.float32:
    """Apply a binary64 C-library function to every binary32 element, rounding each result once."""
    x = np.asarray(x, dtype=F32)
    if x.ndim == 0:
        return F32(fn(float(x)))
    out = np.array([fn(v) for v in x.reshape(-1).tolist()], dtype=np.float64)
    return out.astype(F32).reshape(x.shape)


def _finite_only(fn):
    """C's sin/cos/tan give NaN for ±inf where Python's math raises."""
    return lambda v: fn(v) if math.isfinite(v) else math.nan


_sin, _cos, _tan = _finite_only(math.sin), _finite_only(math.cos), _finite_only(math.tan)


def exp(x):
    """exp(clamp(x, −10, 10)); the clamp is binary32 and keeps NaN."""
    return _libm(math.exp, np.clip(np.asarray(x, dtype=F32), -EXP_CLAMP, EXP_CLAMP))


def log(x):
    """ln(|x| + ε) with the add in binary32."""
    return _libm(math.log, np.abs(np.asarray(x, dtype=F32)) + EPS)


def sin(x):
    return _libm(_sin, x)


def cos(x):
    return _libm(_cos, x)


def tan(x):
    return _libm(_tan, x)
