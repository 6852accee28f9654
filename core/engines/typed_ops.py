"""Typed instruction forms: the (opcode, operand kinds, destination kind) combinations that the instruction
semantics give a meaning to (algorithm.md §4.1, §4.3), and the op spaces the `evolve` engine draws from.

A form never produces a skipped instruction for lack of kinds: binary arithmetic promotes the lower-rank
operand and stores into a destination of the result's rank; elementwise unary ops keep the kind; CONST,
GAUSSIAN and UNIFORM fill any kind; DOT/MATMUL/OUTER/NORM/MEAN/STD take the kinds their rule demands; COPY
stores like kinds and takes the norm of a vector or matrix into a scalar. Forms that need a matrix are left
out when the memory has none.
"""

from __future__ import annotations

from typing import NamedTuple

from core.program import BINARY_ARITH, Op

KINDS = ("s", "v", "m")
RANK = {"s": 0, "v": 1, "m": 2}
UNARY_ELEMENTWISE = (Op.ABS, Op.EXP, Op.LOG, Op.SIN, Op.COS, Op.TAN, Op.HEAVISIDE)
VECTOR_REDUCTIONS = (Op.NORM, Op.MEAN, Op.STD)
# Constants an opcode reads (§4.1); the others are kept at 0.0 so equal programs print and hash alike.
CONSTANT_SLOTS: dict[int, int] = {Op.CONST: 1, Op.CONST_VEC: 2, Op.GAUSSIAN: 2, Op.UNIFORM: 2}


class Form(NamedTuple):
    op: int
    arg1: str | None
    arg2: str | None
    dest: str


def _higher(a: str, b: str) -> str:
    return a if RANK[a] >= RANK[b] else b


def all_forms() -> list[Form]:
    forms = [Form(Op.CONST, None, None, k) for k in KINDS]
    forms.append(Form(Op.CONST_VEC, None, None, "v"))
    forms += [Form(op, a, b, _higher(a, b)) for op in sorted(BINARY_ARITH) for a in KINDS for b in KINDS]
    forms += [Form(op, k, None, k) for op in UNARY_ELEMENTWISE for k in KINDS]
    forms += [Form(op, None, None, k) for op in (Op.GAUSSIAN, Op.UNIFORM) for k in KINDS]
    forms += [Form(Op.DOT, "v", "v", "s"), Form(Op.MATMUL, "m", "v", "v"), Form(Op.OUTER, "v", "v", "m")]
    forms += [Form(op, "v", None, "s") for op in VECTOR_REDUCTIONS]
    forms += [Form(Op.COPY, k, None, k) for k in KINDS] + [Form(Op.COPY, "v", None, "s"), Form(Op.COPY, "m", None, "s")]
    return [Form(int(f.op), f.arg1, f.arg2, f.dest) for f in forms]


# The AutoML-Zero demo's six ops (scalar constant set, inner product, scalar difference, scalar product,
# scalar-vector product, vector sum) as forms of our instruction set.
AUTOML_ZERO_DEMO_FORMS = [
    Form(int(Op.CONST), None, None, "s"),
    Form(int(Op.DOT), "v", "v", "s"),
    Form(int(Op.SUB), "s", "s", "s"),
    Form(int(Op.MUL), "s", "s", "s"),
    Form(int(Op.MUL), "s", "v", "v"),
    Form(int(Op.ADD), "v", "v", "v"),
]

OP_SPACES = ("all", "automl-zero-demo")


def forms_for(space: str, matrix_count: int) -> list[Form]:
    """The forms of an op space that the memory shape can hold (no matrix forms without matrices)."""
    if space == "all":
        forms = all_forms()
    elif space == "automl-zero-demo":
        forms = list(AUTOML_ZERO_DEMO_FORMS)
    else:
        raise ValueError(f"unknown op space {space!r}; choose one of: {', '.join(OP_SPACES)}")
    if matrix_count == 0:
        forms = [f for f in forms if "m" not in (f.arg1, f.arg2, f.dest)]
    return forms


def forms_by_op(forms: list[Form]) -> dict[int, list[Form]]:
    """Forms grouped by opcode: proposals draw an opcode uniformly, then one of its forms."""
    grouped: dict[int, list[Form]] = {}
    for form in forms:
        grouped.setdefault(form.op, []).append(form)
    return grouped
