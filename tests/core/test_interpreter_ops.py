"""Per-opcode semantics of the canonical interpreter (algorithm.md §4, conformance §18.2).

Each test runs one instruction on a memory filled with random values and compares the whole memory with an
expectation built element by element, independently of the interpreter's numpy broadcasting.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from core import interpreter
from core.program import Instruction, Op, Program

F32 = np.float32
EPS = F32(1e-8)
N = 3
PROGRAM = Program(scalar_count=4, vector_count=3, matrix_count=2, vector_dim=N)
# Per kind: (first operand, second operand, dest) registers; a dest may alias an operand of the same kind.
REGS = {"s": (2, 3, 1), "v": (21, 22, 20), "m": (30, 31, 30)}
KINDS = ("s", "v", "m")
RANK = {"s": 0, "v": 1, "m": 2}
SEED = 99


def random_memory(seed: int = 5) -> interpreter.Memory:
    rng = np.random.default_rng(seed)
    mem = interpreter.Memory.zeros(PROGRAM)
    for bank in (mem.scalars, mem.vectors, mem.matrices):
        bank[...] = rng.uniform(-3, 3, bank.shape).astype(F32)
    return mem


def snapshot(mem: interpreter.Memory) -> dict[int, np.ndarray]:
    """Every register by flat address, copied."""
    regs = {a: mem.register(a).copy() for a in range(PROGRAM.scalar_count)}
    regs.update({20 + i: mem.register(20 + i).copy() for i in range(PROGRAM.vector_count)})
    regs.update({30 + i: mem.register(30 + i).copy() for i in range(PROGRAM.matrix_count)})
    return regs


def execute(ins: Instruction, mem: interpreter.Memory, program: Program = PROGRAM, seed: int = SEED):
    rng = np.random.Generator(np.random.PCG64(seed))
    with np.errstate(all="ignore"):
        for step in interpreter.compile_phase([ins], program, mem, rng):
            step()
    return rng


def assert_memory(mem: interpreter.Memory, expected: dict[int, np.ndarray]) -> None:
    for addr, value in expected.items():
        got = mem.register(addr)
        assert got.tobytes() == np.asarray(value, dtype=F32).tobytes(), f"register {addr}: {got} != {value}"


def element(x: np.ndarray, index: tuple[int, ...]) -> np.ndarray:
    """The operand element that promotion (§4.3) pairs with result position `index`: leading axes added."""
    return x[index[len(index) - x.ndim :]] if x.ndim else x[()]


def broadcast_into(dest_shape: tuple[int, ...], result: np.ndarray) -> np.ndarray:
    """The dest after assigning a result of rank ≤ the dest's rank (scalar fills, vector fills rows)."""
    out = np.empty(dest_shape, dtype=F32)
    for index in itertools.product(*(range(s) for s in dest_shape)):
        out[index] = element(result, index)
    return out


def elementwise(fn, operands: list[np.ndarray]) -> np.ndarray:
    rank = max(x.ndim for x in operands)
    out = np.empty((N,) * rank, dtype=F32)
    for index in itertools.product(range(N), repeat=rank):
        out[index] = fn(*(element(x, index) for x in operands))
    return out


def expect_assignment(before, dest: int, result: np.ndarray | None) -> dict[int, np.ndarray]:
    """Memory after writing `result` into `dest` (None or a too-high rank: unchanged)."""
    expected = dict(before)
    if result is not None and np.ndim(result) <= before[dest].ndim:
        expected[dest] = broadcast_into(before[dest].shape, np.asarray(result, dtype=F32))
    return expected


BINARY = {
    Op.ADD: lambda a, b: a + b,
    Op.SUB: lambda a, b: a - b,
    Op.MUL: lambda a, b: a * b,
    Op.DIV: lambda a, b: a / (b + EPS),
}


def libm(fn):
    return lambda x: F32(fn(float(x)))


UNARY = {
    Op.ABS: abs,
    Op.EXP: lambda x: F32(math.exp(min(max(float(x), -10.0), 10.0))),
    Op.LOG: lambda x: F32(math.log(float(abs(x) + EPS))),
    Op.SIN: libm(math.sin),
    Op.COS: libm(math.cos),
    Op.TAN: libm(math.tan),
    Op.HEAVISIDE: lambda x: F32(1.0) if x > 0 else F32(0.0),
}


@pytest.mark.parametrize("op", list(BINARY))
@pytest.mark.parametrize("ka, kb, kd", list(itertools.product(KINDS, repeat=3)))
def test_binary_arithmetic_promotes_and_assigns(op, ka, kb, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, b, d = REGS[ka][0], REGS[kb][1], REGS[kd][2]
    execute(Instruction.make(op, a, b, d), mem)
    result = elementwise(BINARY[op], [before[a], before[b]])
    assert_memory(mem, expect_assignment(before, d, result))


@pytest.mark.parametrize("op", list(UNARY))
@pytest.mark.parametrize("ka, kd", list(itertools.product(KINDS, repeat=2)))
def test_unary_elementwise_on_every_kind(op, ka, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, d = REGS[ka][0], REGS[kd][2]
    execute(Instruction.make(op, a, -1, d), mem)
    result = elementwise(UNARY[op], [before[a]])
    assert_memory(mem, expect_assignment(before, d, result))


@pytest.mark.parametrize("kd", KINDS)
def test_const_fills_any_dest(kd):
    mem = random_memory()
    before = snapshot(mem)
    d = REGS[kd][2]
    execute(Instruction.make(Op.CONST, dest=d, c1=0.1), mem)
    assert_memory(mem, expect_assignment(before, d, np.asarray(F32(0.1))))


@pytest.mark.parametrize(
    "c1, index",
    [(0.0, 0), (2.0, 2), (2.9, 2), (-0.5, 0), (-1.0, None), (3.0, None), (1e9, None), (float("nan"), None)],
)
def test_const_vec_writes_one_element_at_the_truncated_index(c1, index):
    mem = random_memory()
    before = snapshot(mem)
    execute(Instruction(Op.CONST_VEC, -1, -1, 21, float(F32(c1)), float(F32(7.5))), mem)
    expected = dict(before)
    if index is not None:
        expected[21] = before[21].copy()
        expected[21][index] = F32(7.5)
    assert_memory(mem, expected)


@pytest.mark.parametrize("kd", ["s", "m"])
def test_const_vec_needs_a_vector_dest(kd):
    mem = random_memory()
    before = snapshot(mem)
    execute(Instruction.make(Op.CONST_VEC, dest=REGS[kd][2], c1=0.0, c2=7.5), mem)
    assert_memory(mem, before)


@pytest.mark.parametrize("kd", KINDS)
def test_gaussian_draws_one_float32_per_dest_element_row_major(kd):
    mem = random_memory()
    d = REGS[kd][2]
    shape = mem.register(d).shape
    rng = execute(Instruction.make(Op.GAUSSIAN, dest=d, c1=0.5, c2=-2.0), mem)
    reference = np.random.Generator(np.random.PCG64(SEED))
    z = np.array([reference.standard_normal(dtype=F32) for _ in range(max(1, int(np.prod(shape))))], dtype=F32)
    assert_memory(mem, {d: (z * F32(-2.0) + F32(0.5)).reshape(shape)})
    assert rng.bit_generator.state == reference.bit_generator.state


@pytest.mark.parametrize("kd", KINDS)
def test_uniform_scales_by_a_width_rounded_from_binary64(kd):
    mem = random_memory()
    d = REGS[kd][2]
    shape = mem.register(d).shape
    c1, c2 = F32(1.1), F32(-0.3)  # reversed bounds are allowed
    rng = execute(Instruction(Op.UNIFORM, -1, -1, d, float(c1), float(c2)), mem)
    reference = np.random.Generator(np.random.PCG64(SEED))
    u = np.array([reference.random(dtype=F32) for _ in range(max(1, int(np.prod(shape))))], dtype=F32)
    width = F32(float(c2) - float(c1))
    assert_memory(mem, {d: (u * width + c1).reshape(shape)})
    assert rng.bit_generator.state == reference.bit_generator.state


@pytest.mark.parametrize("ka, kb, kd", list(itertools.product(KINDS, repeat=3)))
def test_dot_needs_two_vectors_and_fills_any_dest(ka, kb, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, b, d = REGS[ka][0], REGS[kb][1], REGS[kd][2]
    execute(Instruction.make(Op.DOT, a, b, d), mem)
    vectors = ka == kb == "v"
    result = np.einsum("i,i->", before[a], before[b]) if vectors else None
    assert_memory(mem, expect_assignment(before, d, result))


@pytest.mark.parametrize("ka, kb, kd", list(itertools.product(KINDS, repeat=3)))
def test_matmul_needs_matrix_and_vector(ka, kb, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, b, d = REGS[ka][0], REGS[kb][1], REGS[kd][2]
    execute(Instruction.make(Op.MATMUL, a, b, d), mem)
    ok = ka == "m" and kb == "v"
    result = np.add.reduce(before[a] * before[b], axis=-1) if ok else None
    assert_memory(mem, expect_assignment(before, d, result))


@pytest.mark.parametrize("ka, kb, kd", list(itertools.product(KINDS, repeat=3)))
def test_outer_needs_vectors_and_a_matrix_dest(ka, kb, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, b, d = REGS[ka][0], REGS[kb][1], REGS[kd][2]
    execute(Instruction.make(Op.OUTER, a, b, d), mem)
    ok = ka == kb == "v"
    result = np.array([[x * y for y in before[b]] for x in before[a]], dtype=F32) if ok else None
    assert_memory(mem, expect_assignment(before, d, result))


VECTOR_STATS = {
    Op.NORM: lambda x: np.sqrt(np.add.reduce(x * x)),
    Op.MEAN: np.mean,
    Op.STD: np.std,
}


@pytest.mark.parametrize("op", list(VECTOR_STATS))
@pytest.mark.parametrize("ka, kd", list(itertools.product(KINDS, repeat=2)))
def test_vector_statistics_need_a_vector(op, ka, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, d = REGS[ka][0], REGS[kd][2]
    execute(Instruction.make(op, a, -1, d), mem)
    result = VECTOR_STATS[op](before[a]) if ka == "v" else None
    assert_memory(mem, expect_assignment(before, d, result))


@pytest.mark.parametrize("ka, kd", list(itertools.product(KINDS, repeat=2)))
def test_copy(ka, kd):
    mem = random_memory()
    before = snapshot(mem)
    a, d = REGS[ka][0], REGS[kd][2]
    execute(Instruction.make(Op.COPY, a, -1, d), mem)
    src = before[a]
    if kd == "s":  # a scalar dest takes the value, the L2 norm or the Frobenius norm
        result = np.sqrt(np.add.reduce((src * src).reshape(-1))) if src.ndim else src
    else:
        result = src
    assert_memory(mem, expect_assignment(before, d, result))


@pytest.mark.parametrize(
    "ins, reads",
    [
        (Instruction.make(Op.ADD, 21, 21, 21), lambda m: m[21] + m[21]),
        (Instruction.make(Op.MATMUL, 30, 21, 21), lambda m: np.add.reduce(m[30] * m[21], axis=-1)),
        (Instruction.make(Op.SUB, 30, 21, 30), lambda m: m[30] - m[21]),
        (Instruction.make(Op.MUL, 2, 2, 2), lambda m: m[2] * m[2]),
    ],
)
def test_operands_are_read_before_the_write(ins, reads):
    mem = random_memory()
    before = snapshot(mem)
    execute(ins, mem)
    assert_memory(mem, {ins.dest: reads(before)})


def test_promotion_examples_of_the_spec():
    mem = random_memory()
    before = snapshot(mem)
    for ins in (
        Instruction.make(Op.ADD, 21, 2, 3),  # s3 = v1 + s2: skipped
        Instruction.make(Op.MUL, 2, 3, 21),  # v1 = s2 * s3: fills v1
        Instruction.make(Op.ADD, 21, 0, 30),  # m0 = v1 + s0: every row
        Instruction.make(Op.DIV, 30, 31, 22),  # v2 = m0 / m1: skipped
    ):
        execute(ins, mem)
    v1 = np.full(N, before[2] * before[3], dtype=F32)
    assert_memory(mem, {3: before[3], 21: v1, 30: np.tile(v1 + before[0], (N, 1)), 22: before[22]})


# --- skip rules (§4.2), each alone; a skipped GAUSSIAN must not consume a draw either ---

SKIPPED = {
    "noop": Instruction(Op.NOOP, 2, 3, 1),
    "opcode above 22": Instruction(23, 2, 3, 1),
    "negative opcode": Instruction(-1, 2, 3, 1),
    "dest none": Instruction(Op.GAUSSIAN, -1, -1, -1, 0.0, 1.0),
    "arg1 none": Instruction(Op.ABS, -1, -1, 1),
    "arg2 none for a binary op": Instruction(Op.ADD, 2, -1, 1),
    "arg2 none for dot": Instruction(Op.DOT, 21, -1, 1),
    "dest scalar out of bounds": Instruction(Op.GAUSSIAN, -1, -1, 4, 0.0, 1.0),
    "dest vector out of bounds": Instruction(Op.GAUSSIAN, -1, -1, 23, 0.0, 1.0),
    "dest matrix out of bounds": Instruction(Op.GAUSSIAN, -1, -1, 32, 0.0, 1.0),
    "arg1 out of bounds though unused": Instruction(Op.GAUSSIAN, 5, -1, 1, 0.0, 1.0),
    "arg2 out of bounds though unused": Instruction(Op.GAUSSIAN, -1, 25, 1, 0.0, 1.0),
    "arg2 out of bounds for abs": Instruction(Op.ABS, 2, 12, 1),
    "alias s25 = v5 out of bounds": Instruction(Op.COPY, 25, -1, 1),
}


@pytest.mark.parametrize("name", list(SKIPPED))
def test_skip_rules_leave_memory_and_generator_untouched(name):
    ins = SKIPPED[name]
    assert interpreter.is_skipped(ins, PROGRAM)
    mem = random_memory()
    before = snapshot(mem)
    rng = execute(ins, mem)
    assert_memory(mem, before)
    assert rng.bit_generator.state == np.random.Generator(np.random.PCG64(SEED)).bit_generator.state


@pytest.mark.parametrize(
    "ins",
    [
        Instruction(Op.CONST, -1, -1, 1, 2.0, 0.0),  # arg1 none is fine for CONST
        Instruction(Op.ABS, 2, 3, 1),  # an in-bounds unused arg2 is ignored
        Instruction(Op.ABS, 2, -1, 1),  # arg2 none is fine for a unary op
        Instruction(Op.NORM, 21, -1, 31),  # a scalar result broadcasts into a matrix
        Instruction(Op.COPY, 2, -1, 22),  # s2 into v2 fills it
    ],
)
def test_instructions_that_execute(ins):
    assert not interpreter.is_skipped(ins, PROGRAM)


def test_matrix_registers_need_a_matrix_bank():
    program = Program(scalar_count=4, vector_count=3, matrix_count=0, vector_dim=N)
    assert interpreter.is_skipped(Instruction(Op.CONST, -1, -1, 30, 1.0, 0.0), program)
    assert interpreter.is_skipped(Instruction(Op.COPY, 30, -1, 1), program)
