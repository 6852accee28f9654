"""core.atomic_file: a replaced file is the old one or the new one, never a mix, even under kill -9."""

from __future__ import annotations

import json
import math
import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.atomic_file import write_atomic, write_json_atomic
from tests.helpers import wait_for

REPO = Path(__file__).resolve().parents[2]


def test_json_replaces_the_file_and_passes_dump_options(tmp_path):
    path = tmp_path / "deep" / "state.json"
    write_json_atomic(path, {"b": 1, "a": 2})
    write_json_atomic(path, {"b": 3, "a": 4}, indent=2, sort_keys=True)
    assert path.read_text(encoding="utf-8") == '{\n  "a": 4,\n  "b": 3\n}'
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "state.json"
    write_json_atomic(path, {"generation": 1})
    with pytest.raises(ValueError):
        write_json_atomic(path, {"generation": math.nan}, allow_nan=False)
    assert json.loads(path.read_text(encoding="utf-8")) == {"generation": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_bytes_and_file_mode(tmp_path):
    path = tmp_path / "secret.bin"
    write_atomic(path, lambda handle: handle.write(b"\x00\x01"), file_mode=0o600)
    assert path.read_bytes() == b"\x00\x01" and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_kill_9_mid_rewrite_leaves_a_whole_file(tmp_path):
    path = tmp_path / "state.json"
    writer = ("import sys\nfrom core.atomic_file import write_json_atomic\ni = 0\n"
              "while True:\n    i += 1\n    write_json_atomic(sys.argv[1], {'n': i, 'pad': 'x' * 200000})\n")
    process = subprocess.Popen([sys.executable, "-c", writer, str(path)], cwd=REPO)
    try:
        wait_for(lambda: path.exists() and json.loads(path.read_text())["n"] >= 20, timeout=60, what="20 rewrites")
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["n"] >= 20 and len(data["pad"]) == 200000
