"""Flags and the problem-config merge rule (miner.md §2, §3.1, §3.4)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from miner import problem_config
from miner.options import UNLIMITED_ITERATIONS, UsageError, add_sidecar_arguments, miner_parser, parse_options
from tests.miner.conftest import REPO


def parse(argv, config: dict | None = None, tmp_path=None):
    if config is not None:
        path = tmp_path / "problem_config.json"
        path.write_text(json.dumps(config))
        argv = ["--config", str(path), *argv]
    return parse_options(miner_parser("test", "test"), argv)


# ---------------------------------------------------------------- the merge table

@pytest.mark.parametrize("config, expected", [
    # later layers win: top level < mining < mining.engine_params < args
    ({"pop_size": 1, "mining": {"pop_size": 2}}, {"pop_size": 2}),
    ({"mining": {"pop_size": 2, "engine_params": {"pop_size": 3}}}, {"pop_size": 3}),
    ({"mining": {"engine_params": {"pop_size": 3}}, "args": {"pop_size": 4}}, {"pop_size": 4}),
    # a null never erases a lower layer
    ({"mining": {"validate_every": 7}, "args": {"validate_every": None}}, {"validate_every": 7}),
    ({"mining": {"engine_params": {"tournament_size": 5}}, "args": {"tournament_size": None}}, {"tournament_size": 5}),
    # aliases and dashes
    ({"mining": {"engine_type": "archive"}}, {"engine": "archive"}),
    ({"mining": {"engine_params": {"scalar_count": 4, "vector_count": 3, "matrix_count": 1}}},
     {"scalar_regs": 4, "vector_regs": 3, "matrix_regs": 1}),
    ({"mining": {"engine_params": {"phase_max_sizes": {"setup": 7, "predict": 11, "learn": 23}}}},
     {"setup_max_ops": 7, "predict_max_ops": 11, "learn_max_ops": 23}),
    ({"mining": {"miner_validate_every_n_generations": 12}}, {"validate_every": 12}),
    ({"args": {"validate_every_n_generations": 13}}, {"validate_every": 13}),
    ({"args": {"log-every": 9, "feature-dim": 8}}, {"log_every": 9, "feature_dim": 8}),
    # within one layer the canonical key wins over its alias
    ({"args": {"engine_type": "archive", "engine": "baseline"}}, {"engine": "baseline"}),
    # an alias in a higher layer beats the canonical key below it
    ({"mining": {"engine": "baseline"}, "args": {"engine_type": "archive"}}, {"engine": "archive"}),
])
def test_merge_table(config, expected):
    merged = problem_config.merged_options(config)
    assert {key: merged.get(key) for key in expected} == expected


def test_private_section_and_unknown_keys_are_not_options():
    merged = problem_config.merged_options({
        "_notes": {"about": "x"}, "_private": 1, "env": {"A": "1"},
        "mining": {"checkpoint_generations": 1000, "env": {"B": "2"}, "engine_params": {"pop_size": 5}},
        "args": {"workers": 2},
    })
    assert "_notes" not in merged and "_private" not in merged
    assert not {"mining", "args", "env", "engine_params"} & merged.keys()
    assert merged["pop_size"] == 5 and merged["workers"] == 2


def test_config_values_become_defaults_and_flags_win(tmp_path):
    config = {"mining": {"engine_params": {"pop_size": 33}, "validate_every": 44},
              "args": {"task_type": "scalar_linear", "workers": 2, "verbose": True, "not_an_option": 1}}
    args = parse(["--workers", "3"], config, tmp_path)
    assert (args.pop_size, args.validate_every, args.task_type, args.verbose) == (33, 44, "scalar_linear", True)
    assert args.workers == 3


def test_config_strings_are_converted_to_the_option_type(tmp_path):
    args = parse([], {"args": {"pop_size": "12", "sota_threshold": "0.5", "verbose": "false", "iterations": 5.0}},
                 tmp_path)
    assert (args.pop_size, args.sota_threshold, args.verbose, args.iterations) == (12, 0.5, False, 5)


@pytest.mark.parametrize("config, option", [
    ({"args": {"pop_size": "many"}}, "--pop-size"),
    ({"args": {"pop_size": 2.5}}, "--pop-size"),
    ({"args": {"mutation_prob": "high"}}, "--mutation-prob"),
    ({"args": {"verbose": "sometimes"}}, "--verbose"),
    ({"mining": {"engine_params": {"pop_size": 0}}}, "--pop-size"),
])
def test_bad_config_values_name_the_option(tmp_path, config, option):
    with pytest.raises(UsageError, match=option):
        parse([], config, tmp_path)


def test_config_that_is_not_an_object_is_a_usage_error(tmp_path):
    path = tmp_path / "problem_config.json"
    path.write_text("[1, 2]")
    with pytest.raises(UsageError, match="--config"):
        parse_options(miner_parser("test", "test"), ["--config", str(path)])


# ---------------------------------------------------------------- env

def test_environment_is_stringified_and_empty_values_dropped():
    config = {"mining": {"env": {"A": "mining", "B": True, "C": ""}}, "env": {"A": "top", "D": 5, "E": None}}
    assert problem_config.environment(config) == {"A": "top", "B": "1", "D": "5"}


def test_environment_is_exported_only_where_unset():
    environ = {"KEEP": "mine"}
    exported = problem_config.export_environment({"KEEP": "theirs", "NEW": "1"}, environ)
    assert exported == ["NEW"]
    assert environ == {"KEEP": "mine", "NEW": "1"}


def test_parse_options_carries_the_config_env(tmp_path):
    args = parse([], {"env": {"MINER_X": 1}, "mining": {"env": {"MINER_Y": False}}}, tmp_path)
    assert args.config_env == {"MINER_Y": "0", "MINER_X": "1"}


# ---------------------------------------------------------------- validation

@pytest.mark.parametrize("argv, message", [
    (["--workers", "0"], "--workers must be at least 1"),
    (["--pop-size", "0"], "--pop-size must be at least 1"),
    (["--scalar-regs", "1"], "--scalar-regs must be between 2 and 20"),
    (["--vector-regs", "11"], "--vector-regs must be between 1 and 10"),
    (["--matrix-regs", "65"], "--matrix-regs must be between 0 and 64"),
    (["--feature-dim", "1025"], "--feature-dim must be between 1 and 1024"),
    (["--validate-every", "-1"], "--validate-every must be at least 0"),
    (["--log-every", "0"], "--log-every must be at least 1"),
    (["--task-type", "imagenet"], "--task-type: unknown task type"),
    (["--engine", "turbo"], "--engine: unknown engine"),
    (["--train-examples", "10"], "--train-examples and --val-examples must be given together"),
    (["--feature-dim", "8", "--vector-dim", "4"], "--vector-dim must be at least --feature-dim"),
    (["--checkpoint-every", "5"], "--checkpoint-dir"),
    (["--sota-threshold", "nan"], "--sota-threshold must be a finite number"),
    (["--log-level", "chatty"], "--log-level must be one of"),
    (["--pop-size", "x"], "--pop-size: invalid int value"),
    (["--op-space", "every"], "--op-space: invalid choice"),
    (["--no-such-flag"], "unrecognized arguments"),
])
def test_invalid_values_raise_one_line(argv, message):
    with pytest.raises(UsageError) as error:
        parse(argv)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_names_are_normalised_and_zero_iterations_mean_unlimited():
    args = parse(["--task-type", " Scalar_Linear ", "--engine", "GA", "--iterations", "0"])
    assert (args.task_type, args.engine, args.iterations) == ("scalar_linear", "baseline", UNLIMITED_ITERATIONS)


def test_the_op_space_reaches_the_engine():
    from miner.worker import engine_params

    assert engine_params(parse(["--feature-dim", "4"])).op_space == "all"
    assert engine_params(parse(["--feature-dim", "4", "--op-space", "automl-zero-demo"])).op_space == "automl-zero-demo"


def test_sidecar_flags_fall_back_to_the_environment(monkeypatch):
    monkeypatch.setenv("BITSOTA_SIDECAR_RUN_ID", "run-from-env")
    monkeypatch.setenv("BITSOTA_SIDECAR_BATCH_SIZE", "7")
    parser = miner_parser("test", "test")
    add_sidecar_arguments(parser)
    args = parse_options(parser, ["--sidecar-flush-seconds", "0.5"])
    assert (args.run_id, args.sidecar_batch_size, args.sidecar_flush_seconds) == ("run-from-env", 7, 0.5)
    assert args.follow_sota is True


@pytest.mark.parametrize("module", ["scripts.miner_local_og_sidecar", "scripts.miner_local_og"])
def test_cli_usage_error_exits_2_with_one_line(module):
    result = subprocess.run([sys.executable, "-m", module, "--pop-size", "0"], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "--pop-size must be at least 1, got 0" in result.stderr


# ---------------------------------------------------------------- the shipped example

def test_shipped_example_is_the_spec_example(shared_dir):
    spec = (shared_dir / "spec" / "miner.md").read_text()
    block = spec.split("### 3.4 Shipped example (`problem_config.json.example`)\n```json\n")[1].split("```")[0]
    shipped = (REPO / "problem_config.json.example").read_text()
    expected = json.loads(block)
    expected["mining"]["engine"] = "evolve"  # CHANGES.md item 2: the new engine is the miners' default
    # issue 11: evolve drawing the AutoML-Zero demo's six ops finds learning rules on the projected tasks where
    # all opcodes find none (docs/performance.md, "The settings a miner gets")
    expected["mining"]["engine_params"]["op_space"] = "automl-zero-demo"
    assert json.loads(shipped) == expected


def test_shipped_example_parses_as_miner_options():
    args = parse_options(miner_parser("test", "test"), ["--config", str(REPO / "problem_config.json.example")])
    assert (args.engine, args.miner_task_count, args.validate_every, args.pop_size) == ("evolve", 10, 1000, 100)
    assert args.op_space == "automl-zero-demo"
    assert (args.setup_max_ops, args.predict_max_ops, args.learn_max_ops) == (7, 11, 23)
    assert (args.scalar_regs, args.vector_regs, args.matrix_regs, args.log_every) == (5, 9, 2, 1000)
    assert args.validator_task_count is None and args.iterations == UNLIMITED_ITERATIONS
    assert args.config_env == {"MINER_SUBMISSION_COOLDOWN_SECONDS": "60"}


def test_parsed_options_are_read_only_and_survive_pickling():
    import pickle

    args = parse(["--pop-size", "7"])
    with pytest.raises(AttributeError, match="read-only"):
        args.pop_size = 8
    changed = args.replace(pop_size=8)
    assert (args.pop_size, changed.pop_size) == (7, 8)
    with pytest.raises(AttributeError, match="no such miner options"):
        args.replace(pop_sise=8)
    assert pickle.loads(pickle.dumps(changed)) == changed  # worker processes receive them pickled
