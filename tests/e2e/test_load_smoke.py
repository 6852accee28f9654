"""The load tools (`benchmarks.load_relay`, `benchmarks.load_pool`) for a few seconds: they start the service as
a second process, drive it with signed clients, and report no 5xx and no lost writes. The 60 s runs and their
numbers are in docs/performance.md."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.e2e.services import ROOT, base_env


def run_tool(module: str, *args: str) -> dict[str, str]:
    done = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=base_env(), capture_output=True,
                          text=True, timeout=120)
    report = dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)
    assert done.returncode == 0, done.stdout + done.stderr
    return report


@pytest.mark.parametrize("module, written", [("benchmarks.load_relay", "submissions_acknowledged"),
                                             ("benchmarks.load_pool", "evolutions_acknowledged")])
def test_short_load_run_has_no_server_errors_and_no_lost_writes(module, written):
    report = run_tool(module, "--seconds", "3", "--clients", "4")
    assert (report["errors_5xx"], report["transport_errors"], report["lost_writes"]) == ("0", "0", "0")
    assert int(report[written]) > 0
    assert int(report["status_2xx"]) + int(report["status_4xx"]) == int(report["requests"]) > 0
    assert float(report["p99_ms"]) >= float(report["p50_ms"]) > 0
