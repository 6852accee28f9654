"""Random well-typed instructions and programs for the `evolve` engine.

An instruction is drawn as: a uniform opcode of the phase's op list, a uniform form of that opcode (its
operand and destination kinds, `core.engines.typed_ops`), a uniform register of each kind, and the
constants the opcode reads. Python's `random.Random` is the generator: one draw costs a fraction of numpy's.
"""

from __future__ import annotations

import bisect
import itertools
import random

from core.engines.typed_ops import CONSTANT_SLOTS, Form, forms_by_op, forms_for
from core.program import NONE, PHASES, Instruction, Op, Program, float32, make_address, new_instruction

CONSTANT_LOW, CONSTANT_HIGH = -2.0, 2.0


class ProgramGenerator:
    """Random instructions of the configured op space for programs of one memory shape.

    Each form has a prior weight (uniform opcode, then uniform form of it) that `reweight` can scale, e.g.
    by what the search has learned; the indices of the forms drawn are appended to `drawn` (for credit).
    """

    def __init__(self, template: Program, op_space: str = "all") -> None:
        self.template = template
        self.op_space = op_space
        grouped = forms_by_op(forms_for(op_space, template.matrix_count))
        if not grouped:
            raise ValueError(f"op space {op_space!r} has no instruction this memory shape can hold")
        self.forms = [form for op in sorted(grouped) for form in grouped[op]]
        self.priors = [1.0 / (len(grouped) * len(grouped[form.op])) for form in self.forms]
        self._cumulative = list(itertools.accumulate(self.priors))
        self._banks = {"s": template.scalar_count, "v": template.vector_count, "m": template.matrix_count}
        self._bases = {kind: make_address(kind, 0) for kind in self._banks}
        self.vector_dim = template.vector_dim
        self.drawn: list[int] = []
        self._plans = [self._plan(form) for form in self.forms]

    def reweight(self, multipliers: list[float]) -> None:
        """Draw form i with probability proportional to priors[i] * multipliers[i]."""
        self._cumulative = list(itertools.accumulate(p * m for p, m in zip(self.priors, multipliers)))

    def register(self, rng: random.Random, kind: str) -> int:
        return self._bases[kind] + below(rng, self._banks[kind])

    def registers(self, kind: str) -> range:
        """Every register address of a kind."""
        return range(self._bases[kind], self._bases[kind] + self._banks[kind])

    def form(self, rng: random.Random) -> Form:
        return self.forms[self._form_index(rng)]

    def _form_index(self, rng: random.Random) -> int:
        index = bisect.bisect_right(self._cumulative, rng.random() * self._cumulative[-1])
        index = min(index, len(self.forms) - 1)
        self.drawn.append(index)
        return index

    def instruction(self, rng: random.Random) -> Instruction:
        return self.instructions(rng, 1)[0]

    def instructions(self, rng: random.Random, count: int) -> list[Instruction]:
        """`count` times `instruction_of(rng, form(rng))`, with the same draws in the same order, from the
        forms' plans (the per-child hot path of a search: no lookups by kind, constants rounded only when
        drawn). It must stay in step with `instruction_of` and `constants`: tests/core/test_engines_fast_paths.py
        compares them draw for draw."""
        draw, bisect_right = rng.random, bisect.bisect_right
        cumulative, plans, drawn, vector_dim = self._cumulative, self._plans, self.drawn, self.vector_dim
        total, last = cumulative[-1], len(plans) - 1
        made = []
        for _ in range(count):
            index = bisect_right(cumulative, draw() * total)
            if index > last:
                index = last
            drawn.append(index)
            op, arg1, arg2, dest, constants = plans[index]
            a1 = NONE if arg1 is None else arg1[0] + int(draw() * arg1[1])
            a2 = NONE if arg2 is None else arg2[0] + int(draw() * arg2[1])
            c1 = c2 = 0.0
            if constants == 1:
                c1 = float32(uniform_constant(draw()))
            elif constants == 2:
                c1 = float32(uniform_constant(draw()))
                c2 = float32(uniform_constant(draw()))
            elif constants == 3:  # CONST_VEC: an element index, then a constant
                c1 = float(int(draw() * vector_dim))
                c2 = float32(uniform_constant(draw()))
            made.append(new_instruction((op, a1, a2, dest[0] + int(draw() * dest[1]), c1, c2)))
        return made

    def _plan(self, form: Form) -> tuple:
        """(op, arg1, arg2, dest, constants): a slot is None or (bank base address, bank size); constants is
        0-2 constants drawn, or 3 for CONST_VEC's element index and constant (as `constants` draws them)."""
        def slot(kind: str | None) -> tuple[int, int] | None:
            return None if kind is None else (self._bases[kind], self._banks[kind])
        constants = 3 if form.op == Op.CONST_VEC else CONSTANT_SLOTS.get(form.op, 0)
        return int(form.op), slot(form.arg1), slot(form.arg2), slot(form.dest), constants

    def instruction_of(self, rng: random.Random, form: Form) -> Instruction:
        arg1 = self.register(rng, form.arg1) if form.arg1 else NONE
        arg2 = self.register(rng, form.arg2) if form.arg2 else NONE
        c1, c2 = self.constants(rng, form.op)
        return Instruction.make(form.op, arg1, arg2, self.register(rng, form.dest), c1, c2)

    def constants(self, rng: random.Random, op: int) -> tuple[float, float]:
        """The constants `op` reads (a CONST_VEC index is a valid element); unread constants are 0."""
        used = CONSTANT_SLOTS.get(op, 0)
        if op == Op.CONST_VEC:
            return float(below(rng, self.vector_dim)), constant(rng)
        return (constant(rng) if used >= 1 else 0.0), (constant(rng) if used >= 2 else 0.0)

    def fill(self, rng: random.Random, program: Program, phase: str, count: int) -> None:
        """Replace a phase by `count` random instructions (at most its capacity)."""
        count = min(count, program.capacity(phase))
        setattr(program, phase, self.instructions(rng, count))

    def random_program(self, rng: random.Random, empty: Program) -> Program:
        """`empty` with every phase filled to capacity, as AutoML-Zero's random initial algorithms."""
        for phase in PHASES:
            self.fill(rng, empty, phase, empty.capacity(phase))
        return empty


def below(rng: random.Random, count: int) -> int:
    """A uniform integer in [0, count): `randrange` costs several times more."""
    return int(rng.random() * count)


def constant(rng: random.Random) -> float:
    return rng.uniform(CONSTANT_LOW, CONSTANT_HIGH)


def uniform_constant(draw: float) -> float:
    """`constant`'s value from the uniform draw in [0, 1) it takes (the formula of `Random.uniform`)."""
    return CONSTANT_LOW + (CONSTANT_HIGH - CONSTANT_LOW) * draw


