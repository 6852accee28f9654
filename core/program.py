"""The program model: flat register addresses, opcodes with their slot kinds, instructions and programs.

Normative source: algorithm.md §2-4. Addresses are flat: s0..s19 = 0..19, v0..v9 = 20..29, m0.. = 30..
"""

from __future__ import annotations

import copy
import functools
import struct
from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

import numpy as np

NONE = -1
VECTOR_BASE = 20
MATRIX_BASE = 30
DEFAULT_SCALARS, DEFAULT_VECTORS, DEFAULT_MATRICES = 20, 10, 5
PHASES = ("setup", "predict", "learn")


class Op(IntEnum):
    NOOP = 0
    CONST = 1
    CONST_VEC = 2
    ADD = 3
    SUB = 4
    MUL = 5
    DIV = 6
    ABS = 7
    EXP = 8
    LOG = 9
    SIN = 10
    COS = 11
    TAN = 12
    HEAVISIDE = 13
    GAUSSIAN = 14
    UNIFORM = 15
    DOT = 16
    MATMUL = 17
    OUTER = 18
    NORM = 19
    MEAN = 20
    STD = 21
    COPY = 22


N_OPS = 23

# Slot kinds (arg1, arg2, dest) per opcode, algorithm.md §4.1: "s", "v", "m", or None (unused).
_S, _V, _M = "s", "v", "m"
OP_KINDS: dict[Op, tuple[str | None, str | None, str | None]] = {
    Op.NOOP: (None, None, None),
    Op.CONST: (None, None, _S),
    Op.CONST_VEC: (None, None, _V),
    Op.ADD: (_S, _S, _S),
    Op.SUB: (_S, _S, _S),
    Op.MUL: (_S, _S, _S),
    Op.DIV: (_S, _S, _S),
    Op.ABS: (_S, None, _S),
    Op.EXP: (_S, None, _S),
    Op.LOG: (_S, None, _S),
    Op.SIN: (_S, None, _S),
    Op.COS: (_S, None, _S),
    Op.TAN: (_S, None, _S),
    Op.HEAVISIDE: (_S, None, _S),
    Op.GAUSSIAN: (None, None, _S),
    Op.UNIFORM: (None, None, _S),
    Op.DOT: (_V, _V, _S),
    Op.MATMUL: (_M, _V, _V),
    Op.OUTER: (_V, _V, _M),
    Op.NORM: (_V, None, _S),
    Op.MEAN: (_V, None, _S),
    Op.STD: (_V, None, _S),
    Op.COPY: (_S, None, _S),
}

BINARY_ARITH = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.DIV})
RANDOM_OPS = frozenset({Op.GAUSSIAN, Op.UNIFORM})
TRANSCENDENTAL_OPS = frozenset({Op.EXP, Op.LOG, Op.SIN, Op.COS, Op.TAN})
# Ops whose arg1 may be negative without skipping (§4.2 rule 3).
NO_ARG1_OPS = frozenset({Op.CONST, Op.CONST_VEC, Op.GAUSSIAN, Op.UNIFORM})
# Ops that skip when arg2 is negative (§4.2 rule 4).
NEEDS_ARG2_OPS = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.DIV, Op.DOT, Op.MATMUL, Op.OUTER})


def address_kind(addr: int) -> str | None:
    """Bank of a flat address: "s", "v", "m", or None for a negative address."""
    if addr < 0:
        return None
    if addr < VECTOR_BASE:
        return _S
    if addr < MATRIX_BASE:
        return _V
    return _M


def register_kind(addr: int) -> str:
    """Bank of a register address; ValueError for a negative address (no register)."""
    kind = address_kind(addr)
    if kind is None:
        raise ValueError(f"no register at address {addr}")
    return kind


def address_index(addr: int) -> int:
    """Index of a flat address inside its bank."""
    kind = address_kind(addr)
    if kind == _S:
        return addr
    if kind == _V:
        return addr - VECTOR_BASE
    if kind == _M:
        return addr - MATRIX_BASE
    return -1


def make_address(kind: str, index: int) -> int:
    """Flat address of register `kind` + `index` (no range check; aliasing is part of the format)."""
    return {"s": 0, "v": VECTOR_BASE, "m": MATRIX_BASE}[kind] + index


_BINARY32 = struct.Struct("f")


def float32(value: float) -> float:
    """`float(np.float32(value))` for a Python float, a few times faster (the same C cast to binary32)."""
    try:
        return _BINARY32.unpack(_BINARY32.pack(value))[0]
    except OverflowError:  # finite beyond float32's range: numpy rounds it to an infinity
        return float(np.float32(value))


def address_name(addr: int) -> str:
    """Printed form of an address: s<i>, v<i>, m<i>, or `none`."""
    kind = address_kind(addr)
    return "none" if kind is None else f"{kind}{address_index(addr)}"


class Instruction(NamedTuple):
    """One instruction `(op, arg1, arg2, dest, c1, c2)`; constants are float32 values held as Python floats."""

    op: int
    arg1: int = NONE
    arg2: int = NONE
    dest: int = NONE
    c1: float = 0.0
    c2: float = 0.0

    @staticmethod
    def make(op: int, arg1: int = NONE, arg2: int = NONE, dest: int = NONE, c1: float = 0.0, c2: float = 0.0) -> Instruction:
        """Build an instruction with constants rounded to float32."""
        return Instruction(int(op), int(arg1), int(arg2), int(dest), float(np.float32(c1)), float(np.float32(c2)))


# An Instruction from its six fields exactly as given (no conversion, no rounding), without a Python frame;
# for hot paths whose fields are already ints and float32 values.
new_instruction = functools.partial(tuple.__new__, Instruction)


@dataclass
class Program:
    """A three-phase program plus its memory shape (algorithm.md §3)."""

    scalar_count: int = DEFAULT_SCALARS
    vector_count: int = DEFAULT_VECTORS
    matrix_count: int = DEFAULT_MATRICES
    vector_dim: int = 16
    setup_max_ops: int = 64
    predict_max_ops: int = 64
    learn_max_ops: int = 64
    setup: list[Instruction] = field(default_factory=list)
    predict: list[Instruction] = field(default_factory=list)
    learn: list[Instruction] = field(default_factory=list)

    def phase(self, name: str) -> list[Instruction]:
        return getattr(self, name)

    def capacity(self, name: str) -> int:
        return getattr(self, f"{name}_max_ops")

    def copy(self) -> Program:
        return copy.deepcopy(self)

    def instruction_count(self) -> int:
        return len(self.setup) + len(self.predict) + len(self.learn)

    def is_evaluable(self, input_dim: int) -> bool:
        """Shape rule of §2.4: otherwise every evaluation fails (−inf)."""
        return self.scalar_count >= 2 and self.vector_count >= 1 and self.vector_dim >= input_dim

    def bank_count(self, kind: str) -> int:
        return {"s": self.scalar_count, "v": self.vector_count, "m": self.matrix_count}[kind]

    def in_bounds(self, addr: int) -> bool:
        """True when a non-negative address names an existing register (§4.2 rules 5-7)."""
        kind = address_kind(addr)
        return kind is not None and address_index(addr) < self.bank_count(kind)


def empty_program(
    input_dim: int,
    *,
    scalar_count: int = DEFAULT_SCALARS,
    vector_count: int = DEFAULT_VECTORS,
    matrix_count: int = DEFAULT_MATRICES,
    vector_dim: int | None = None,
    setup_max_ops: int = 64,
    predict_max_ops: int = 64,
    learn_max_ops: int = 64,
) -> Program:
    """A new program with empty phases (engines use vector_dim = input_dim unless configured)."""
    return Program(
        scalar_count=scalar_count,
        vector_count=vector_count,
        matrix_count=matrix_count,
        vector_dim=input_dim if vector_dim is None else vector_dim,
        setup_max_ops=setup_max_ops,
        predict_max_ops=predict_max_ops,
        learn_max_ops=learn_max_ops,
    )
