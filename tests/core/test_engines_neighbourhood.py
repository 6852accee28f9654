"""The one-step neighbourhood and the steepest-ascent climb of the `evolve` engine's local search."""

from __future__ import annotations

import random

import numpy as np

from core.dsl import from_dsl, to_dsl
from core.engines import EngineParams, EvolveEngine
from core.engines.generator import ProgramGenerator
from core.engines.neighbourhood import CONSTANT_GRID, Neighbourhood, ScaleEdits, climb, every_instruction
from core.engines.search_fitness import CallableEvaluator
from core.program import PHASES, Op, empty_program
from tests.core.engines_support import size_fitness

DIM = 3
SHAPE = dict(scalar_count=4, vector_count=3, matrix_count=1, setup_max_ops=4, predict_max_ops=2, learn_max_ops=4)
PROGRAM = """# setup
s2 = 0.5
# predict
s0 = dot(v1, v0)
# learn
v2 = s1 * v0
v1 = v1 + v2
"""


def generator(op_space="all"):
    return ProgramGenerator(empty_program(DIM, **SHAPE), op_space)


def test_every_instruction_is_each_form_with_every_register_and_the_constant_grid():
    instructions = every_instruction(generator("automl-zero-demo"))
    # CONST: 4 scalar dests x 6 constants; DOT: 3 x 3 vectors into 4 scalars; SUB and MUL on scalars: 4^3 each;
    # MUL scalar-vector: 4 x 3 x 3; ADD of vectors: 3^3
    assert len(instructions) == 4 * 6 + 9 * 4 + 64 + 64 + 36 + 27
    assert len(set(instructions)) == len(instructions)
    constants = sorted({ins.c1 for ins in instructions if ins.op == Op.CONST})
    assert constants == sorted(float(np.float32(c)) for c in CONSTANT_GRID)
    full = every_instruction(generator())
    assert {ins.op for ins in full} == {form.op for form in generator().forms}
    const_vec = [ins for ins in full if ins.op == Op.CONST_VEC]
    assert {int(ins.c1) for ins in const_vec} == set(range(DIM))  # every element of a vector


def test_the_neighbourhood_is_every_insertion_replacement_and_removal_in_every_phase():
    program = _shaped(from_dsl(PROGRAM, DIM))
    instructions = every_instruction(generator("automl-zero-demo"))
    neighbourhood = Neighbourhood(program, instructions)
    count = len(instructions)
    # setup: 1 instruction, room for more -> 2 insert gaps + 1 replace; predict: 1 of 2 -> same; learn: 2 of 4 -> 3 + 2
    assert len(neighbourhood) == (2 + 1) * count + 1 + (2 + 1) * count + 1 + (3 + 2) * count + 2
    texts = {to_dsl(neighbourhood[i]) for i in range(len(neighbourhood))}
    with_error = _shaped(from_dsl(PROGRAM.replace("# learn\n", "# learn\ns1 = s1 - s0\n"), DIM))
    without_setup = _shaped(from_dsl(PROGRAM.replace("s2 = 0.5\n", ""), DIM))
    assert to_dsl(with_error) in texts and to_dsl(without_setup) in texts
    assert to_dsl(program) in texts  # replacing an instruction by itself
    assert all(len(neighbourhood[i].predict) <= 2 for i in range(len(neighbourhood)))  # capacity kept
    assert to_dsl(program) == to_dsl(_shaped(from_dsl(PROGRAM, DIM)))  # the program itself is untouched


def test_a_big_neighbourhood_is_sampled_without_repeats():
    program = _shaped(from_dsl(PROGRAM, DIM))
    neighbourhood = Neighbourhood(program, every_instruction(generator()))
    sample = list(neighbourhood.sample(random.Random(3), 500))
    assert len(neighbourhood) > 500 and len(sample) == 500
    assert len({to_dsl(p) for p in sample}) > 400  # distinct edits (a few print alike)
    assert len(list(Neighbourhood(program, []).sample(random.Random(3), 500))) == 4  # removals only


def test_climb_moves_to_the_fittest_neighbour_until_none_is_fitter():
    start = _shaped(from_dsl(PROGRAM, DIM))
    evaluator = CallableEvaluator(size_fitness)  # more predict instructions, fewer learn ones
    demo = generator("automl-zero-demo")
    path, scored = climb(start, size_fitness(start), evaluator, demo, every_instruction(demo), random.Random(1), steps=10)
    fitnesses = [fitness for _, fitness in path]
    assert fitnesses == sorted(set(fitnesses)) and fitnesses[-1] == 2.0  # predict full, learn empty
    final = path[-1][0]
    assert len(final.predict) == 2 and not final.learn
    assert scored > len(path)


def test_the_engine_climbs_from_its_best_and_keeps_what_it_climbed_through_a_restore():
    params = EngineParams(input_dim=DIM, pop_size=8, random_init_fraction=0.0, local_search_every=10, **SHAPE)
    engine = EvolveEngine(params, size_fitness, seed=2)
    result = engine.evolve_generation()
    assert engine._climbed and result.evaluations > 8 + 2  # a population, a batch, and the neighbourhoods scored
    assert engine.best_fitness == 2.0 and any(fitness == 2.0 for _, fitness in engine.population())
    state = engine.state()
    restored = EvolveEngine(params, size_fitness, seed=2)
    restored.restore(state)
    assert restored._climbed == engine._climbed and restored._climbed_at == engine._climbed_at
    off_params = EngineParams(input_dim=DIM, pop_size=8, random_init_fraction=0.0, local_search_every=0, **SHAPE)
    off = EvolveEngine(off_params, size_fitness, seed=2)
    assert off.evolve_generation().evaluations == 8 + 2 and not off._climbed


def _shaped(program):
    """`program` with the test's memory shape."""
    shaped = empty_program(DIM, **SHAPE)
    for phase in PHASES:
        setattr(shaped, phase, list(program.phase(phase)))
    return shaped


def test_the_engine_remembers_a_bounded_number_of_climbed_programs(monkeypatch):
    monkeypatch.setattr("core.engines.evolve.CLIMBED_LIMIT", 2)
    engine = EvolveEngine(EngineParams(input_dim=DIM, pop_size=8, local_search_every=10, **SHAPE), size_fitness, seed=2)
    for key in ("a", "b", "c"):
        engine._remember_climbed(key)
    assert list(engine._climbed) == ["b", "c"]


def test_scale_edits_pair_a_fresh_constant_in_setup_with_a_scale_in_predict_or_learn():
    program = _shaped(from_dsl(PROGRAM, DIM))
    edits = ScaleEdits(program, generator("automl-zero-demo"))
    # 4 scalars x 6 constants x 3 setup gaps x (3 + 5 predict/learn gaps) x 6 other registers (3 s, 3 v)
    assert len(edits) == 4 * 6 * 3 * 8 * 6
    texts = {to_dsl(edits[i]) for i in range(len(edits))}
    scaled = PROGRAM.replace("# setup\n", "# setup\ns3 = 0.01\n").replace("s0 = dot(v1, v0)\n", "s0 = dot(v1, v0)\ns0 = s3 * s0\n")
    assert to_dsl(_shaped(from_dsl(scaled, DIM))) in texts
    assert len(ScaleEdits(program, _NoConst())) == 0


class _NoConst:
    """A generator whose op space has no scalar CONST: no scale edit is possible."""

    forms = [form for form in generator().forms if form.op != Op.CONST]

    @staticmethod
    def registers(kind):
        return generator().registers(kind)
