"""The canonical interpreter: plain numpy, one instruction at a time (algorithm.md §2-4, §6).

It is the oracle every fast evaluator must match bit for bit, and the fallback when none is available.
Each program is first "compiled" against a fresh memory: every instruction that a skip rule of §4.2 drops is
removed, and every other one becomes a small closure over views of its registers. Running a phase then calls
those closures in order.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from core import numerics as nx
from core.program import (
    BINARY_ARITH,
    N_OPS,
    NEEDS_ARG2_OPS,
    NO_ARG1_OPS,
    PHASES,
    Op,
    Program,
    address_index,
    register_kind,
)
from core.tasks.base import TaskData

log = logging.getLogger(__name__)

F32 = np.float32
RANK = {"s": 0, "v": 1, "m": 2}
_REDUCE_VECTOR: dict[Op, Callable[[Any], Any]] = {Op.NORM: nx.norm, Op.MEAN: nx.mean, Op.STD: nx.std}
_UNARY: dict[Op, Callable[[Any], Any]] = {
    Op.ABS: np.abs,
    Op.EXP: nx.exp,
    Op.LOG: nx.log,
    Op.SIN: nx.sin,
    Op.COS: nx.cos,
    Op.TAN: nx.tan,
    Op.HEAVISIDE: nx.heaviside,
}
_BINARY: dict[Op, Callable[[Any, Any], Any]] = {Op.ADD: np.add, Op.SUB: np.subtract, Op.MUL: np.multiply,
                                                Op.DIV: nx.div}

Step = Callable[[], None]


@dataclass
class Memory:
    """The three register banks of one evaluation, all float32 zeros at the start (§2.1)."""

    scalars: np.ndarray  # (S,)
    vectors: np.ndarray  # (V, n)
    matrices: np.ndarray  # (M, n, n)

    @staticmethod
    def zeros(program: Program) -> Memory:
        n = program.vector_dim
        # A negative count (possible from DSL meta) holds no register, like a zero count.
        return Memory(
            np.zeros(max(0, program.scalar_count), dtype=F32),
            np.zeros((max(0, program.vector_count), n), dtype=F32),
            np.zeros((max(0, program.matrix_count), n, n), dtype=F32),
        )

    def register(self, addr: int) -> np.ndarray:
        """A writable view of one register: shape (), (n,) or (n, n)."""
        bank = {"s": self.scalars, "v": self.vectors, "m": self.matrices}[register_kind(addr)]
        return bank[address_index(addr), ...]


def _assign(dest: np.ndarray, value) -> None:
    """Store a result of rank ≤ the dest's rank, broadcasting over leading axes (§4.3)."""
    dest[...] = value


def _rank(addr: int) -> int:
    """The rank of the register at `addr`; -1 for no register (the skip rules drop every instruction that
    would use one, so -1 is never compared where it matters)."""
    return RANK[register_kind(addr)] if addr >= 0 else -1


def is_skipped(ins, program: Program) -> bool:
    """The skip rules of §4.2, in order. All are static: they depend only on the program and its shape."""
    op, arg1, arg2, dest = ins.op, ins.arg1, ins.arg2, ins.dest
    if op <= Op.NOOP or op >= N_OPS:
        return True
    if dest < 0:
        return True
    if arg1 < 0 and op not in NO_ARG1_OPS:
        return True
    if arg2 < 0 and op in NEEDS_ARG2_OPS:
        return True
    if not program.in_bounds(dest):
        return True
    if arg1 >= 0 and not program.in_bounds(arg1):
        return True
    if arg2 >= 0 and not program.in_bounds(arg2):
        return True
    return not _kind_rule_holds(ins, program)


def _kind_rule_holds(ins, program: Program) -> bool:
    """Rule 8: the opcode's operand kinds and the assignment of its result's rank to the dest (§4.3)."""
    op = Op(ins.op)
    d = _rank(ins.dest)
    a, b = _rank(ins.arg1), _rank(ins.arg2)
    if op in (Op.CONST, Op.GAUSSIAN, Op.UNIFORM):
        return True
    if op == Op.CONST_VEC:
        return d == 1 and math.isfinite(ins.c1) and 0 <= math.trunc(ins.c1) < program.vector_dim
    if op in BINARY_ARITH:
        return max(a, b) <= d
    if op in _UNARY:
        return a <= d
    if op == Op.DOT:
        return a == 1 and b == 1
    if op == Op.MATMUL:
        return a == 2 and b == 1 and d >= 1
    if op == Op.OUTER:
        return a == 1 and b == 1 and d == 2
    if op in _REDUCE_VECTOR:
        return a == 1
    if op == Op.COPY:
        return d == 0 or a <= d
    raise AssertionError(f"unhandled opcode {op!r}")


_NO_OPERAND = np.zeros((), dtype=F32)


def _operand(mem: Memory, addr: int) -> np.ndarray:
    """The register an operand reads; a dummy for no register, which no executed instruction reads."""
    return mem.register(addr) if addr >= 0 else _NO_OPERAND


def _compile_instruction(ins, mem: Memory, rng: np.random.Generator) -> Step:
    """A closure that executes one non-skipped instruction on its register views."""
    op = Op(ins.op)
    dest = mem.register(ins.dest)
    a, b = _operand(mem, ins.arg1), _operand(mem, ins.arg2)

    if op == Op.CONST:
        value = F32(ins.c1)
        return lambda: _assign(dest, value)
    if op == Op.CONST_VEC:
        return _compile_const_vec(ins, dest)
    if op in (Op.GAUSSIAN, Op.UNIFORM):
        return _compile_random(op, ins, dest, rng)
    if op in BINARY_ARITH:
        binary = _BINARY[op]
        return lambda: _assign(dest, binary(a, b))
    if op in _UNARY:
        unary = _UNARY[op]
        return lambda: _assign(dest, unary(a))
    if op == Op.DOT:
        return lambda: _assign(dest, nx.dot(a, b))
    if op == Op.MATMUL:
        return lambda: _assign(dest, nx.matvec(a, b))
    if op == Op.OUTER:
        return lambda: _assign(dest, np.multiply.outer(a, b))
    if op in _REDUCE_VECTOR:
        reduce = _REDUCE_VECTOR[op]
        return lambda: _assign(dest, reduce(a))
    if op == Op.COPY:
        return _compile_copy(a, dest)
    raise AssertionError(f"unhandled opcode {op!r}")


def _compile_const_vec(ins, dest: np.ndarray) -> Step:
    """vK[trunc(c1)] = c2 (the index was checked by rule 8)."""
    index = math.trunc(ins.c1)
    value = F32(ins.c2)

    def step() -> None:
        dest[index] = value

    return step


def _compile_random(op: Op, ins, dest: np.ndarray, rng: np.random.Generator) -> Step:
    """One float32 draw per dest element, row-major (§4.4, §4.5 rule 5)."""
    c1 = F32(ins.c1)
    if op == Op.GAUSSIAN:
        c2 = F32(ins.c2)
        return lambda: _assign(dest, rng.standard_normal(dest.shape, dtype=F32) * c2 + c1)
    width = F32(float(ins.c2) - float(ins.c1))  # the width is rounded once from binary64
    return lambda: _assign(dest, rng.random(dest.shape, dtype=F32) * width + c1)


def _compile_copy(src: np.ndarray, dest: np.ndarray) -> Step:
    """COPY: a scalar dest takes the source's value or norm; other dests take the source by §4.3."""
    if dest.ndim == 0:
        measure = {0: lambda x: x, 1: nx.norm, 2: nx.frobenius}[src.ndim]
        return lambda: _assign(dest, measure(src))
    return lambda: _assign(dest, src)


def compile_phase(instructions, program: Program, mem: Memory, rng: np.random.Generator) -> list[Step]:
    """The phase's executable steps, skipped instructions dropped."""
    return [_compile_instruction(ins, mem, rng) for ins in instructions if not is_skipped(ins, program)]


def _run_phase(steps: list[Step]) -> None:
    for step in steps:
        step()


def run_task(program: Program, task: TaskData, eval_seed: int, epochs: int = 1) -> np.ndarray | None:
    """Evaluate one program on one task (§6): float32 validation predictions, or None when it fails."""
    warn_if_private_memory_requested()
    if not program.is_evaluable(task.input_dim) or len(task.X_train) == 0 or len(task.X_val) == 0:
        return None
    try:
        with np.errstate(all="ignore"):
            return _evaluate(program, task, eval_seed, epochs)
    except Exception:  # any internal failure scores −inf (§6.1 step 7)
        log.debug("evaluation failed", exc_info=True)
        return None


def _evaluate(program: Program, task: TaskData, eval_seed: int, epochs: int) -> np.ndarray:
    mem = Memory.zeros(program)
    rng = np.random.Generator(np.random.PCG64(eval_seed))
    setup, predict, learn = (compile_phase(program.phase(p), program, mem, rng) for p in PHASES)
    features = mem.vectors[0, : task.input_dim]
    label = mem.scalars[1, ...]
    prediction = mem.scalars[0, ...]

    _run_phase(setup)
    for _ in range(epochs):
        for x, y in zip(task.X_train, task.y_train):
            features[...] = x
            _run_phase(predict)
            label[...] = y
            _run_phase(learn)
            label[...] = 0
    predictions = np.empty(len(task.X_val), dtype=F32)
    for i, x in enumerate(task.X_val):
        features[...] = x
        _run_phase(predict)
        predictions[i] = prediction
    return predictions


_FALSE_WORDS = {"0", "false", "no", "off"}
_private_memory_warned = False


def warn_if_private_memory_requested() -> None:
    """The reference's private-memory mode is not provided: warn once and use shared memory (§6)."""
    global _private_memory_warned
    value = os.environ.get("AUTOML_ZERO_SHARED_MEMORY")
    if _private_memory_warned or value is None or value.strip().lower() not in _FALSE_WORDS:
        return
    _private_memory_warned = True
    log.warning("AUTOML_ZERO_SHARED_MEMORY=%s is not supported: using shared memory across examples", value)
