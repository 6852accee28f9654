"""The `evolve` engine's per-child fast paths agree with the plain definitions they replace: the generator's
planned `instruction` and `instructions` with `instruction_of(form(...))` (same draws, same instructions,
same forms recorded), `float32` with numpy's rounding; copy-on-write children leave every relative as it
was."""

from __future__ import annotations

import math
import random
import warnings

import numpy as np
import pytest

from core.dsl import to_dsl
from core.engines.generator import ProgramGenerator
from core.engines.mutation import clone
from core.engines.mutator import Mutator
from core.engines.typed_ops import OP_SPACES
from core.program import PHASES, Instruction, empty_program, float32, new_instruction

DIM = 3
SHAPES = [
    dict(scalar_count=4, vector_count=3, matrix_count=1, setup_max_ops=6, predict_max_ops=3, learn_max_ops=6),
    dict(scalar_count=6, vector_count=4, matrix_count=0, setup_max_ops=4, predict_max_ops=4, learn_max_ops=5,
         vector_dim=DIM + 5),
]


@pytest.mark.parametrize("op_space", OP_SPACES)
@pytest.mark.parametrize("shape", SHAPES)
def test_planned_instructions_equal_the_form_by_form_definition(op_space, shape):
    fast = ProgramGenerator(empty_program(DIM, **shape), op_space)
    plain = ProgramGenerator(empty_program(DIM, **shape), op_space)
    fast_rng, plain_rng = random.Random(11), random.Random(11)
    for round_ in range(2):
        if round_:  # a reweighted generator too
            weights = [0.1 + (i % 4) for i in range(len(fast.forms))]
            fast.reweight(weights)
            plain.reweight(weights)
        for step in range(1000):
            made = [fast.instruction(fast_rng)] if step % 2 else fast.instructions(fast_rng, step % 7)
            expected = [plain.instruction_of(plain_rng, plain.form(plain_rng)) for _ in made]
            assert made == expected and all(type(ins) is Instruction for ins in made)
            for ins in made:
                assert all(type(value) is int for value in ins[:4]) and all(type(value) is float for value in ins[4:])
        assert fast.drawn == plain.drawn
        assert fast_rng.getstate() == plain_rng.getstate()


def test_float32_rounds_as_numpy_does():
    rng = random.Random(3)
    values = [rng.uniform(-2.0, 2.0) for _ in range(2000)]
    values += [rng.gauss(0.0, 1.0) * 10.0 ** rng.uniform(-50, 50) for _ in range(2000)]
    values += [0.0, -0.0, math.inf, -math.inf, 3.4028235e38, 3.4028236e38, 1e39, -1e39, 1e-46, 7.1e-46]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy warns when a finite value overflows to inf
        for value in values:
            expected = float(np.float32(value))
            assert float32(value) == expected and math.copysign(1.0, float32(value)) == math.copysign(1.0, expected)
    assert math.isnan(float32(math.nan))


def test_new_instruction_is_the_instruction_of_its_fields():
    fields = (1, -1, -1, 3, 0.5, 0.0)
    ins = new_instruction(fields)
    assert ins == Instruction(*fields) and type(ins) is Instruction and ins.dest == 3


@pytest.mark.parametrize("op_space", OP_SPACES)
def test_copy_on_write_children_never_change_their_relatives(op_space):
    """Children share their parents' phase lists until an operator replaces one; every program made keeps
    the text it had when it was made, through chains of every operator."""
    shape = SHAPES[0]
    generator = ProgramGenerator(empty_program(DIM, **shape), op_space)
    mutator = Mutator(generator)
    rng = random.Random(4)
    made = [generator.random_program(rng, empty_program(DIM, **shape)), empty_program(DIM, **shape)]
    texts = [to_dsl(program) for program in made]
    shared = 0
    for step in range(3000):
        parent = made[rng.randrange(len(made))]
        child, _ = mutator.mutate(rng, parent, step % len(mutator.names))
        shared += sum(getattr(child, name) is getattr(parent, name) for name in PHASES)
        made.append(child)
        texts.append(to_dsl(child))
    assert shared > 0  # the copies do share lists
    assert [to_dsl(program) for program in made] == texts


def test_clone_copies_the_phase_lists():
    program = ProgramGenerator(empty_program(DIM, **SHAPES[0])).random_program(random.Random(1),
                                                                             empty_program(DIM, **SHAPES[0]))
    twin = clone(program)
    assert twin == program and all(getattr(twin, name) is not getattr(program, name) for name in PHASES)
    twin.setup.pop()
    assert twin != program
