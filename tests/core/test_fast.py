"""The compiled evaluator (core.fast) against the canonical interpreter, bit for bit (algorithm.md §17, §18.3)."""

from __future__ import annotations

import numpy as np
import pytest

from core import fast, interpreter
from core.program import N_OPS, OP_KINDS, PHASES, Instruction, Op, Program
from core.tasks.base import BINARY, REGRESSION, TaskData

pytestmark = pytest.mark.skipif(not fast.available(), reason="core._fastexec is not built")

FAMILIES = ("cifar10_binary", "mnist_binary", "scalar_linear")
make = Instruction.make


def fixture_task(family: str, input_dim: int, seed: int, n_train: int = 20, n_val: int = 20) -> TaskData:
    """A tiny generated task shaped like one of the three task families."""
    g = np.random.default_rng(seed)
    n = n_train + n_val
    if family == "scalar_linear":
        x = g.standard_normal((n, input_dim))
        y = x @ g.standard_normal(input_dim)
        kind = REGRESSION
    else:
        x = g.standard_normal((n, input_dim)) if family == "cifar10_binary" else g.random((n, input_dim)) * 3 - 0.5
        y = g.integers(0, 2, n).astype(np.float64)
        kind = BINARY
    return TaskData.from_arrays(x[:n_train], y[:n_train], x[n_train:], y[n_train:], kind)


def _register(g: np.random.Generator, kind: str | None) -> int:
    """Usually a register of the slot's kind; sometimes any bank, none, an alias (s25 is v5) or out of bounds."""
    roll = g.random()
    if roll < 0.04:
        return -1
    if roll < 0.1:
        return int(g.integers(0, 45))
    if kind is None or roll < 0.3:
        kind = str(g.choice(["s", "v", "m"]))
    low, high = {"s": (0, 8), "v": (20, 25), "m": (30, 33)}[kind]
    return int(g.integers(low, high))


def _constant(g: np.random.Generator) -> float:
    roll = g.random()
    if roll < 0.15:
        return float(g.integers(-2, 8))  # CONST_VEC indexes in and out of range
    if roll < 0.3:
        return float(g.choice([1e30, -1e30, 3e38, 0.0, -0.0]))  # overflow, inf - inf, NaN
    return float(g.standard_normal() * g.choice([0.01, 1.0, 10.0]))


def _instruction(g: np.random.Generator) -> Instruction:
    op = int(g.integers(0, N_OPS + 1))  # N_OPS itself is an unknown opcode
    if g.random() < 0.1:
        op = int(g.choice([Op.GAUSSIAN, Op.UNIFORM]))
    kinds = OP_KINDS[Op(op)] if op in OP_KINDS else (None, None, None)
    dest = 0 if g.random() < 0.1 else _register(g, kinds[2])
    return make(op, _register(g, kinds[0]), _register(g, kinds[1]), dest, _constant(g), _constant(g))


def random_program(g: np.random.Generator, input_dim: int) -> Program:
    """Random opcodes, registers and constants with varied counts, vector_dim and phase sizes."""
    program = Program(
        scalar_count=int(g.integers(2, 21)) if g.random() > 0.03 else 1,
        vector_count=int(g.integers(1, 11)) if g.random() > 0.03 else 0,
        matrix_count=int(g.integers(0, 6)) if g.random() > 0.05 else -1,
        vector_dim=input_dim + int(g.integers(0, 4)) if g.random() > 0.03 else input_dim - 1,
    )
    for phase, most in zip(PHASES, (6, 10, 12)):
        program.phase(phase).extend(_instruction(g) for _ in range(int(g.integers(0, most + 1))))
    return program


def assert_same_bits(fast_preds, canonical_preds, context) -> None:
    if canonical_preds is None or fast_preds is None:
        assert fast_preds is None and canonical_preds is None, context
        return
    assert fast_preds.dtype == np.float32 and fast_preds.shape == canonical_preds.shape, context
    mismatch = np.flatnonzero(fast_preds.view(np.uint32) != canonical_preds.view(np.uint32))
    assert mismatch.size == 0, f"{context}: first mismatch at {mismatch[:1]}: {fast_preds[mismatch[:3]]} vs {canonical_preds[mismatch[:3]]}"


def check_against_canonical(program: Program, tasks: list[TaskData], seeds: list[int], epochs: int = 1) -> list:
    fast_preds = fast.run_tasks(program, tasks, seeds, epochs)
    for task, seed, got in zip(tasks, seeds, fast_preds):
        assert_same_bits(got, interpreter.run_task(program, task, seed, epochs), program)
    return fast_preds


@pytest.mark.parametrize("block", range(4))
def test_random_programs_match_canonical_bit_for_bit(block):
    """1000 random programs (250 per block), each on a task of the next family in turn."""
    g = np.random.default_rng(9000 + block)
    informative = 0
    for k in range(250):
        input_dim = int(g.integers(1, 6))
        family = FAMILIES[k % 3]
        task = fixture_task(family, input_dim, seed=int(g.integers(1 << 30)))
        program = random_program(g, input_dim)
        epochs = 2 if k % 25 == 0 else 1
        (preds,) = check_against_canonical(program, [task], [int(g.integers(1, 2**31 - 1))], epochs)
        informative += preds is not None and bool(preds.any())
    assert informative > 50  # enough programs write varying predictions for the comparison to mean something


# s2 = inf, s3 = -NaN (inf - inf, x86's default NaN), s4 = +NaN (its abs); v1 = -NaN, v2 = +NaN
NAN_SETUP = [make(Op.CONST, dest=2, c1=3e38), make(Op.MUL, 2, 2, 2), make(Op.SUB, 2, 2, 3), make(Op.ABS, 3, dest=4),
             make(Op.COPY, 3, dest=21), make(Op.ABS, 21, dest=22)]
NAN_CASES = {
    "plus_first_minus": [make(Op.ADD, 4, 3, 0)], "minus_first_plus": [make(Op.ADD, 3, 4, 0)],
    "mul_mixed": [make(Op.MUL, 4, 3, 0)], "div_mixed": [make(Op.DIV, 3, 4, 0)],
    "sub_vectors": [make(Op.SUB, 22, 21, 23), make(Op.MEAN, 23, dest=0)],
    "vector_sum": [make(Op.ADD, 21, 22, 23), make(Op.DOT, 23, 20, 0)],
    "outer_norm": [make(Op.OUTER, 21, 22, 30), make(Op.COPY, 30, dest=0)],
    "sin_inf": [make(Op.SIN, 2, dest=0)], "tan_nan": [make(Op.TAN, 3, dest=0)], "exp_nan": [make(Op.EXP, 3, dest=0)],
    "log_nan": [make(Op.LOG, 3, dest=0)], "std_nan": [make(Op.STD, 21, dest=0)], "heaviside_nan": [make(Op.HEAVISIDE, 3, dest=0)],
    "matmul_nan": [make(Op.OUTER, 21, 20, 30), make(Op.MATMUL, 30, 22, 23), make(Op.NORM, 23, dest=0)],
    # short-vector forms (vector_dim <= 8): scalar and vector operands, in place
    "scalar_times_vector": [make(Op.MUL, 4, 21, 23), make(Op.MEAN, 23, dest=0)],
    "vector_times_scalar": [make(Op.MUL, 21, 4, 23), make(Op.MEAN, 23, dest=0)],
    "vector_plus_in_place": [make(Op.ADD, 22, 21, 22), make(Op.MEAN, 22, dest=0)],
    "scalar_plus_vector": [make(Op.ADD, 3, 22, 23), make(Op.SUB, 23, 4, 23), make(Op.DIV, 23, 3, 23), make(Op.MEAN, 23, dest=0)],
}


def test_nan_signs_match_canonical():
    task = fixture_task("cifar10_binary", 4, seed=3, n_train=2, n_val=3)
    signs = set()
    for predict in NAN_CASES.values():
        (preds,) = check_against_canonical(_program(4, setup=NAN_SETUP, predict=predict), [task], [1])
        signs.update(int(b) >> 31 for b, isnan in zip(preds.view(np.uint32), np.isnan(preds)) if isnan)
    assert signs == {0, 1}  # both NaN signs reached the predictions


def test_suite_of_tasks_in_one_call_matches_task_by_task():
    g = np.random.default_rng(5)
    tasks = [fixture_task(family, 4, seed=s) for s, family in enumerate(FAMILIES * 2)]
    seeds = [11, 12, 13, 14, 15, 16]
    for _ in range(20):
        check_against_canonical(random_program(g, 4), tasks, seeds)


def test_random_streams_equal_numpy_generator():
    for seed in (1, 328751510, 2**31 - 2, 2**70 + 3):
        for gaussian in (True, False):
            out = np.empty(2001, dtype=np.float32)  # odd count: PCG64 hands out 32-bit halves
            fast._fastexec.draw(np.array(fast.seed_state(seed), dtype=np.uint64), gaussian, out)
            g = np.random.Generator(np.random.PCG64(seed))
            draw = g.standard_normal if gaussian else g.random
            expected = np.array([draw(dtype=np.float32) for _ in range(out.size)], dtype=np.float32)
            assert np.array_equal(out.view(np.uint32), expected.view(np.uint32))


def _program(n: int, setup=(), predict=(), learn=(), **counts) -> Program:
    return Program(vector_dim=n, setup=list(setup), predict=list(predict), learn=list(learn), **counts)


WIDE_DIM_CASES = {
    # reductions over more than 128 elements take numpy's recursive pairwise split
    "frobenius_of_outer": [make(Op.OUTER, 20, 20, 30), make(Op.COPY, 30, dest=0), make(Op.MEAN, 20, dest=3), make(Op.ADD, 0, 3, 0)],
    "matmul_in_place": [make(Op.GAUSSIAN, dest=30, c1=0.0, c2=0.3), make(Op.MATMUL, 30, 20, 20), make(Op.NORM, 20, dest=0)],
    "std_and_dot": [make(Op.STD, 20, dest=2), make(Op.DOT, 20, 20, 3), make(Op.DIV, 3, 2, 0)],
    "matmul_of_nans": [make(Op.CONST, dest=2, c1=3e38), make(Op.MUL, 2, 2, 2), make(Op.SUB, 2, 2, 3), make(Op.MUL, 31, 3, 32),
                       make(Op.MUL, 20, 3, 21), make(Op.ABS, 21, dest=21), make(Op.MATMUL, 32, 21, 22), make(Op.COPY, 22, dest=0)],
    "matrix_broadcasts": [make(Op.MATMUL, 31, 20, 32), make(Op.ADD, 20, 32, 31), make(Op.UNIFORM, dest=21, c1=2.0, c2=-1.0),
                          make(Op.MUL, 31, 21, 31), make(Op.COPY, 31, dest=0), make(Op.CONST, dest=31, c1=0.001)],
}


@pytest.mark.parametrize("case", sorted(WIDE_DIM_CASES))
@pytest.mark.parametrize("input_dim,extra", [(3, 0), (8, 0), (16, 0), (17, 3), (40, 3), (150, 7)])
def test_reductions_match_at_wide_vector_dims(case, input_dim, extra):
    task = fixture_task("scalar_linear", input_dim, seed=input_dim, n_train=6, n_val=6)
    program = _program(input_dim + extra, setup=[make(Op.GAUSSIAN, dest=31, c1=0.0, c2=0.05)], predict=WIDE_DIM_CASES[case],
                       learn=[make(Op.SUB, 1, 0, 4), make(Op.MUL, 4, 20, 22), make(Op.ADD, 21, 22, 21)])
    check_against_canonical(program, [task], [77])


def test_failed_evaluations_are_none_like_canonical():
    task = fixture_task("cifar10_binary", 4, seed=1)
    empty_val = TaskData.from_arrays(task.X_train, task.y_train, np.zeros((0, 4)), np.zeros(0), BINARY)
    predict = [make(Op.DOT, 20, 20, 0)]
    assert fast.run_tasks(_program(4, predict=predict, scalar_count=1), [task], [1]) == [None]
    assert fast.run_tasks(_program(3, predict=predict), [task], [1]) == [None]  # vector_dim < input_dim
    result = fast.run_tasks(_program(4, predict=predict), [empty_val, task], [1, 2])
    assert result[0] is None and result[1] is not None


def test_empty_program_predicts_zero_and_draws_nothing():
    task = fixture_task("scalar_linear", 4, seed=2)
    (preds,) = fast.run_tasks(_program(4), [task], [3])
    assert preds.dtype == np.float32 and preds.shape == (20,) and not preds.any()


def test_skip_decisions_follow_the_memory_shape():
    set_element = [make(Op.CONST_VEC, dest=20, c1=5.0, c2=1.0)]  # index 5 exists only when vector_dim > 5
    assert fast.compile_program(_program(8, predict=set_element)).phase_sizes == (0, 1, 0)
    assert fast.compile_program(_program(4, predict=set_element)).phase_sizes == (0, 0, 0)
    assert fast.compile_program(_program(8, predict=set_element)).phase_sizes == (0, 1, 0)


def test_compiler_skips_exactly_what_the_interpreter_skips():
    """The C compiler's skip rules against `interpreter.is_skipped` on 3000 random programs and odd shapes."""
    g = np.random.default_rng(77)
    for _ in range(3000):
        program = random_program(g, int(g.integers(1, 6)))
        if g.random() < 0.2:
            program.matrix_count, program.scalar_count = int(g.integers(-2, 3)), int(g.integers(-1, 5))
        if not 1 <= program.vector_dim:
            continue
        kept = tuple(sum(not interpreter.is_skipped(ins, program) for ins in program.phase(p)) for p in PHASES)
        assert fast.compile_program(program).phase_sizes == kept, program


def test_compiler_takes_huge_integers_as_out_of_bounds():
    program = _program(4, predict=[make(Op.ADD, 2**70, 0, 0), make(Op.ADD, 0, -(2**70), 0), make(Op.CONST, dest=2**64, c1=1.0),
                                   (2**80, 0, 0, 0, 0.0, 0.0), make(Op.ADD, 0, 1, 0)])
    assert fast.compile_program(program).phase_sizes == (0, 1, 0)


def test_constants_keep_their_sign_of_zero():
    task = fixture_task("scalar_linear", 4, seed=2)
    for zero in (0.0, -0.0):
        program = _program(4, setup=[make(Op.CONST, dest=2, c1=zero)], predict=[make(Op.DIV, 2, 2, 3), make(Op.COPY, 2, dest=0)])
        check_against_canonical(program, [task], [1])


def test_static_skips_are_dropped_at_compile_time():
    program = _program(4, predict=[make(Op.NOOP), make(Op.ADD, 2, -1, 3), make(Op.DOT, 20, 2, 0), make(Op.OUTER, 20, 20, 21),
                                   make(Op.CONST_VEC, dest=21, c1=9.0, c2=1.0), make(Op.SIN, 2, dest=3)], scalar_count=3)
    compiled = fast.compile_program(program)
    assert compiled.phase_sizes == (0, 0, 0)  # only `s3 = sin(s2)` was left, and s3 is out of bounds


def test_mismatched_inputs_are_clear_errors():
    task = fixture_task("cifar10_binary", 4, seed=1)
    with pytest.raises(ValueError, match="one eval seed per task"):
        fast.run_tasks(_program(4), [task], [])
    broken = TaskData(task.X_train, task.y_train[:-1], task.X_val, task.y_val, BINARY)
    with pytest.raises(ValueError, match="inconsistent shapes"):
        fast.run_tasks(_program(4), [broken], [1])


def test_kernel_rejects_offsets_outside_memory():
    compiled = fast.compile_program(_program(4, predict=[make(Op.DOT, 20, 20, 0)]))
    header_bytes = len(compiled.blob) - 11 * 4  # one row of nine int32 fields and two float32 constants
    row = np.frombuffer(compiled.blob, dtype=np.int32, offset=header_bytes).copy()
    batch = fast.TaskBatch([fixture_task("cifar10_binary", 4, seed=1)], [1])
    for field, value in ((3, 10**6), (4, 0)):  # dest far outside memory; a DOT of a "scalar" (it reads n floats)
        bad_row = row.copy()
        bad_row[field] = value
        with pytest.raises(ValueError, match="outside"):
            fast._fastexec.run(compiled.blob[:header_bytes] + bad_row.tobytes(), batch.data, batch.layout,
                               batch.states, 1, np.empty(20, np.float32))
    fast._fastexec.run(compiled.blob, batch.data, batch.layout, batch.states, 1, np.empty(20, np.float32))
