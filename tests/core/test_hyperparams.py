"""Validator and miner hyperparameters: shipped files, lookup order, env overrides and lenient coercion."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from core import hyperparams as hp


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in (*hp.VALIDATOR_PATH_VARS, *hp.MINER_PATH_VARS, "VALIDATOR_TASK_COUNT", "VALIDATOR_TASK_SEED",
                 "LOG_VALIDATOR_TASK_SCORES", *hp._MINER_ENV_VARS):
        monkeypatch.delenv(name, raising=False)


def _without_source(settings) -> dict:
    values = {f.name: getattr(settings, f.name) for f in fields(settings) if f.name != "source"}
    if "tasks" in values:
        values["tasks"] = dict(values["tasks"])
    return values


def test_shipped_files_equal_the_built_in_defaults():
    validator = hp.validator_hyperparams()
    assert validator.source.endswith("validator_hyperparams.json")
    assert _without_source(validator) == _without_source(hp.ValidatorHyperparams())
    assert (validator.task_count, validator.task_seed, validator.scalar_linear_large_suite) == (128, 1337, "reference")
    miner = hp.miner_hyperparams()
    assert miner.source.endswith("miner_hyperparams.json")
    assert _without_source(miner) == _without_source(hp.MinerHyperparams())
    assert miner.fec_cache_size == 100000 and miner.validator_task_count is None


def test_task_overrides_per_type(tmp_path, monkeypatch):
    defaults = hp.validator_hyperparams()
    assert defaults.task_overrides("cifar10_binary") == {"n_samples": 2000, "train_split": 0.5}
    assert defaults.task_overrides("scalar_linear") == {"train_samples": 1000, "val_samples": 1000}
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"tasks": {"Scalar_Linear": {"n_samples": 300}, "mnist_binary": {
        "n_samples": "0", "train_split": 1.5}}}))
    monkeypatch.setenv("VALIDATOR_HYPERPARAMS_PATH", str(path))
    settings = hp.validator_hyperparams()
    assert settings.task_overrides("scalar_linear") == {"train_samples": 300, "val_samples": 300}
    assert settings.task_overrides("mnist_binary") == {"n_samples": 1}  # raised to 1; train_split outside (0,1) unset
    assert settings.task_overrides("cifar10_binary") == {"n_samples": 2000, "train_split": 0.5}


def test_lenient_coercion_of_a_messy_file(tmp_path, monkeypatch):
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"epochs": 0, "task_count": "8", "task_seed": -4, "default_task_type": " MNIST_binary",
                                "default_input_dim": "abc", "log_task_scores": "yes", "max_input_dim": 64.0,
                                "scalar_linear_large_suite": "Extended"}))
    monkeypatch.setenv("BITSOTA_VALIDATOR_HYPERPARAMS_PATH", str(path))
    monkeypatch.setenv("VALIDATOR_HYPERPARAMS_PATH", str(tmp_path / "ignored.json"))
    s = hp.validator_hyperparams()
    assert (s.epochs, s.task_count, s.task_seed, s.default_task_type) == (1, 8, 0, "mnist_binary")
    assert (s.default_input_dim, s.log_task_scores, s.max_input_dim) == (16, True, 64)
    assert s.scalar_linear_large_suite == "extended" and s.source == str(path)


def test_unknown_task_type_and_bad_files_fall_back(tmp_path, monkeypatch, caplog):
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"default_task_type": "imagenet", "scalar_linear_large_suite": "both"}))
    monkeypatch.setenv("VALIDATOR_HYPERPARAMS_PATH", str(path))
    s = hp.validator_hyperparams()
    assert s.default_task_type == "cifar10_binary" and s.scalar_linear_large_suite == "reference"
    path.write_text("{not json")
    with caplog.at_level("WARNING"):
        assert hp.validator_hyperparams().source == "built-in defaults"
    assert "unusable" in caplog.text
    path.write_text("[1, 2]")
    assert hp.validator_hyperparams().task_count == 128
    monkeypatch.setenv("VALIDATOR_HYPERPARAMS_PATH", str(tmp_path / "missing.json"))
    assert hp.validator_hyperparams().source == "built-in defaults"


def test_env_overrides_apply_when_non_empty_and_parseable(monkeypatch):
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "8")
    monkeypatch.setenv("VALIDATOR_TASK_SEED", "42")
    monkeypatch.setenv("LOG_VALIDATOR_TASK_SCORES", "on")
    s = hp.validator_hyperparams()
    assert (s.task_count, s.task_seed, s.log_task_scores) == (8, 42, True)
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "many")
    monkeypatch.setenv("VALIDATOR_TASK_SEED", "")
    s = hp.validator_hyperparams()
    assert (s.task_count, s.task_seed) == (128, 1337)
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "0")
    assert hp.validator_hyperparams().task_count == 1


def test_results_are_cached_per_path_and_env(monkeypatch):
    first = hp.validator_hyperparams()
    assert hp.validator_hyperparams() is first
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "4")
    assert hp.validator_hyperparams() is not first


def test_miner_env_overrides_and_coercion(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    path.write_text(json.dumps({"miner_task_count": 0, "fec_cache_size": "12", "validator_task_count": "16",
                                "sota_cache_seconds": -3, "submission_cooldown_seconds": "2.5"}))
    monkeypatch.setenv("MINER_HYPERPARAMS_PATH", str(path))
    monkeypatch.setenv("MINER_FEC_FORGET_EVERY", "7")
    monkeypatch.setenv("MINER_TASK_SEED", "x")
    m = hp.miner_hyperparams()
    assert (m.miner_task_count, m.fec_cache_size, m.validator_task_count) == (1, 12, 16)
    assert (m.fec_forget_every, m.miner_task_seed) == (7, 0)
    assert (m.sota_cache_seconds, m.submission_cooldown_seconds) == (30.0, 2.5)
    monkeypatch.setenv("MINER_SUBMISSION_COOLDOWN_SECONDS", "9")
    assert hp.miner_hyperparams().submission_cooldown_seconds == 9.0


@pytest.mark.parametrize("value, expected", [("12", 12), (" 7 ", 7), (3.0, 3), (3.5, None), (True, None),
                                             ("1e3", 1000), ("nan", None), (None, None), ([1], None)])
def test_as_int(value, expected):
    assert hp.as_int(value, None) == expected
