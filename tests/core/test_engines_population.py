"""Population snapshots and loading items into the engines (algorithm.md §15)."""

from __future__ import annotations

import json
import math

from core.dsl import to_dsl
from core.engines import ArchiveEngine, BaselineEngine
from tests.core.engines_support import small_params


def item(dsl, fitness=0.5, input_dim=2):
    return {"format": "dsl", "dsl": dsl, "input_dim": input_dim, "fitness": fitness}


def test_snapshot_items_carry_dsl_input_dim_and_null_for_minus_inf():
    engine = BaselineEngine(small_params(pop_size=3), lambda p: -math.inf if p.predict else 1.0, seed=0)
    engine.load_population([item("s0 = 1.0", None), item("# predict", 0.25)])
    snapshot = engine.population_snapshot()
    assert snapshot[0] == {"format": "dsl", "dsl": to_dsl(engine.population()[0][0]), "input_dim": 2,
                           "fitness": None}
    assert [entry["fitness"] for entry in snapshot] == [None, 0.25, 1.0]
    json.dumps(snapshot, allow_nan=False)


def test_archive_loads_programs_for_its_next_generation_padded_to_pop_size():
    calls = []
    engine = ArchiveEngine(small_params(pop_size=3), lambda p: calls.append(p) or 1.0, seed=0)
    engine.load_population([item("s0 = 1.0"), item("s0 = 2.0"), item("s0 = 3.0"), item("s0 = 4.0")])
    assert [to_dsl(p).splitlines()[-2] for p, _ in engine.population()] == ["s0 = 1.0", "s0 = 2.0", "s0 = 3.0"]
    assert calls == []  # scores come when the generation evaluates them
    engine.load_population([item("s0 = 1.0")])
    assert len(engine.population()) == 3 and engine.population()[2][0].instruction_count() == 0
