"""Property: every program the `evolve` engine proposes (generator and every mutation operator, both op
spaces) is valid DSL that prints, parses back to the same program, passes the strict check, and scores
identically under the canonical interpreter, the compiled evaluator and the search evaluator."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from core.dsl import check_dsl, from_dsl, to_dsl
from core.engines.generator import ProgramGenerator
from core.engines.mutator import OPERATOR_NAMES, Mutator
from core.engines.search_fitness import SuiteEvaluator, combine_scores
from core.engines.typed_ops import OP_SPACES, all_forms, forms_for
from core.evaluate import evaluate_tasks
from core.program import N_OPS, Op, empty_program
from tests.core.test_fast import fixture_task

DIM = 3
SHAPES = [
    dict(scalar_count=4, vector_count=3, matrix_count=1, setup_max_ops=6, predict_max_ops=3, learn_max_ops=6),
    dict(scalar_count=6, vector_count=4, matrix_count=0, setup_max_ops=4, predict_max_ops=4, learn_max_ops=5,
         vector_dim=DIM + 2),
]


def proposed_programs(op_space: str, shape: dict, count: int, seed: int):
    """Random programs and chains of mutations from them, as the engine proposes them."""
    rng = random.Random(seed)
    generator = ProgramGenerator(empty_program(DIM, **shape), op_space)
    mutator = Mutator(generator)
    program = generator.random_program(rng, empty_program(DIM, **shape))
    used = set()
    for index in range(count):
        if index % 25 == 0:
            program = generator.random_program(rng, empty_program(DIM, **shape))
        program, operator = mutator.mutate(rng, program)
        used.add(operator)
        yield program
    assert used == set(range(len(OPERATOR_NAMES)))  # every operator took part


@pytest.mark.parametrize("op_space", OP_SPACES)
@pytest.mark.parametrize("shape", SHAPES)
def test_proposals_round_trip_and_score_identically(op_space, shape):
    tasks = [fixture_task("scalar_linear", DIM, 1, 12, 8), fixture_task("cifar10_binary", DIM, 2, 12, 8)]
    seeds = [11, 12]
    checked = 0
    for program in proposed_programs(op_space, shape, 150, seed=len(op_space) + shape["scalar_count"]):
        text = to_dsl(program)
        assert not [i for i in check_dsl(text, DIM) if i.severity == "error"], text
        parsed = from_dsl(text, DIM)
        for phase in ("setup", "predict", "learn"):
            assert parsed.phase(phase) == program.phase(phase), text
        assert to_dsl(parsed) == text
        canonical = evaluate_tasks(parsed, tasks, seeds, evaluator="canonical")
        assert evaluate_tasks(program, tasks, seeds, evaluator="fast") == canonical, text
        checked += 1
    assert checked == 150


def test_search_fitness_is_the_validator_median_of_canonical_scores():
    tasks = [fixture_task("scalar_linear", DIM, seed, 12, 8) for seed in (3, 4, 5)]
    seeds = [21, 22, 23]
    evaluator = SuiteEvaluator(tasks, seeds, cache_size=0)
    compared = 0
    for program in proposed_programs("all", SHAPES[0], 100, seed=9):
        canonical = evaluate_tasks(from_dsl(to_dsl(program), DIM), tasks, seeds, evaluator="canonical")
        value = evaluator.fitness(program)
        if value == -math.inf and not all(map(math.isfinite, canonical)):
            continue  # the hurdle may stop a failing program early; it is never scored higher
        assert value == combine_scores(canonical, "median")
        compared += 1
    assert compared > 50


def test_a_failed_task_counts_against_the_program():
    assert combine_scores([0.9, -math.inf, -math.inf], "median") == -math.inf
    assert combine_scores([0.9, 0.8, -math.inf], "median") == 0.8
    assert combine_scores([0.9, -math.inf], "mean") == pytest.approx(0.45)


def test_forms_never_need_a_skip_for_kinds():
    """Every form is an instruction the kind rules execute: binary ops store at the promoted rank, reductions
    read vectors, and nothing needs a matrix when there is none."""
    rank = {"s": 0, "v": 1, "m": 2}
    forms = all_forms()
    assert {f.op for f in forms} == set(range(1, N_OPS))  # every opcode but NOOP
    for form in forms:
        if form.op in (Op.ADD, Op.SUB, Op.MUL, Op.DIV):
            assert rank[form.dest] == max(rank[form.arg1], rank[form.arg2])
    assert all("m" not in (f.arg1, f.arg2, f.dest) for f in forms_for("all", matrix_count=0))
    assert len(forms_for("automl-zero-demo", matrix_count=1)) == 6


def test_generated_instructions_use_registers_of_their_form():
    generator = ProgramGenerator(empty_program(DIM, **SHAPES[0]), "automl-zero-demo")
    rng = random.Random(5)
    seen = set()
    for _ in range(500):
        ins = generator.instruction(rng)
        seen.add(ins.op)
        assert ins.op in (Op.CONST, Op.DOT, Op.SUB, Op.MUL, Op.ADD)
        for addr in (ins.arg1, ins.arg2, ins.dest):
            assert addr == -1 or 0 <= addr < 4 or 20 <= addr < 23
    assert seen == {Op.CONST, Op.DOT, Op.SUB, Op.MUL, Op.ADD}
    assert np.isfinite([generator.instruction(rng).c1 for _ in range(100)]).all()
