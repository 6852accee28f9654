"""The `evolve` engine's pieces: each mutation operator, the search evaluator's hurdle and cache, the credit
bandit, and the loop's batches."""

from __future__ import annotations

import math
import random

import pytest

from core.dsl import from_dsl
from core.engines import EngineParams, EvolveEngine
from core.engines.credit import MAX_WEIGHT, MIN_WEIGHT, Credit
from core.engines.generator import ProgramGenerator
from core.engines.mutator import Mutator
from core.engines.search_fitness import SuiteEvaluator
from core.engines.typed_ops import RANK
from core.evaluate import TaskSet
from core.program import PHASES, address_kind, empty_program
from core.scoring import median_score
from tests.core.engines_support import size_fitness
from tests.core.test_fast import fixture_task

DIM = 3
SHAPE = dict(scalar_count=4, vector_count=3, matrix_count=1, setup_max_ops=4, predict_max_ops=2, learn_max_ops=4)


def pieces(op_space="all"):
    generator = ProgramGenerator(empty_program(DIM, **SHAPE), op_space)
    return generator, Mutator(generator)


def sizes(program):
    return [len(program.phase(name)) for name in PHASES]


def test_insert_and_remove_change_one_phase_by_one_instruction_within_capacity():
    generator, mutator = pieces()
    rng = random.Random(1)
    program = empty_program(DIM, **SHAPE)
    for _ in range(10):  # the total capacity
        child, op = mutator.mutate(rng, program, mutator.names.index("insert"))
        assert sum(sizes(child)) == sum(sizes(program)) + 1 and op == mutator.names.index("insert")
        program = child
    assert sizes(program) == [4, 2, 4]  # full: a further insert falls back to the next operator
    child, op = mutator.mutate(rng, program, mutator.names.index("insert"))
    assert op != mutator.names.index("insert")
    child, op = mutator.mutate(rng, program, mutator.names.index("remove"))
    assert sum(sizes(child)) == 9 and sizes(program) == [4, 2, 4]  # the parent is untouched


def test_randomize_phase_keeps_its_length_and_alter_param_changes_one_parameter_within_its_kind():
    generator, mutator = pieces()
    rng = random.Random(2)
    program = generator.random_program(rng, empty_program(DIM, **SHAPE))
    for _ in range(200):
        child, _ = mutator.mutate(rng, program, mutator.names.index("randomize_phase"))
        assert sizes(child) == sizes(program)
        child, _ = mutator.mutate(rng, program, mutator.names.index("alter_param"))
        changed = [(a, b) for name in PHASES for a, b in zip(program.phase(name), child.phase(name)) if a != b]
        assert len(changed) <= 1
        for before, after in changed:
            assert before.op == after.op
            differing = [i for i in range(6) if before[i] != after[i]]
            assert len(differing) == 1
            if differing[0] in (1, 2, 3):
                assert address_kind(before[differing[0]]) == address_kind(after[differing[0]])


def test_the_demo_op_space_never_leaves_its_six_forms():
    generator, mutator = pieces("automl-zero-demo")
    rng = random.Random(3)
    program = generator.random_program(rng, empty_program(DIM, **SHAPE))
    allowed = {(f.op, f.arg1, f.arg2, f.dest) for f in generator.forms}
    for _ in range(300):
        program, _ = mutator.mutate(rng, program)
        for name in PHASES:
            for ins in program.phase(name):
                kinds = tuple(address_kind(a) for a in (ins.arg1, ins.arg2, ins.dest))
                assert (ins.op, *kinds) in allowed
                assert RANK[kinds[2]] >= 0


def test_the_hurdle_stops_non_finite_programs_before_the_suite_and_the_cache_shares_equal_behaviour():
    tasks = [fixture_task("scalar_linear", DIM, seed, 12, 8) for seed in (1, 2, 3)]
    evaluator = SuiteEvaluator(tasks, [5, 6, 7])
    meta = "# meta: scalar_count=4 vector_count=3 matrix_count=1 vector_dim=3 setup_max_ops=4 predict_max_ops=2 learn_max_ops=4\n"
    blowing_up = from_dsl(meta + "# predict\ns0 = 1e30\ns0 = s0 * s0\n", DIM)
    constant = from_dsl(meta + "# predict\ns0 = 0.5\n", DIM)
    constant_again = from_dsl(meta + "# setup\ns3 = 2.0\n# predict\ns0 = 0.5\n", DIM)  # s3 is never read
    values = evaluator.fitness_many([blowing_up, constant, constant_again])
    assert values[0] == -math.inf and evaluator.hurdle_failures == 1
    assert values[1] == values[2] and math.isfinite(values[1])
    assert evaluator.suite_runs == 1 and evaluator.cache_hits == 1
    assert evaluator.fitness(constant) == values[1] and evaluator.suite_runs == 1


def test_a_program_that_beats_the_bar_is_scored_on_the_held_out_tasks_too():
    tasks = [fixture_task("scalar_linear", DIM, seed, 12, 8) for seed in (1, 2, 3)]
    held_out = [fixture_task("scalar_linear", DIM, seed, 12, 8) for seed in (4, 5)]
    meta = "# meta: scalar_count=4 vector_count=3 matrix_count=1 vector_dim=3 setup_max_ops=4 predict_max_ops=2 learn_max_ops=4\n"
    constant = from_dsl(meta + "# predict\ns0 = 0.5\n", DIM)
    everything = TaskSet(tasks + held_out, [5, 6, 7, 8, 9])
    suite_only = median_score(everything.scores(constant)[:3])
    with_held_out = median_score(everything.scores(constant))
    assert suite_only != with_held_out  # the fixture tasks tell the two apart

    def evaluator():
        return SuiteEvaluator(tasks, [5, 6, 7], held_out=held_out, held_out_seeds=[8, 9])

    at_the_bar = evaluator()  # a tie with the best is no new best
    assert at_the_bar.fitness_many([constant], check_above=suite_only) == [suite_only]
    above_the_bar = evaluator()
    assert above_the_bar.fitness_many([constant], check_above=suite_only - 1e-9) == [with_held_out]
    assert above_the_bar.stats()["held_out_checks"] == 1 and at_the_bar.stats()["held_out_checks"] == 0
    with pytest.raises(ValueError, match="eval seed"):
        SuiteEvaluator(tasks, [5, 6, 7], held_out=held_out, held_out_seeds=[8])

    # a first population: the bar rises to each checked fitness, a worse program after a checked one is not
    # checked (a batch of children checks every program at or above the bar)
    far_off = from_dsl(meta + "# predict\ns0 = 50.0\n", DIM)
    assert median_score(everything.scores(far_off)[:3]) < with_held_out
    first_population = evaluator()
    assert first_population.fitness_many([constant, far_off], -math.inf, rising_bar=True)[0] == with_held_out
    assert first_population.stats()["held_out_checks"] == 1
    children = evaluator()
    assert children.fitness_many([constant, far_off], -math.inf)[0] == with_held_out
    assert children.stats()["held_out_checks"] == 2


def test_the_engine_checks_children_against_its_population_best():
    bars = []

    class Recording:
        def fitness_many(self, programs, check_above=math.inf, rising_bar=False):
            bars.append((check_above, rising_bar))
            return [float(len(p.predict)) for p in programs]

        def stats(self):
            return None

    params = EngineParams(input_dim=DIM, pop_size=8, **SHAPE)
    engine = EvolveEngine(params, size_fitness, seed=3, evaluator=Recording())
    engine.evolve_generation()
    best_before = max(fitness for _, fitness in engine.population())
    engine.evolve_generation()
    assert bars[0] == (-math.inf, True)  # a first population: its running best is checked
    assert bars[-1] == (best_before, False) and len(bars) == 3


def test_generator_and_mutator_are_injected_pieces():
    generator, _ = pieces("automl-zero-demo")
    only_insert = Mutator(generator, ("insert",))
    params = EngineParams(input_dim=DIM, pop_size=8, random_init_fraction=0.0, **SHAPE)
    engine = EvolveEngine(params, size_fitness, seed=2, generator=generator, mutator=only_insert)
    for _ in range(5):
        engine.evolve_generation()
    demo_ops = {form.op for form in generator.forms}
    programs = [program for program, _ in engine.population()]
    assert any(program.instruction_count() for program in programs)
    assert all(ins.op in demo_ops for program in programs for name in PHASES for ins in program.phase(name))
    assert all(sum(sizes(program)) <= 5 for program in programs)  # inserts only: one instruction a generation


def test_credit_weights_follow_wins_and_stay_clipped():
    credit = Credit(3)
    for _ in range(400):
        credit.record([0], True)
        credit.record([1], False)
    weights = credit.weights()
    assert weights[0] > 1.0 > weights[1]
    assert MIN_WEIGHT <= min(weights) and max(weights) <= MAX_WEIGHT
    assert weights[2] == pytest.approx(1.0)  # an arm never tried keeps its prior


def test_one_generation_is_one_batch_and_children_age_out_the_oldest():
    params = EngineParams(input_dim=DIM, pop_size=12, batch_size=32, **SHAPE)
    assert params.batch_size == 3  # clipped to a quarter of the population
    engine = EvolveEngine(params, size_fitness, seed=4)
    first = engine.evolve_generation()
    assert first.evaluations == 12 + 3 and first.generation == 1
    oldest = [p for p, _ in first.population[:3]]
    second = engine.evolve_generation()
    assert second.evaluations == 18 and len(second.population) == 12
    assert all(all(p is not q for q, _ in second.population) for p in oldest)
    assert second.best_fitness >= max(first.best_fitness, *(f for _, f in second.population))


def test_a_stagnant_lineage_restarts_from_a_fresh_population_and_keeps_the_best():
    params = EngineParams(input_dim=DIM, pop_size=8, restart_after=20, **SHAPE)
    engine = EvolveEngine(params, lambda program: 1.0, seed=5)  # nothing ever improves
    for _ in range(6):
        engine.evolve_generation()
    assert engine.restarts == 0  # 8 + 6 * 2 evaluations: not yet 20 since the first best
    first_best = engine.best_program
    for _ in range(20):
        result = engine.evolve_generation()
    assert engine.restarts >= 2 and result.evaluations > 8 + 26 * 2  # each restart evaluates a population
    assert engine.best_program is first_best and engine.best_fitness == 1.0
    never = EvolveEngine(EngineParams(input_dim=DIM, pop_size=8, restart_after=0, **SHAPE), lambda p: 1.0, seed=5)
    for _ in range(26):
        never.evolve_generation()
    assert never.restarts == 0
