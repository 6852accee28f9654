"""The miner's initial population: items for one worker from each layout a population file comes in (§15)."""

from __future__ import annotations

import json

import pytest

from core.engines.population import PopulationFileError
from miner.initial_population import load_population_items


def item(dsl, fitness=0.5, input_dim=2):
    return {"format": "dsl", "dsl": dsl, "input_dim": input_dim, "fitness": fitness}


def load(source, **overrides):
    options = dict(task_type="scalar_linear", engine="baseline", worker_id=1, input_dim=2)
    return load_population_items(source, **{**options, **overrides})


def test_state_file_gives_each_worker_its_population(tmp_path):
    state = {"version": 1, "task_type": "scalar_linear", "engine": "baseline", "run_id": "r", "updated_at_s": 1.0,
             "workers": {"0": {"iteration": 5, "population": [item("s0 = 0.0")]},
                         "1": {"iteration": 7, "population": [item("s0 = 1.0"), item("s0 = 2.0")]}}}
    path = tmp_path / "population_state.json"
    path.write_text(json.dumps(state))
    assert [i["dsl"] for i in load(path)] == ["s0 = 1.0", "s0 = 2.0"]
    assert [i["dsl"] for i in load(path, worker_id=4)] == ["s0 = 0.0"]  # no entry: lowest worker's


def test_population_object_events_and_bare_lists_are_accepted():
    assert [i["dsl"] for i in load({"population": [item("s0 = 3.0")]})] == ["s0 = 3.0"]
    assert [i["dsl"] for i in load([item("s0 = 4.0")])] == ["s0 = 4.0"]
    events = [
        {"worker_id": 1, "iteration": 10, "task_type": "scalar_linear", "engine": "baseline",
         "population": [item("s0 = 5.0")]},
        {"worker_id": 1, "iteration": 20, "task_type": "scalar_linear", "engine": "baseline",
         "population": [item("s0 = 6.0")]},
        {"worker_id": 1, "iteration": 30, "task_type": "cifar10_binary", "engine": "baseline",
         "population": [item("s0 = 7.0")]},
        {"worker_id": 0, "iteration": 40, "task_type": "scalar_linear", "engine": "baseline",
         "population": [item("s0 = 8.0")]},
    ]
    assert [i["dsl"] for i in load(events)] == ["s0 = 6.0"]  # latest of this worker, matching task
    assert [i["dsl"] for i in load(events, worker_id=3)] == ["s0 = 8.0"]  # latest matching of any worker


def test_metadata_must_match_when_present():
    with pytest.raises(PopulationFileError, match="task type"):
        load({"task_type": "mnist_binary", "population": []})
    with pytest.raises(PopulationFileError, match="engine"):
        load({"engine": "archive", "population": []})
    assert load({"engine": "ga", "population": []}) == []  # ga is baseline
    with pytest.raises(PopulationFileError, match="no population event"):
        load([{"task_type": "mnist_binary", "population": []}])


def test_bad_sources_give_clear_errors(tmp_path):
    with pytest.raises(PopulationFileError, match="cannot read"):
        load(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("[1,")
    with pytest.raises(PopulationFileError, match="not valid JSON"):
        load(broken)
    with pytest.raises(PopulationFileError, match="input_dim 16"):
        load([item("s0 = 1.0", input_dim=16)])
    with pytest.raises(PopulationFileError, match="'dsl' string"):
        load([{"fitness": 1.0}])
    with pytest.raises(PopulationFileError, match="neither"):
        load({"version": 1})
