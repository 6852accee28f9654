"""The miners, the pool worker and the pool driver at the edges, as real processes: output paths that cannot be
written, an unusable BITSOTA_EVALUATOR and URLs that are not URLs are one line and exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TINY = ("--task-type", "scalar_linear", "--iterations", "2")


def run(module: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


@pytest.mark.parametrize(("module", "flag"), [
    ("scripts.miner_local_og", "--events-out"),
    ("scripts.miner_local_og", "--candidates-out"),
    ("scripts.miner_local_og", "--csv-dir"),
    ("scripts.miner_local_og_sidecar", "--csv-dir"),
])
def test_an_output_path_that_cannot_be_written_is_one_line(tmp_path, module, flag):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = run(module, *TINY, flag, str(blocker / "out"))
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: cannot write {blocker}") and done.stderr.count("\n") == 1
    assert done.stdout == ""  # stopped before the run started


@pytest.mark.parametrize("module", ["scripts.miner_local_og", "scripts.miner_local_og_sidecar",
                                    "scripts.pool_miner_sidecar", "validator.score"])
def test_an_unknown_evaluator_is_one_line(module, tmp_path):
    args = {"scripts.pool_miner_sidecar": (), "validator.score": (str(tmp_path / "p.dsl"),)}.get(module, TINY)
    (tmp_path / "p.dsl").write_text("# predict\ns0 = 0.25\n")
    done = run(module, *args, env={"BITSOTA_EVALUATOR": "quick"})
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert "BITSOTA_EVALUATOR must be one of auto, fast, canonical, not 'quick'" in done.stderr


@pytest.mark.parametrize(("module", "flag"), [
    ("scripts.miner_local_og_sidecar", "--sidecar-url"),
    ("scripts.pool_miner_sidecar", "--sidecar-url"),
    ("scripts.pool_sidecar_driver", "--sidecar-url"),
    ("scripts.pool_sidecar_driver", "--pool-url"),
])
def test_a_url_that_is_not_a_url_is_a_usage_error(module, flag):
    done = run(module, flag, "127.0.0.1:8123")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert f"argument {flag}: not an http(s) URL: '127.0.0.1:8123'" in done.stderr


def test_pool_worker_usage_errors_are_one_line():
    done = run("scripts.pool_miner_sidecar", "--workers", "0")
    assert done.returncode == 2
    assert done.stderr == "python -m scripts.pool_miner_sidecar: error: --workers must be >= 1\n"
