"""`python -m validator.local_validator` argument and wallet handling, in real subprocesses."""

from __future__ import annotations

import subprocess
import sys

from core import signing


def run_cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "validator.local_validator", *args], capture_output=True, text=True,
                          timeout=timeout)


def test_missing_hotkey_file_is_one_line_naming_the_path(tmp_path):
    proc = run_cli("--wallet-name", "nobody", "--wallet-hotkey", "hot", "--wallet-path", str(tmp_path), "--once")
    expected = tmp_path / "nobody" / "hotkeys" / "hot"
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and str(expected) in proc.stderr


def test_required_wallet_flags_and_bad_values_exit_2():
    assert run_cli("--wallet-hotkey", "h").returncode == 2
    bad_mode = run_cli("--wallet-name", "w", "--wallet-hotkey", "h", "--seen-block-mode", "chain")
    assert bad_mode.returncode == 2 and "--seen-block-mode" in bad_mode.stderr
    bad_level = run_cli("--wallet-name", "w", "--wallet-hotkey", "h", "--log-level", "LOUD")
    assert bad_level.returncode == 2 and "unknown log level: LOUD" in bad_level.stderr


def test_create_hotkey_writes_a_loadable_btcli_hotkey(tmp_path):
    args = ("--wallet-name", "local_val", "--wallet-hotkey", "local_val_hot", "--wallet-path", str(tmp_path))
    proc = run_cli(*args, "--create-hotkey")
    assert proc.returncode == 0, proc.stderr
    path, address = proc.stdout.split()
    keypair = signing.load_hotkey("local_val", "local_val_hot", tmp_path)
    assert path == str(tmp_path / "local_val" / "hotkeys" / "local_val_hot") and address == keypair.ss58_address
    again = run_cli(*args, "--create-hotkey")
    assert again.stdout.split()[1] == address      # an existing hotkey is kept


def test_seen_block_modes():
    import time

    from validator.local_validator import seen_block_function

    assert seen_block_function("fixed", -5)() == 1
    assert seen_block_function("fixed", 42)() == 42
    before = int(time.time())
    assert before <= seen_block_function("time", 42)() <= int(time.time())
