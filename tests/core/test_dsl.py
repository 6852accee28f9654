"""DSL printing, lenient parsing rules, round trip and robustness (algorithm.md §5.1, §5.2, §5.4)."""

from __future__ import annotations

import hashlib
import logging
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.dsl import check_dsl, float32, format_constant, from_dsl, program_hash, to_dsl
from core.program import OP_KINDS, PHASES, Instruction, Op, Program, empty_program

# ---------------------------------------------------------------------------------------------------------
# Printing


@pytest.mark.parametrize(
    "value, text",
    [
        (np.float32(0.1), "0.10000000149011612"),
        (-2.0, "-2.0"),
        (np.float32(1e-5), "9.999999747378752e-06"),
        (0.1, "0.10000000149011612"),  # a binary64 constant is printed as its float32 value
        (-0.0, "-0.0"),
        (1e40, "inf"),  # overflows float32
        (float("-inf"), "-inf"),
        (float("nan"), "nan"),
        (np.float32(3.4028235e38), "3.4028234663852886e+38"),
        (1e-46, "0.0"),
    ],
)
def test_constants_print_as_shortest_repr_of_the_float32(value, text):
    assert format_constant(float(value)) == text


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False) | st.floats(min_value=3.4e38, max_value=3.41e38) | st.floats(max_value=1e-44, min_value=-1e-44))
def test_float32_rounding_equals_numpy(value):
    with np.errstate(over="ignore"):
        expected = float(np.float32(value))
    assert float32(value) == expected
    assert np.signbit(float32(value)) == np.signbit(expected)


def test_spec_example_prints_canonically():
    program = Program(
        scalar_count=5, vector_count=9, matrix_count=2, vector_dim=16, setup_max_ops=7, predict_max_ops=11, learn_max_ops=23
    )
    program.setup = [Instruction.make(Op.CONST, dest=2, c1=0.05), Instruction.make(Op.GAUSSIAN, dest=30, c1=0.0, c2=0.1)]
    program.predict = [Instruction.make(Op.MATMUL, 30, 20, 23), Instruction.make(Op.DOT, 23, 20, 0)]
    program.learn = [Instruction.make(Op.SUB, 1, 0, 3), Instruction.make(Op.MUL, 3, 2, 4), Instruction.make(Op.NOOP)]
    assert to_dsl(program) == (
        "# meta: scalar_count=5 vector_count=9 matrix_count=2 vector_dim=16 setup_max_ops=7 predict_max_ops=11 learn_max_ops=23\n"
        "# setup\ns2 = 0.05000000074505806\nm0 = gaussian(0.0, 0.10000000149011612)\n"
        "# predict\nv3 = matmul(m0, v0)\ns0 = dot(v3, v0)\n"
        "# learn\ns3 = s1 - s0\ns4 = s3 * s2"
    )


@pytest.mark.parametrize(
    "ins, line",
    [
        (Instruction.make(Op.CONST_VEC, dest=21, c1=3.0, c2=-2.0), "v1[3] = -2.0"),
        (Instruction.make(Op.CONST_VEC, dest=21, c1=2.9, c2=1.0), "v1[2] = 1.0"),
        (Instruction.make(Op.CONST_VEC, dest=21, c1=-1.0, c2=1.0), "v1[-1] = 1.0"),
        (Instruction.make(Op.CONST_VEC, dest=2, c1=0.0, c2=1.0), "s2[0] = 1.0"),
        (Instruction.make(Op.EXP, -1, -1, 2), "s2 = exp(none)"),
        (Instruction.make(Op.SIN, 3, 4, 2), "s2 = sin(s3)"),  # an extra operand is not printed
        (Instruction.make(Op.COPY, 33, -1, 5), "s5 = m3"),
        (Instruction.make(Op.ADD, 45, 99, 25), "v5 = m15 + m69"),
        (Instruction.make(Op.UNIFORM, dest=4, c1=1.0, c2=-1.0), "s4 = uniform(1.0, -1.0)"),
        (Instruction.make(Op.OUTER, 20, 21, 30), "m0 = outer(v0, v1)"),
        (Instruction.make(Op.HEAVISIDE, 7, -1, 8), "s8 = heaviside(s7)"),
        (Instruction.make(Op.STD, 22, -1, 9), "s9 = std(v2)"),
    ],
)
def test_instruction_print_forms(ins, line):
    program = empty_program(4)
    program.predict = [ins]
    assert to_dsl(program).splitlines()[3] == line


def test_noop_and_unknown_op_codes_print_nothing():
    program = empty_program(4)
    program.learn = [Instruction.make(Op.NOOP, 1, 2, 3), Instruction(99, 1, 2, 3), Instruction.make(Op.ABS, 1, -1, 2)]
    assert to_dsl(program).endswith("# learn\ns2 = abs(s1)")


def test_program_hash_is_sha256_of_the_printed_text():
    program = from_dsl("s0 = mean(v0)", 8)
    assert program_hash(program) == hashlib.sha256(to_dsl(program).encode()).hexdigest()
    assert program_hash(program) == program_hash(from_dsl(to_dsl(program), 8))
    assert program_hash(program) != program_hash(from_dsl("s0 = norm(v0)", 8))


# ---------------------------------------------------------------------------------------------------------
# Lenient parsing rules


def test_register_names_alias_without_range_checks():
    program = from_dsl("s25 = s3\nv12 = 1\nm7 = s99", 4)
    assert [(ins.dest, ins.arg1) for ins in program.predict] == [(25, 3), (32, -1), (37, 99)]
    assert to_dsl(program).splitlines()[3:6] == ["v5 = s3", "m2 = 1.0", "m7 = m69"]


@pytest.mark.parametrize(
    "meta, input_dim, vector_dim",
    [("", 4, 4), ("", 16, 16), ("# meta: vector_dim=32\n", 16, 32), ("# meta: vector_dim=8\n", 16, 16)],
)
def test_vector_dim_is_meta_raised_to_input_dim(meta, input_dim, vector_dim):
    assert from_dsl(meta + "s0 = s1", input_dim).vector_dim == vector_dim


def test_capacities_from_meta_aliases_and_line_counts():
    text = (
        "# meta: setup_max=3 setup_max_ops=abc predict_max_size=1 learn_max_instructions=-4 learn_max=9\n"
        "# predict\ns0 = s1\ns2 = s3\nnonsense line\n"
    )
    program = from_dsl(text, 4)
    # setup: the first *valid* alias; predict: raised to its 3 lines (dropped ones count); learn: learn_max wins.
    assert (program.setup_max_ops, program.predict_max_ops, program.learn_max_ops) == (3, 3, 9)
    assert from_dsl("# meta: learn_max_instructions=-4\n", 4).learn_max_ops == 0
    assert from_dsl("s0 = s1\n" * 31, 4).predict_max_ops == 31


def test_counts_from_meta_later_values_win():
    program = from_dsl("# meta: scalar_count=3 scalar_count=7, VECTOR_COUNT=2\n# meta: matrix_count=-1\n", 4)
    assert (program.scalar_count, program.vector_count, program.matrix_count) == (7, 2, -1)


def test_lines_before_a_header_go_to_predict_and_headers_pick_phases():
    program = from_dsl("s0 = s1\n# notes: learn after setup\ns2 = s3\nLearn:\ns4 = s5\n", 4)
    assert [len(program.phase(phase)) for phase in PHASES] == [1, 1, 1]


def test_warning_text_on_the_core_dsl_logger(caplog):
    with caplog.at_level(logging.WARNING, logger="core.dsl"):
        program = from_dsl("# predict\ns2 = relu(s3)  # not an op\ns0 = s2", 4)
    assert [ins.op for ins in program.predict] == [Op.COPY]
    (record,) = [r for r in caplog.records if r.name == "core.dsl"]
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith("Could not parse line 's2 = relu(s3)': ")


def test_unmatched_lines_are_dropped_silently(caplog):
    with caplog.at_level(logging.DEBUG, logger="core.dsl"):
        program = from_dsl("s2 = nan\nS6 = S7\nx2 = sin(s3)\ns4 = 1_000", 4)
    assert program.predict == []
    assert program.predict_max_ops == 30
    assert not [r for r in caplog.records if r.name == "core.dsl"]


def test_arrow_forms():
    program = from_dsl("CONST 2.5 -> S4\nadd s1 s2 -> s3\nCONST_VEC 1 2 -> v1\nCOPY s1 -> none", 4)
    assert program.predict == [
        Instruction(Op.CONST, -1, -1, 4, 2.5, 0.0),
        Instruction(Op.ADD, -1, -1, 3, 0.0, 0.0),
        Instruction(Op.CONST_VEC, -1, -1, 21, 0.0, 0.0),
        Instruction(Op.COPY, -1, -1, -1, 0.0, 0.0),
    ]


def test_call_operands_are_case_insensitive_and_none_sentinels():
    program = from_dsl("s2 = dot(V1, Null)\ns3 = Uniform(-1, 2.5)", 4)
    assert program.predict == [Instruction(Op.DOT, 21, -1, 2, 0.0, 0.0), Instruction(Op.UNIFORM, -1, -1, 3, -1.0, 2.5)]


# ---------------------------------------------------------------------------------------------------------
# Round trip (§5.4): parse(print(p)) == p for normal-form programs without NOOPs

_OPS = [op for op in Op if op != Op.NOOP]
_ADDRESS = st.integers(min_value=0, max_value=120)
_VECTOR_ADDRESS = st.integers(min_value=20, max_value=29)
_FLOAT32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def _instruction(draw) -> Instruction:
    op = draw(st.sampled_from(_OPS))
    kind1, kind2, _ = OP_KINDS[op]
    arg1 = draw(_ADDRESS) if kind1 else -1
    arg2 = draw(_ADDRESS) if kind2 else -1
    dest = draw(_VECTOR_ADDRESS if op == Op.CONST_VEC else _ADDRESS)
    c1 = c2 = 0.0
    if op == Op.CONST_VEC:
        c1, c2 = float(draw(st.integers(min_value=0, max_value=2**40))), draw(_FLOAT32)
    elif op in (Op.CONST, Op.GAUSSIAN, Op.UNIFORM):
        c1 = draw(_FLOAT32)
        c2 = draw(_FLOAT32) if op != Op.CONST else 0.0
    return Instruction.make(op, arg1, arg2, dest, c1, c2)


@st.composite
def _program(draw) -> tuple[Program, int]:
    input_dim = draw(st.integers(min_value=1, max_value=32))
    phases = {phase: draw(st.lists(_instruction(), max_size=12)) for phase in PHASES}
    program = Program(
        scalar_count=draw(st.integers(-3, 40)),
        vector_count=draw(st.integers(-3, 20)),
        matrix_count=draw(st.integers(-3, 10)),
        vector_dim=draw(st.integers(input_dim, 64)),
        **{f"{phase}_max_ops": len(phases[phase]) + draw(st.integers(0, 40)) for phase in PHASES},
        **phases,
    )
    return program, input_dim


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_program())
def test_parse_of_print_is_identity(program_and_dim):
    program, input_dim = program_and_dim
    text = to_dsl(program)
    parsed = from_dsl(text, input_dim)
    assert parsed == program
    assert to_dsl(parsed) == text  # also catches -0.0 versus 0.0
    assert not [issue for issue in check_dsl(text, input_dim) if issue.severity == "error"]


def test_every_opcode_round_trips():
    uses_c1 = (Op.CONST, Op.CONST_VEC, Op.GAUSSIAN, Op.UNIFORM)
    program = empty_program(4)
    program.setup = [
        Instruction.make(
            op,
            20 if kinds[0] else -1,
            21 if kinds[1] else -1,
            22,
            3.0 if op in uses_c1 else 0.0,
            -1.5 if op in uses_c1 and op != Op.CONST else 0.0,
        )
        for op, kinds in OP_KINDS.items()
        if op != Op.NOOP
    ]
    assert len(program.setup) == 22
    assert from_dsl(to_dsl(program), 4) == program


# ---------------------------------------------------------------------------------------------------------
# Robustness: lenient parsing and checking never raise


_FRAGMENTS = [
    "s1", "S99", "v0", "v3[", "]", "m2", "=", "==", "->", "(", ")", ",", " ", "\t", "#", ":", "setup", "LEARN",
    "predict:", "# meta:", "scalar_count=", "vector_dim=-7", "_max_ops=", "gaussian", "uniform", "dot", "sin",
    "const_vec", "noop", "none", "NULL", "-1", "1e40", "nan", "inf", "-.5", "007", "1_0", "+", "-", "*", "/",
    "٣", "ſ2", "\x00", "\r", "x", "9" * 5000,
]


def _parse_and_check(text: str) -> None:
    program = from_dsl(text, 4)
    assert isinstance(to_dsl(program), str)
    check_dsl(text, 4)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=40).map("".join))
def test_dsl_like_junk_never_raises(line):
    _parse_and_check(line)
    _parse_and_check("s2 = " + line)
    _parse_and_check(line + " -> s2")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text):
    _parse_and_check(text)


def test_binary_junk_ten_thousand_lines_and_huge_lines_never_raise():
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(200_000))
    _parse_and_check(junk.decode("latin-1"))
    _parse_and_check(junk.decode("utf-8", errors="replace"))
    lines = ["".join(rng.choice(_FRAGMENTS[:-1]) for _ in range(rng.randrange(1, 12))) for _ in range(10_000)]
    _parse_and_check("\n".join(lines))
    huge_number = "1" * 1_000_000
    for line in (f"s2 = {huge_number}x", f"s2 = gaussian({huge_number}", f"v1[{huge_number}] = 2", "s2 = " + " " * 1_000_000 + "s3 +"):
        _parse_and_check(line)
    assert from_dsl(f"s2 = {huge_number}", 4).predict[0].c1 == float("inf")
