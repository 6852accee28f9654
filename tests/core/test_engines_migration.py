"""Island migration (algorithm.md §14): export, coordinator shuffle, import into the same slots."""

from __future__ import annotations

from collections import Counter

import pytest

from core.dsl import to_dsl
from core.engines import ArchiveEngine, BaselineEngine
from core.engines.migration import (
    MigrationDesync,
    MigrationRequest,
    coordinator_rng,
    exchange_migrants,
    migrate_in_process,
)
from tests.core.engines_support import CountingFitness, size_fitness, small_params


def requests(iterations=(10, 10, 10)):
    return [MigrationRequest(w, it, [{"dsl": f"w{w}-{i}"} for i in range(w + 1)]) for w, it in enumerate(iterations)]


def test_exchange_deals_each_worker_as_many_migrants_as_it_sent_from_the_shuffled_pool():
    dealt = exchange_migrants(requests(), coordinator_rng(7))
    assert {w: len(items) for w, items in dealt.items()} == {0: 1, 1: 2, 2: 3}
    pooled = Counter(i["dsl"] for r in requests() for i in r.migrants)
    assert Counter(i["dsl"] for items in dealt.values() for i in items) == pooled
    assert dealt == exchange_migrants(list(reversed(requests())), coordinator_rng(7))  # worker order, seeded
    shuffles = {tuple(i["dsl"] for i in exchange_migrants(requests(), coordinator_rng(s))[2]) for s in range(6)}
    assert len(shuffles) > 1


def test_workers_at_different_iterations_are_a_desync():
    with pytest.raises(MigrationDesync, match="migration desync"):
        exchange_migrants(requests((10, 10, 20)), coordinator_rng(0))


def test_baseline_exports_half_its_queue_and_reevaluates_newcomers_in_the_same_slots():
    fitness = [CountingFitness(), CountingFitness()]
    engines = [BaselineEngine(small_params(pop_size=8, mutation_prob=1.0), fitness[w], seed=3, worker_id=w)
               for w in range(2)]
    for engine in engines:
        for _ in range(30):
            engine.evolve_generation()
    before = [[to_dsl(p) for p, _ in e.population()] for e in engines]
    evaluations = [e.evaluations for e in engines]
    indices, items = engines[0].export_migrants()
    assert len(indices) == len(set(indices)) == 4 == len(items)

    migrate_in_process(engines, 30, coordinator_rng(3))
    after = [[to_dsl(p) for p, _ in e.population()] for e in engines]
    pool = Counter(before[0] + before[1])
    for w, engine in enumerate(engines):
        assert engine.evaluations == evaluations[w] + 4
        changed = sum(a != b for a, b in zip(before[w], after[w]))
        assert changed <= 4 and all(program in pool for program in after[w])
        assert engine.best_fitness == max(engine.best_fitness, *(f for _, f in engine.population()))
        assert all(f == size_fitness(p) for p, f in engine.population())


def test_archive_replaces_slots_of_its_next_population_without_evaluating():
    engines = [ArchiveEngine(small_params(pop_size=6), size_fitness, seed=5, worker_id=w) for w in range(2)]
    for engine in engines:
        engine.evolve_generation()
    evaluations = [e.evaluations for e in engines]
    next_before = [[to_dsl(p) for p in e.next_population] for e in engines]
    migrate_in_process(engines, 1, coordinator_rng(0))
    assert [e.evaluations for e in engines] == evaluations
    for w, engine in enumerate(engines):
        kept = sum(a == b for a, b in zip(next_before[w], (to_dsl(p) for p in engine.next_population)))
        assert kept >= 3
