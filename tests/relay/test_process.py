"""Restart safety: a real `python -m relay` process, SIGKILLed mid-run and restarted on the same database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from core import signing
from tests.helpers import free_port, wait_for
from tests.relay.conftest import KEYS, hotkey

ROOT = Path(__file__).resolve().parents[2]


def start_relay(tmp_path: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "RELAY_LOG_FILE": "", "SOTA_CONSENSUS_VOTES": "1", "SOTA_ALIGNMENT_MOD": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "relay", "--test", "--host", "127.0.0.1", "--port", str(port),
         "--database-url", "sqlite:///./relay.db"],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: process.poll() is None and httpx.get(f"{url}/health", timeout=1).status_code == 200, what="relay start")
    return process


def signed(name: str, role: signing.Role) -> dict:
    return signing.signed_headers(KEYS[name], role)


def keep_submitting(url: str, accepted: list[str]) -> None:
    """Submit from fresh miners until the relay dies; remember every acknowledged submission."""
    for index in range(10_000):
        miner = signing.keypair_from_uri(f"//miner{index}")
        body = {"task_id": f"m{index}", "algorithm_result": {"algorithm_dsl": f"s2 = {index}"}, "score": 0.9}
        try:
            response = httpx.post(f"{url}/submit_solution", json=body, headers=signing.signed_headers(miner, "miner"))
        except httpx.HTTPError:
            return
        if response.status_code == 200:
            accepted.append(miner.ss58_address)


def test_sigkill_then_restart_keeps_committed_state(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = start_relay(tmp_path, port)
    try:
        for index, name in enumerate(("Alice", "Eve", "Ferdie")):
            body = {"task_id": f"t{index}", "algorithm_result": {"algorithm_dsl": f"s1 = {index}"}, "score": 0.1 * index}
            assert httpx.post(f"{url}/submit_solution", json=body, headers=signed(name, "miner")).status_code == 200
        vote = {"miner_hotkey": hotkey("Eve"), "score": 0.7, "seen_block": 1738740000}
        finalized = httpx.post(f"{url}/sota/vote", json=vote, headers=signed("Bob", "validator")).json()
        assert finalized["status"] == "finalized"
        accepted: list[str] = []
        writer = threading.Thread(target=keep_submitting, args=(url, accepted), daemon=True)
        writer.start()
        wait_for(lambda: len(accepted) >= 5, what="submissions in flight")
    finally:
        process.send_signal(signal.SIGKILL)  # while the writer is still submitting
        process.wait(timeout=10)
    writer.join(timeout=10)
    assert process.returncode == -signal.SIGKILL

    restarted = start_relay(tmp_path, port)
    try:
        assert httpx.get(f"{url}/sota_threshold").json()["sota_threshold"] == 0.7
        events = httpx.get(f"{url}/sota/events", headers=signed("Bob", "validator")).json()
        assert [(e["miner_hotkey"], e["start_block"]) for e in events] == [(hotkey("Eve"), 1738740001)]
        rows = httpx.get(f"{url}/results", headers=signed("Bob", "validator")).json()
        assert {row["miner_hotkey"] for row in rows} >= {hotkey(n) for n in ("Alice", "Eve", "Ferdie")} | set(accepted)
        assert httpx.get(f"{url}/sota-events").json()["total"] == 1
    finally:
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(timeout=20) == 0  # graceful shutdown exits 0
