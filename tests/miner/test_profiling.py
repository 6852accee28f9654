"""The profiling tools (miner.md §7, in `benchmarks/profiling/`) write loadable `.pstats` files; the summary reads them."""

from __future__ import annotations

import json
import pstats

import pytest

from benchmarks.profiling import gui_like, one_iter, pstats_summary
from tests.miner.conftest import TINY


@pytest.fixture(autouse=True)
def restore_environment(monkeypatch):
    """The tools set BITSOTA_EVALUATOR (and may export config env); undo that after each test."""
    monkeypatch.setenv("BITSOTA_EVALUATOR", "auto")
    monkeypatch.setenv("BITSOTA_PROBLEM_CONFIG", "/nonexistent/problem_config.json")


def summary_lines(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line)


def test_one_iter_profiles_the_requested_generations(tmp_path, capsys):
    out = tmp_path / "one.pstats"
    assert one_iter.main([*TINY, "--generations", "30", "--fec-cache-size", "50", "--evaluator", "canonical",
                          "--out", str(out)]) == 0
    printed = summary_lines(capsys.readouterr().out)
    assert printed["evaluator"] == "canonical" and printed["profiled_generations"] == "30"
    assert int(printed["evaluations"]) == 30  # baseline: one child per generation
    assert float(printed["ns_per_instruction_example"]) > 0
    assert float(printed["fec_hit_rate"]) >= 0
    stats = pstats.Stats(str(out))
    assert stats.total_calls == int(printed["total_calls"])
    assert any(name == "evolve_generation" for _, _, name in stats.stats)


def test_gui_like_runs_the_worker_loop_through_the_tui_display_logic(tmp_path, capsys):
    out = tmp_path / "gui.pstats"
    assert gui_like.main([*TINY, "--generations", "20", "--checkpoint-generations", "5", "--validate-every", "4",
                          "--sink-lines", "10", "--out", str(out)]) == 0
    printed = summary_lines(capsys.readouterr().out)
    # iterations 2..21: progress at 5, 10, 15, 20 and the last (21); population at the same four marks;
    # at least one [verify] line, never a candidate under the 1e9 threshold
    assert int(printed["events_emitted"]) >= 10
    assert int(printed["lines_sunk"]) == int(printed["events_emitted"])
    assert float(printed["event_handling_seconds"]) >= 0 and float(printed["evolution_seconds"]) > 0
    stats = pstats.Stats(str(out))
    functions = {name for _, _, name in stats.stats}
    assert {"step", "event_line", "flush_if_due", "stats_from_state", "validate"} <= functions


def test_gui_like_without_the_simulated_handler(tmp_path, capsys):
    out = tmp_path / "plain.pstats"
    assert gui_like.main([*TINY, "--generations", "5", "--no-simulate-gui-log-handler", "--out", str(out)]) == 0
    printed = summary_lines(capsys.readouterr().out)
    assert printed["lines_sunk"] == "0"
    assert "event_line" not in {name for _, _, name in pstats.Stats(str(out)).stats}


def test_gui_like_takes_the_cadence_from_the_problem_config(tmp_path, capsys, monkeypatch):
    config = tmp_path / "problem_config.json"
    config.write_text(json.dumps({"mining": {"checkpoint_generations": 3, "validate_every": 0}}))
    monkeypatch.setenv("BITSOTA_PROBLEM_CONFIG", str(config))
    out = tmp_path / "config.pstats"
    assert gui_like.main([*TINY, "--generations", "6", "--no-simulate-gui-log-handler", "--out", str(out)]) == 0
    # iterations 2..7: progress and population at 3 and 6, progress at the last (7)
    assert summary_lines(capsys.readouterr().out)["events_emitted"] == "5"


@pytest.fixture
def two_profiles(tmp_path, capsys):
    paths = []
    for generations in (5, 10):
        path = tmp_path / f"p{generations}.pstats"
        one_iter.main([*TINY, "--generations", str(generations), "--out", str(path)])
        paths.append(str(path))
    capsys.readouterr()  # only the summary tool's output is under test
    return paths


def test_summary_of_one_file(two_profiles, capsys):
    assert pstats_summary.main([two_profiles[0], "--top", "5", "--sort", "tottime"]) == 0
    text = capsys.readouterr().out
    assert text.startswith(f"== {two_profiles[0]}\ntotal_calls=")
    assert "comparison" not in text
    table = text.split("function\n", 1)[1].strip().splitlines()
    assert len(table) == 5


def test_summary_compares_several_files_as_json(two_profiles, capsys):
    assert pstats_summary.main([*two_profiles, "--json", "--top", "50", "--filter", "engines"]) == 0
    document = json.loads(capsys.readouterr().out)
    first, second = document["files"]
    assert second["total_calls"] > first["total_calls"]
    assert all("engines" in row["function"] for row in first["top"])
    evolve = next(e for e in document["comparison"] if e["function"].endswith("(evolve_generation)"))
    assert evolve["calls"] == [5, 10] and evolve["ratio_to_first"] == [1.0, 2.0]


def test_summary_of_an_unreadable_file_exits_1(tmp_path, capsys):
    bad = tmp_path / "bad.pstats"
    bad.write_text("not a profile")
    assert pstats_summary.main([str(bad)]) == 1
    assert capsys.readouterr().err.startswith("error: cannot read")


def test_gui_like_can_post_to_a_real_sidecar(tmp_path, capsys, sidecar):
    url, client = sidecar
    assert gui_like.main([*TINY, "--generations", "4", "--checkpoint-generations", "2", "--validate-every", "0",
                          "--sidecar-url", url, "--out", str(tmp_path / "posted.pstats")]) == 0
    emitted = int(summary_lines(capsys.readouterr().out)["events_emitted"])
    [run] = client.runs()["runs"]
    messages = [item["message"] for item in client.logs(0, run_id=run["run_id"]).items]
    assert len([m for m in messages if m.startswith("[w0] Iter")]) >= emitted // 2
