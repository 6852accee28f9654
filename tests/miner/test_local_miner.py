"""The standalone miner's outputs (miner.md §6), the data set check (§4.1 step 3), `--exit-with-parent`
and SIGUSR1 detach (§2.2), and import hygiene."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import threading

import pytest

from core.datasets import DatasetUnavailable
from miner import local_miner, run
from miner.lifecycle import StopControl, StopRequest
from tests.helpers import wait_for
from tests.miner.conftest import REPO, TINY, tiny_args


def test_quiet_output_and_files(tmp_path, capsys):
    events, candidates = tmp_path / "events.jsonl", tmp_path / "candidates.jsonl"
    status = local_miner.main([*TINY, "--seed", "4", "--iterations", "30", "--log-every", "10",
                               "--validate-every", "10", "--quiet", "--events-out", str(events),
                               "--candidates-out", str(candidates), "--csv-dir", str(tmp_path / "csv"),
                               "--run-tag", "trial"])
    assert status == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed and all(line.startswith("[candidate] w0 iter ") for line in printed)
    all_events = [json.loads(line) for line in events.read_text().splitlines()]
    assert all_events[0]["type"] == "start" and all_events[-1] == {"type": "done",
                                                                   "event_id": all_events[-1]["event_id"]}
    assert len({e["event_id"] for e in all_events}) == len(all_events)
    written = [json.loads(line) for line in candidates.read_text().splitlines()]
    assert written == [e for e in all_events if e["type"] == "candidate"] and len(written) == len(printed)
    with open(tmp_path / "csv" / "trial" / "progress_w0.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["iteration"] for row in rows] == ["1", "10", "20", "30"]
    with open(tmp_path / "csv" / "trial" / "candidates.csv", newline="") as handle:
        assert [row["program_hash"] for row in csv.DictReader(handle)] == [c["program_hash"] for c in written]


def test_display_lines_on_stdout(capsys):
    assert local_miner.main([*TINY, "--seed", "4", "--iterations", "10", "--log-every", "5",
                             "--validate-every", "5"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "[coord] start task=scalar_linear engine=baseline workers=1 seed=4"
    assert lines[1].startswith("[w0] Iter 0001: engine_best=") and " rate=" in lines[1]
    assert any(line.startswith("[verify] w0 iter 5: verified_score=") for line in lines)
    assert lines[-3:] == ["[w0] done", "[coord] shutdown: finished, 0 events dropped", "[coord] done"]


def test_unavailable_data_set_reports_the_text_and_exits_1(monkeypatch):
    text = "CIFAR-10 is not available: CIFAR_10_small.arff.gz missing in /nowhere (download it on a connected machine)"

    def unavailable(name):
        assert name == "cifar10"
        raise DatasetUnavailable(text)

    monkeypatch.setattr(run, "ensure_dataset", unavailable)  # the one data-set download seam
    events: list[dict] = []
    args = tiny_args("--task-type", "cifar10_binary", "--seed", "1")
    assert run.MinerRun(args, events.append).execute() == 1
    assert [e["type"] for e in events] == ["start", "error", "shutdown", "done"]
    assert events[1]["message"] == text
    assert events[2]["message"] == "[coord] shutdown: failed, 0 events dropped"


def test_miner_stops_when_its_parent_is_gone(spawn_miner):
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    miner = spawn_miner("scripts.miner_local_og", *TINY, "--iterations", "0", "--log-every", "50",
                        "--validate-every", "0", "--exit-with-parent", str(parent.pid))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(miner.stdout.read().decode().splitlines()), daemon=True)
    reader.start()
    try:
        parent.kill()
        parent.wait(10)
        assert miner.wait(30) == 0
    finally:
        if parent.poll() is None:
            parent.kill()
    reader.join(10)
    assert f"[coord] shutdown: stopped (parent process {parent.pid} is gone), 0 events dropped" in lines
    assert lines[-1] == "[coord] done"


def test_sigusr1_detaches_from_the_parent():
    parent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    stop = StopRequest()
    try:
        with StopControl(stop, parent.pid) as control:
            os.kill(os.getpid(), signal.SIGUSR1)
            wait_for(lambda: not control._watch._thread.is_alive(), timeout=10, what="the watch to end")
            parent.kill()
            parent.wait(10)
        assert not stop.requested
    finally:
        if parent.poll() is None:
            parent.kill()


def test_headless_imports_never_pull_in_textual():
    code = ("import sys, miner.sidecar_miner, miner.local_miner, miner.coordinator, benchmarks.profiling.one_iter, "
            "benchmarks.profiling.gui_like, benchmarks.profiling.pstats_summary, tui.logic.log_lines, tui.logic.stats, "
            "tui.logic.line_buffer, scripts.miner_local_og_sidecar, scripts.profile_gui_like; "
            "from benchmarks.profiling.gui_like import GuiLogSimulator; GuiLogSimulator(10); "
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.parametrize("shim", ["miner_local_og_sidecar", "miner_local_og", "profile_miner_local_one_iter",
                                  "profile_gui_like", "pstats_calls_summary"])
def test_shims_forward_to_the_real_command(shim):
    result = subprocess.run([sys.executable, "-m", f"scripts.{shim}", "--help"], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith(("usage: python -m miner.",
                                                                "usage: python -m benchmarks.profiling."))
