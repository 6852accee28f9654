"""`--once` (pool.md §7.6): golden frames of render_text, exit codes, and the command against a real pool."""

from __future__ import annotations

import subprocess
import sys

from pool_monitor.render_text import exit_code, render_frame
from tests.pool.conftest import sqlite_settings, uvicorn_pool
from tests.pool.monitor_data import healthy, no_summary, unreachable

HEALTHY_FRAME = """\
BITSOTA url=http://127.0.0.1:8434 task=cifar10_binary at=2026-03-01T12:00:05Z
health status=healthy window=3 remaining=41:20 block=0
miners online=3 total=5 active=2
tasks issued_per_min=12 completed_per_min=11 expired_15m=0 overdue=0
consensus rate=0.92 pending=4 reached=23 no_consensus=2 agreement=0.96
sota score=0.812500 algorithm=57 miner=5F3sa2…YjQX history=▁▃▃▅▆▇█
relay enabled=false
leaderboard
  1 5F3sa2…YjQX rep=41.0 window=12.0 eval=40 evo=3
  2 5DAAnr…TXFy rep=17.0 window=— eval=20 evo=1
events
  12:00:01 consensus consensus algorithm=57 score=0.812500 k=3
  11:59:40 evolved evolved algorithm=57 parents=[12]"""


def test_healthy_frame_is_golden():
    assert render_frame(healthy(), width=80) == HEALTHY_FRAME
    assert exit_code(healthy()) == 0


def test_header_keeps_the_time_whole():
    snapshot = healthy()
    assert render_frame(snapshot, width=120).splitlines()[0] == \
        "BITSOTA POOL MONITOR  url=http://127.0.0.1:8434  task=cifar10_binary  at=2026-03-01T12:00:05Z"
    snapshot.url = "https://pool.example-operator.net:8434"
    header = render_frame(snapshot, width=80).splitlines()[0]
    assert header == "BITSOTA url=https://poo…tor.net:8434 task=cifar10_binary at=2026-03-01T12:00:05Z"
    assert len(header) == 80


def test_unreachable_and_degraded_frames():
    frame = render_frame(unreachable(), width=120)
    assert frame.splitlines()[1] == "health status=unreachable error=connection refused"
    assert len(frame.splitlines()) == 2 and exit_code(unreachable()) == 2
    degraded = render_frame(no_summary(), width=120, ascii_only=True)
    assert "summary n/a (401 token required)" in degraded and "sota score=0.750000 algorithm=12" in degraded
    assert exit_code(no_summary()) == 1
    assert all(len(line) <= 40 for line in render_frame(healthy(), width=40).splitlines())


def test_once_against_a_real_pool_exits_0_without_textual(tmp_path):
    with uvicorn_pool(sqlite_settings(tmp_path)) as url:
        code = (f"import sys; from pool_monitor.cli import main; rc = main(['--pool-url', {url!r}, '--once']); "
                "assert 'textual' not in sys.modules; sys.exit(rc)")
        once = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert once.returncode == 0, once.stderr
    assert "consensus rate=— pending=4" in once.stdout
