"""The compiled evaluator: bit-identical to the canonical interpreter, many times faster (algorithm.md §17).

A program is compiled once (and cached by its content) into a table the C kernel `core._fastexec` runs:
- statically skipped instructions (§4.2, the interpreter's own `is_skipped`) are dropped;
- each register the program touches gets a fixed offset in one flat float32 memory;
- each instruction becomes one row `(op, a, b, d, rank_a, rank_b, rank_result, rank_dest, out)`, where `out`
  is where the result is computed (the dest itself, or a scratch area when the result must be broadcast
  into a larger dest or would overwrite an operand it still reads);
- COPY becomes an assignment or a norm, CONST_VEC a one-element CONST.
Each task then runs in C, one after another, with its own numpy PCG64 generator.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.interpreter import is_skipped, warn_if_private_memory_requested
from core.program import BINARY_ARITH, NEEDS_ARG2_OPS, NO_ARG1_OPS, PHASES, Instruction, Op, Program, address_kind
from core.tasks.base import TaskData

try:
    from core import _fastexec
except ImportError:  # not built: `auto` falls back to the canonical interpreter
    _fastexec = None

# Internal opcodes the kernel knows besides the public ones (see _fastexec.c).
OP_FROBENIUS = 23
OP_ASSIGN = 24
RANK = {"s": 0, "v": 1, "m": 2}
UNARY_OPS = frozenset({Op.ABS, Op.EXP, Op.LOG, Op.SIN, Op.COS, Op.TAN, Op.HEAVISIDE})
SCALAR_RESULT_OPS = frozenset({Op.DOT, Op.NORM, Op.MEAN, Op.STD})
MAX_MEMORY_FLOATS = 1 << 30  # far above verify's limit; keeps the kernel's offsets within int32
CACHE_SIZE = 1024


def available() -> bool:
    """True when the C extension is built and importable."""
    return _fastexec is not None


@dataclass(frozen=True)
class CompiledProgram:
    code: np.ndarray  # (k, 9) int32 rows, phases concatenated
    consts: np.ndarray  # (k, 2) float32: c1, c2 (UNIFORM: c1, rounded width)
    phase_sizes: tuple[int, int, int]
    vector_dim: int
    memory_floats: int  # registers plus a scratch area of vector_dim floats
    scratch_floats: int  # reduction products: vector_dim, or vector_dim² when a matrix norm is taken
    s0: int
    s1: int
    v0: int


class _Layout:
    """Offsets of the registers a program touches, packed in address order; the scratch area follows."""

    def __init__(self, addresses: set[int], n: int):
        self.n = n
        self.offsets: dict[int, int] = {}
        top = 0
        for addr in sorted(addresses):
            self.offsets[addr] = top
            top += self.size(addr)
        self.scratch = top
        self.total = top + n

    def size(self, addr: int) -> int:
        return self.n ** RANK[address_kind(addr)]


def _operands(ins: Instruction) -> list[int]:
    """Addresses an executed instruction reads or writes."""
    used = [ins.dest]
    if ins.op not in NO_ARG1_OPS:
        used.append(ins.arg1)
    if ins.op in NEEDS_ARG2_OPS:
        used.append(ins.arg2)
    return used


def _rank(addr: int) -> int:
    return RANK[address_kind(addr)]


def _result(ins: Instruction) -> tuple[int, int, int]:
    """(kernel op, result rank, arg1 rank) of an executed instruction, before choosing where it goes."""
    op = Op(ins.op)
    ra = _rank(ins.arg1) if op not in NO_ARG1_OPS else 0
    if op in BINARY_ARITH:
        return op, max(ra, _rank(ins.arg2)), ra
    if op in UNARY_OPS:
        return op, ra, ra
    if op in SCALAR_RESULT_OPS:
        return op, 0, ra
    if op == Op.MATMUL:
        return op, 1, ra
    if op == Op.OUTER:
        return op, 2, ra
    if op == Op.COPY:
        if _rank(ins.dest) > 0 or ra == 0:
            return OP_ASSIGN, ra, ra
        return (Op.NORM if ra == 1 else OP_FROBENIUS), 0, ra
    return op, _rank(ins.dest), ra  # CONST, GAUSSIAN, UNIFORM fill their dest


def _row(ins: Instruction, layout: _Layout) -> tuple[list[int], list[float]]:
    """One kernel row and its two constants."""
    at = layout.offsets
    if ins.op == Op.CONST_VEC:  # one element of a vector (the index was checked by the skip rules)
        return [Op.CONST, 0, 0, at[ins.dest] + math.trunc(ins.c1), 0, 0, 0, 0, 0], [ins.c2, 0.0]
    op, rr, ra = _result(ins)
    rd = _rank(ins.dest)
    a = at[ins.arg1] if ins.op not in NO_ARG1_OPS else 0
    b, rb = (at[ins.arg2], _rank(ins.arg2)) if ins.op in NEEDS_ARG2_OPS else (0, 0)
    d = at[ins.dest]
    if op == OP_ASSIGN:
        out = a
    elif rr < rd or (op == Op.MATMUL and ins.dest == ins.arg2):
        out = layout.scratch
    else:
        out = d
    consts = [ins.c1, ins.c2]
    if op == Op.UNIFORM:
        consts[1] = float(np.float32(float(ins.c2) - float(ins.c1)))  # the width, rounded once from binary64
    return [int(op), a, b, d, ra, rb, rr, rd, out], consts


def _compile(program: Program) -> CompiledProgram:
    phases = [[ins for ins in program.phase(p) if not is_skipped(ins, program)] for p in PHASES]
    n = program.vector_dim
    addresses = {0, 1, 20}  # s0, s1, v0 always exist in an evaluable program
    for ins in (ins for phase in phases for ins in phase):
        addresses.update(_operands(ins))
    layout = _Layout(addresses, n)
    if layout.total > MAX_MEMORY_FLOATS:
        raise ValueError(f"program memory of {layout.total} floats is too large to evaluate")
    rows, consts = [], []
    for ins in (ins for phase in phases for ins in phase):
        row, c = _row(ins, layout)
        rows.append(row)
        consts.append(c)
    takes_matrix_norm = any(row[0] == OP_FROBENIUS for row in rows)
    return CompiledProgram(
        code=np.array(rows, dtype=np.int32).reshape(-1, 9),
        consts=np.array(consts, dtype=np.float32).reshape(-1, 2),
        phase_sizes=tuple(len(phase) for phase in phases),
        vector_dim=n,
        memory_floats=layout.total,
        scratch_floats=n * n if takes_matrix_norm else n,
        s0=layout.offsets[0],
        s1=layout.offsets[1],
        v0=layout.offsets[20],
    )


_cache: OrderedDict[tuple, CompiledProgram] = OrderedDict()


def _cache_key(program: Program) -> tuple:
    shape = (program.scalar_count, program.vector_count, program.matrix_count, program.vector_dim)
    return shape + tuple(tuple(program.phase(p)) for p in PHASES)


def compile_program(program: Program) -> CompiledProgram:
    """The compiled form of a program of evaluable shape, from an LRU cache keyed by its content."""
    key = _cache_key(program)
    compiled = _cache.get(key)
    if compiled is None:
        compiled = _compile(program)
        _cache[key] = compiled
        if len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    else:
        _cache.move_to_end(key)
    return compiled


def _checked_arrays(task: TaskData) -> tuple[np.ndarray, ...]:
    """The task's arrays as C-contiguous float32, with consistent shapes."""
    x_tr, y_tr, x_va, y_va = (np.ascontiguousarray(a, dtype=np.float32) for a in (task.X_train, task.y_train, task.X_val, task.y_val))
    if x_tr.ndim != 2 or x_va.ndim != 2 or x_va.shape[1] != x_tr.shape[1] or y_tr.shape != x_tr.shape[:1] or y_va.shape != x_va.shape[:1]:
        raise ValueError("task arrays have inconsistent shapes")
    return x_tr, y_tr, x_va, y_va


def _run_one(compiled: CompiledProgram, task: TaskData, eval_seed: int, epochs: int, memory: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    x_tr, y_tr, x_va, y_va = _checked_arrays(task)
    preds = np.empty(len(y_va), dtype=np.float32)
    bit_generator = np.random.PCG64(eval_seed)
    _fastexec.run_task(
        compiled.code, compiled.consts, *compiled.phase_sizes, memory, scratch, compiled.vector_dim,
        compiled.s0, compiled.s1, compiled.v0, task.input_dim, x_tr, y_tr, x_va, y_va, epochs,
        bit_generator.capsule, preds,
    )  # fmt: skip
    return preds


def run_tasks(program: Program, tasks: Sequence[TaskData], eval_seeds: Sequence[int], epochs: int = 1) -> list[np.ndarray | None]:
    """Validation predictions per task, exactly as `core.interpreter.run_task` gives them (None = failed)."""
    if not available():
        raise RuntimeError("the compiled evaluator core._fastexec is not built")
    if len(tasks) != len(eval_seeds):
        raise ValueError("run_tasks needs one eval seed per task")
    if epochs < 0:
        raise ValueError("epochs must be >= 0")
    warn_if_private_memory_requested()
    results: list[np.ndarray | None] = [None] * len(tasks)
    runnable = [i for i, t in enumerate(tasks) if program.is_evaluable(t.input_dim) and len(t.X_train) and len(t.X_val)]
    if not runnable:
        return results
    compiled = compile_program(program)
    memory = np.empty(compiled.memory_floats, dtype=np.float32)
    scratch = np.empty(compiled.scratch_floats, dtype=np.float32)
    for i in runnable:
        results[i] = _run_one(compiled, tasks[i], int(eval_seeds[i]), int(epochs), memory, scratch)
    return results
