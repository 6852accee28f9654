"""Issue 12 §2 session defects: a run's hotkey is fixed when it starts, a wallet never inherits another wallet's
coldkey, and a broken problem config stops the start naming the file and the error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bittensor_wallet import Keypair

from core.signing import create_test_hotkey
from tests.tui.support import alice_wallet
from tui import cli
from tui.logic import wallets
from tui.services.configure import session_config
from tui.services.session import MiningSession, StartOutcome, WalletLocked


def session_for(home: Path, *flags: str) -> MiningSession:
    config, _ = session_config(cli.parse_args(["--relay-url", "http://127.0.0.1:9", *flags]))
    return MiningSession(config)


def carol_wallet(home: Path) -> wallets.WalletEntry:
    """A second wallet, without coldkeypub.txt."""
    root = home / ".bittensor" / "wallets"
    create_test_hotkey("carol", "default", root, uri="//Carol")
    return wallets.read_entry(root, "carol", "default")


def test_switching_wallet_while_mining_is_refused(home):
    session = session_for(home)
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    session.running, session.run_wallet = True, alice  # a run started with alice
    with pytest.raises(WalletLocked, match="Stop mining before switching wallets"):
        session.use_wallet(carol_wallet(home), Keypair.create_from_uri("//Carol"))
    assert session.wallet == alice and session.keypair.ss58_address == Keypair.create_from_uri("//Alice").ss58_address
    session.running, session.run_wallet = False, None
    session.use_wallet(carol_wallet(home), Keypair.create_from_uri("//Carol"))  # stopped: allowed
    assert session.wallet.wallet == "carol"


def test_a_wallet_without_coldkeypub_never_inherits_the_previous_coldkey(home):
    session = session_for(home, "--local")
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    assert session.coldkey == alice.coldkey
    session.use_wallet(carol_wallet(home), Keypair.create_from_uri("//Carol"))
    assert session.coldkey is None
    outcome, _ = session.start("scalar_linear", 1)
    assert outcome == StartOutcome.NEED_COLDKEY  # asked, never sent unasked
    assert session.miner_child is None


def test_a_coldkey_given_for_a_wallet_comes_back_only_for_that_wallet(home):
    session = session_for(home)
    carol = carol_wallet(home)
    session.use_wallet(carol, Keypair.create_from_uri("//Carol"))
    session.coldkey = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    session.save_wallet_settings()
    again = session_for(home)
    again.use_wallet(carol, Keypair.create_from_uri("//Carol"))
    assert again.coldkey == session.coldkey
    root = home / ".bittensor" / "wallets"
    create_test_hotkey("dave", "default", root, uri="//Dave")
    again.use_wallet(wallets.read_entry(root, "dave", "default"), Keypair.create_from_uri("//Dave"))
    assert again.coldkey is None


def test_a_broken_problem_config_names_the_file_and_does_not_start(home, tmp_path):
    broken = tmp_path / "problem_config.json"
    broken.write_text('{"mining": {"engine": "baseline",}}')
    session = session_for(home, "--problem-config", str(broken))
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    outcome, detail = session.start("scalar_linear", 1)
    assert outcome == StartOutcome.FAILED
    assert str(broken) in detail and "invalid JSON at line 1" in detail
    lines = session.drain_lines()
    assert any(str(broken) in line and line.startswith("ERROR: problem config") for line in lines), lines
    assert session.miner_child is None and session.submitter_child is None and not session.running


def test_status_marks_dead_pids_and_shows_what_the_submitter_did(home):
    import json
    import subprocess
    import sys

    from tui.logic.state_file import TuiState, save_state

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(10)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        save_state(TuiState(run_id="r1", task_type="scalar_linear", miner_pid=alive.pid, submitter_pid=gone.pid,
                            sidecar_url="http://127.0.0.1:9"))
        status_file = home / ".bitsota" / "submitter" / "r1.json"
        status_file.parent.mkdir(parents=True)
        status_file.write_text(json.dumps({
            "version": 1, "run_id": "r1", "state": "running", "hotkey": "5Grw", "relay_reachable": True,
            "global_sota": 0.25, "local_sota": 0.3, "counters": {"submitted": 1},
            "submissions": [{"seq": 4, "ts": 0, "status": "submitted", "score": 0.3, "result_id": "abc123"}],
            "last_error": None}))
        result = subprocess.run([sys.executable, "-m", "tui", "--status"], capture_output=True, text=True,
                                timeout=60, env={**os.environ, "HOME": str(home)})
        out = result.stdout
        assert result.returncode == 0, result.stderr
        assert re.search(rf"miner\s+pid {alive.pid}\s+running", out), out
        assert re.search(rf"submitter\s+pid {gone.pid}\s+DEAD", out), out
        assert "candidate 4 submitted score 0.300000 abc123" in out and "submitted 1" in out
        as_json = json.loads(subprocess.run([sys.executable, "-m", "tui", "--status", "--json"], capture_output=True,
                                            text=True, timeout=60, env={**os.environ, "HOME": str(home)}).stdout)
        assert {p["name"]: p["alive"] for p in as_json["processes"]} == {"miner": True, "submitter": False}
        assert as_json["submitter"]["submissions"][0]["result_id"] == "abc123"
    finally:
        alive.kill()
        alive.wait(10)


def test_an_attached_tui_stops_its_run_when_the_owners_sidecar_goes(home):
    """Another bitsota-tui owned the sidecar and quit: this one is not left "Disconnected | Running"."""
    import signal
    import subprocess
    import sys

    from tests.helpers import free_port, wait_for
    from tui.services.processes import Child
    from tui.services.sidecar_service import probe

    port = free_port()
    owner_sidecar = subprocess.Popen([sys.executable, "-m", "sidecar", "--port", str(port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    miner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)
    try:
        wait_for(lambda: probe(f"http://127.0.0.1:{port}") == "sidecar", timeout=30, what="the owner's sidecar")
        session = session_for(home, "--sidecar-port", str(port))
        session.run_id, session.task_type, session.running = "r", "scalar_linear", True
        session.miner_child = Child("miner", miner.pid, miner.pid, None, miner)
        session.poll()
        assert session.connected and session.running
        owner_sidecar.send_signal(signal.SIGTERM)  # the owner quits
        owner_sidecar.wait(20)
        for _ in range(5):
            session.poll()
        assert not session.running and not session.connected and miner.poll() is not None
        assert any("is gone" in line and "stopping mining" in line for line in session.drain_lines())
    finally:
        for proc in (owner_sidecar, miner):
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


async def test_the_quit_dialog_says_whether_mining_runs(home):
    import subprocess
    import sys

    from tests.tui.support import make_app, until
    from tui.services.processes import Child
    from tui.widgets.modals import QuitModal

    app = make_app(["--relay-url", "http://127.0.0.1:9"], start_services=False)
    sidecar = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        async with app.run_test(size=(120, 34)) as pilot:
            app.session.sidecar_child = Child("sidecar", sidecar.pid, sidecar.pid, None, sidecar)
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, QuitModal), what="quit modal")
            title = str(app.screen.query_one(".dialog-title").render())
            assert title == "Mining is stopped; background services are running."
            await pilot.press("escape")
            app.session.sidecar_child = None
    finally:
        sidecar.kill()
        sidecar.wait(10)


def test_a_dead_submitter_is_restarted_once_then_the_run_says_so(home, sidecar_server, relay_server):
    import signal

    from sidecar.client import SidecarClient
    from tests.helpers import wait_for

    session = session_for(home, "--relay-url", relay_server.url, "--sidecar-port",
                          sidecar_server.url.rsplit(":", 1)[1])
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    with SidecarClient(sidecar_server.url) as sidecar:
        run_id = sidecar.start_run(meta={"task_type": "scalar_linear"})
    session.run_id, session.task_type, session.run_wallet, session.running = run_id, "scalar_linear", alice, True
    session._spawn_submitter()
    try:
        first = session.submitter_child
        os.kill(first.pid, signal.SIGKILL)
        wait_for(lambda: not first.alive(), timeout=10, what="the first submitter dead")
        session.poll()
        second = session.submitter_child
        assert second is not None and second.pid != first.pid and second.alive()
        os.kill(second.pid, signal.SIGKILL)
        wait_for(lambda: not second.alive(), timeout=10, what="the second submitter dead")
        session.poll()
        session.poll()
        assert session.submitter_child is None
        lines = session.drain_lines()
        assert sum("ERROR: the submitter exited (code -9)" in line for line in lines) == 2
        assert sum("no submitter runs for this run" in line for line in lines) == 1
    finally:
        session.stop_mining()
