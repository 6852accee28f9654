"""Re-score a candidate exactly as a validator would (`python -m validator.score`), bounded in time.

The scoring runs in a child process so that it can be killed: a program too expensive to verify within the
time limit is refused (score −inf with the reason), never waited for. The validator settings come from the
environment (`validator_hyperparams.json` plus `VALIDATOR_*`), the same resolution a validator uses.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from miner.submitter.rule import Rescore

DEFAULT_TIMEOUT_S = 60.0
NEG_INF = float("-inf")


def _score_of(stdout: str) -> Rescore:
    lines = stdout.strip().splitlines()
    if not lines:
        return Rescore(NEG_INF, "the scorer printed nothing")
    try:
        result = json.loads(lines[-1])
    except ValueError:
        return Rescore(NEG_INF, f"the scorer printed {lines[-1][:200]!r}")
    score = result.get("score") if isinstance(result, dict) else None
    if isinstance(score, bool) or not isinstance(score, (int, float)):
        return Rescore(NEG_INF, (result.get("reason") if isinstance(result, dict) else None) or "no score")
    return Rescore(float(score))


def rescore(candidate: dict, timeout_s: float = DEFAULT_TIMEOUT_S, env: Mapping[str, str] | None = None) -> Rescore:
    """The validator's score of `candidate` (its DSL, task type and input_dim); −inf with a reason on failure."""
    dsl = candidate.get("algorithm_dsl")
    if not isinstance(dsl, str) or not dsl.strip():
        return Rescore(NEG_INF, "no algorithm_dsl")
    with tempfile.NamedTemporaryFile("w", suffix=".dsl", delete=False, encoding="utf-8") as handle:
        handle.write(dsl)
    argv = [sys.executable, "-m", "validator.score", handle.name, "--input-dim", str(candidate.get("input_dim")),
            "--json"]
    if candidate.get("task_type"):
        argv[4:4] = ["--task-type", str(candidate["task_type"])]
    try:
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 text=True, env=dict(env if env is not None else os.environ), start_new_session=True)
        try:
            stdout, stderr = child.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.communicate()
            return Rescore(NEG_INF, f"too expensive to verify: scoring took longer than {timeout_s:g} s")
    finally:
        Path(handle.name).unlink(missing_ok=True)
    if child.returncode != 0:
        last = (stderr.strip().splitlines() or [f"exit status {child.returncode}"])[-1]
        return Rescore(NEG_INF, f"the scorer failed: {last[:300]}")
    return _score_of(stdout)
