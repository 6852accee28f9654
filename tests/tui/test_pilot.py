"""Pilot tests against real relay and sidecar apps (uvicorn on loopback) with real sr25519 keys."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import httpx
import pytest
from textual.widgets import Button, DataTable, TabbedContent, Tabs

from sidecar.client import SidecarClient
from tests.tui.conftest import offline_env
from tests.tui.support import alice_wallet, log_text, make_app, until
from tui import cli
from tui.logic.state_file import TuiState, load_state, save_state
from tui.services import launch
from tui.services.configure import session_config
from tui.services.session import MiningSession
from tui.widgets.candidates_table import CandidatesTable
from tui.widgets.controls import MiningControls
from tui.widgets.modals import ColdkeyModal, DatasetModal, InviteModal, MessageModal, NewHotkeyModal, QuitModal

SIZE = (120, 34)
BOB_COLDKEY = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
DSL = "# setup\ns1 = {c}\n# predict\ns0 = s1\n# learn\n"


def flags(relay, sidecar, *more):
    return ["--relay-url", relay.url, "--sidecar-port", sidecar.url.rsplit(":", 1)[1], *more]


async def test_start_without_wallet_opens_wallet_tab(home, relay_server, sidecar_server):
    app = make_app(flags(relay_server, sidecar_server))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.run_control.started_up, what="startup")
        await pilot.press("s")
        await until(pilot, lambda: "No wallet loaded" in log_text(app), what="no-wallet error")
        await until(pilot, lambda: app.query_one(TabbedContent).active == "wallet", what="wallet tab")
        assert "ERROR: No wallet loaded. Please load a wallet first." in log_text(app)


async def test_coldkey_then_invite_modal_on_a_live_relay(home, live_relay_server, sidecar_server):
    alice_wallet(home, coldkey=False)
    app = make_app(flags(live_relay_server, sidecar_server, "--wallet", "alice", "--task-type", "scalar_linear"))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.keypair is not None, what="wallet loaded")
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, ColdkeyModal), what="coldkey modal")
        await pilot.click("#coldkey")
        await pilot.press(*"5abc", "enter")
        assert "SS58" in str(app.screen.query_one("#coldkey-error").render())
        app.screen.query_one("#coldkey").value = BOB_COLDKEY
        await pilot.click("#submit")
        await until(pilot, lambda: isinstance(app.screen, InviteModal), what="invite modal")
        assert app.session.coldkey == BOB_COLDKEY
        unlock = app.screen.query_one("#unlock", Button)
        await pilot.click("#invite-code")
        await pilot.press(*"abc12")
        assert unlock.disabled and app.screen.query_one("#invite-code").value == "ABC12"
        await pilot.press(*"345", "enter")
        await until(pilot, lambda: "Invalid or already used code." in str(app.screen.query_one("#invite-error").render()),
                    what="invite error")
        assert not app.session.running


async def test_missing_dataset_opens_the_dataset_modal(home, relay_server, sidecar_server, tmp_path, monkeypatch):
    alice_wallet(home)
    env = {**offline_env(), "BITSOTA_DATA_DIR": str(tmp_path / "empty-data")}
    app = make_app(flags(relay_server, sidecar_server, "--wallet", "alice", "--task-type", "cifar10_binary"),
                   env=env, test_mode=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.keypair is not None, what="wallet loaded")
        monkeypatch.setenv("BITSOTA_DATA_DIR", env["BITSOTA_DATA_DIR"])
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, DatasetModal), timeout=60, what="dataset modal")
        assert "Coldkey address sent to relay successfully" in log_text(app)
        await until(pilot, lambda: app.screen.query("#cancel"), what="modal composed")
        assert "cifar10" in app.screen.query_one("#dataset-error").text
        await pilot.click("#cancel")
        assert not app.session.running


def _candidate(constant: float, score: float, seq_iteration: int) -> dict:
    return {"type": "candidate", "worker_id": 0, "iteration": seq_iteration, "eval_score": score,
            "validator_score": score, "input_dim": 4, "algorithm_dsl": DSL.format(c=constant),
            "task_type": "scalar_linear", "verify_task_count": 8, "verify_task_seed": 1337}


async def test_the_table_shows_what_the_submitter_decided(home, relay_server, sidecar_server, monkeypatch):
    """Candidates come from the sidecar, their status from the headless submitter's status file."""
    monkeypatch.setenv("VALIDATOR_TASK_COUNT", "8")
    alice_wallet(home)
    app = make_app(flags(relay_server, sidecar_server, "--wallet", "alice"), cooldown_s=0.0)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.keypair is not None, what="wallet loaded")
        session = app.session
        with SidecarClient(sidecar_server.url) as sidecar:
            run_id = sidecar.start_run(meta={"task_type": "scalar_linear"})
            session.run_id, session.task_type, session.run_wallet = run_id, "scalar_linear", session.wallet
            session._spawn_submitter()
            session.running = True
            # every constant program scores the same: the second one is not above what the first one set
            sidecar.ingest_batch(run_id, [_candidate(0.5, 0.30, 1000), _candidate(0.6, 0.40, 2000)])
            app.run_control.arm_poll()
            table = app.query_one(CandidatesTable)
            await until(pilot, lambda: [r.status for r in session.rows.values()] == ["submitted", "skipped"],
                        timeout=60, what="both decided")
            assert session.rows[1].reason == "not above max(global, local)"
            assert session.rows[0].response["result_id"] and session.rows[0].verified == pytest.approx(0.254157)
            await until(pilot, lambda: table.get_cell("1", "status") == "skipped", what="row updated")
            await until(pilot, lambda: "[submit] status=submitted score=0.254157 result_id=" in log_text(app),
                        what="the submitter's line in the log pane")
            await until(pilot, lambda: sidecar.state(run_id)["successful_submissions"] == 1, what="report-back")
        session.stop_mining()


async def test_auto_start_from_the_environment_runs_and_stops_a_real_miner(home, relay_server, sidecar_server):
    alice_wallet(home)
    env = {**os.environ, "BITSOTA_AUTO_START_MINING": "yes", "BITSOTA_AUTO_TASK_TYPE": "Scalar_Linear",
           "BITSOTA_AUTO_WORKERS": "2"}
    app = make_app(flags(relay_server, sidecar_server, "--wallet", "alice"), env=env, test_mode=True)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.running and app.session.miner_child, timeout=30, what="auto-start")
        assert "Auto-start: starting mining" in log_text(app)
        assert (app.session.task_type, app.session.workers) == ("scalar_linear", 2)
        miner = app.session.miner_child
        # the state file is written right after the child is recorded: poll for it, do not race it
        await until(pilot, lambda: getattr(load_state(), "miner_pid", None) == miner.pid, what="state file")
        assert (home / ".bitsota" / "problem_config.json").is_file()  # a fresh direct run writes the default
        await until(pilot, lambda: "[coord] start task=scalar_linear" in log_text(app), timeout=30, what="miner log")
        assert str(app.query_one("#start-stop", Button).label) == "Stop Mining"
        await pilot.press("s")
        await until(pilot, lambda: "Mining stopped." in log_text(app), timeout=30, what="stop")
        assert not miner.alive() and not app.session.running
        assert str(app.query_one("#start-stop", Button).label) == "Start Mining"
        assert load_state().miner_pid is None


def _sleeper() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"], start_new_session=True)


async def test_reattach_from_state_file_and_ctrl_q_stops_it(home, relay_server, sidecar_server):
    with SidecarClient(sidecar_server.url) as sidecar:  # task type, workers and mode only in the run meta
        run_id = sidecar.start_run(meta={"task_type": "scalar_linear", "workers": 2, "test_mode": True})
        sidecar.ingest_batch(run_id, [{"type": "log", "message": "before"}, {"type": "log", "message": "after"}])
    miner = _sleeper()
    save_state(TuiState(sidecar_url=sidecar_server.url, miner_pid=miner.pid, miner_pgid=miner.pid, run_id=run_id,
                        started_at_s=1.0, cursors={"logs": 1}))
    app = make_app(flags(relay_server, sidecar_server))
    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.session.running, what="re-attach")
            await until(pilot, lambda: f"Re-attached to run {run_id} (miner pid {miner.pid})" in log_text(app),
                        what="the re-attach log line")
            controls = app.query_one(MiningControls)
            await until(pilot, lambda: controls.task_type == "scalar_linear", what="the run's task type shown")
            assert controls.worker_count == 2 and " TEST " in str(app.query_one("#header-bar").render())
            assert "Public validators cannot score" not in log_text(app)  # no LIVE-relay notice for a test run
            await until(pilot, lambda: "after" in log_text(app), what="logs from the saved cursor")
            assert "before" not in log_text(app)
            await pilot.press("ctrl+q")
            await until(pilot, lambda: miner.poll() is not None, timeout=15, what="miner stopped")
            await until(pilot, lambda: load_state() is None, what="state file removed")
    finally:
        if miner.poll() is None:
            os.killpg(miner.pid, signal.SIGKILL)


def test_reattaching_a_local_run_without_the_flag_writes_nothing_and_keeps_the_local_cooldown(
        home, sidecar_server):
    with SidecarClient(sidecar_server.url) as sidecar:
        run_id = sidecar.start_run(meta={"task_type": "scalar_linear", "workers": 1, "local": True})
    miner = _sleeper()
    save_state(TuiState(sidecar_url=sidecar_server.url, miner_pid=miner.pid, miner_pgid=miner.pid, run_id=run_id,
                        local=True, test_mode=True))
    config, _ = session_config(cli.parse_args(["--sidecar-port", sidecar_server.url.rsplit(":", 1)[1]]))
    assert config.cooldown_s == 60.0
    session = MiningSession(config)
    try:
        assert session.reattach()
        assert session.config.local and session.config.cooldown_s == 10.0
        assert not (home / ".bitsota" / "problem_config.json").exists()
        argv = launch.miner_argv(session.config, run_id, "scalar_linear", 1, None)
        assert "--feature-dim" in argv  # a later Start uses the quick profile, not a default file
    finally:
        os.killpg(miner.pid, signal.SIGKILL)
        miner.wait(10)


async def test_quit_modal_cancel_then_stop_and_quit(home, relay_server, sidecar_server):
    app = make_app(flags(relay_server, sidecar_server))
    child = _sleeper()
    from tui.services.processes import Child

    try:
        async with app.run_test(size=SIZE) as pilot:
            await until(pilot, lambda: app.run_control.started_up, what="startup")
            app.session.miner_child = Child("miner", child.pid, child.pid, None, child)
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, QuitModal), what="quit modal")
            assert app.screen.focused.id == "stop"
            await pilot.press("escape")
            assert not isinstance(app.screen, QuitModal) and child.poll() is None
            await pilot.press("q")
            await until(pilot, lambda: isinstance(app.screen, QuitModal), what="quit modal again")
            await pilot.press("enter")
            await until(pilot, lambda: child.poll() is not None, timeout=15, what="child stopped")
        assert app.return_code == 0
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)


async def test_wallet_keys_work_whenever_the_wallet_tab_is_active(home):
    app = make_app(["--relay-url", "http://127.0.0.1:9"], start_services=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        assert not isinstance(app.screen, NewHotkeyModal)  # another tab: the key means nothing
        await pilot.press("4")
        app.query_one(Tabs).focus()  # focus on the tab bar, not on the wallet table
        await pilot.pause()
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewHotkeyModal), what="new hotkey modal")
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, NewHotkeyModal), what="modal closed")
        await pilot.press("k")
        await until(pilot, lambda: isinstance(app.screen, ColdkeyModal), what="coldkey modal")
        await pilot.press("escape")
        alice_wallet(home)
        await pilot.press("r")
        await until(pilot, lambda: app.query_one("#wallet-table", DataTable).row_count == 1, what="rescan")


def test_relay_health_clock_check(relay_server):
    import time

    from miner.relay_client import RelayClient
    from tui.services.start_checks import clock_skew

    with RelayClient(relay_server.url, None) as relay:
        assert clock_skew(relay, time.time()) < 5
    with RelayClient("http://127.0.0.1:9", None) as relay:
        assert clock_skew(relay, time.time()) is None
    assert httpx.get(f"{relay_server.url}/health").status_code == 200


@pytest.mark.parametrize("mode, submitted, counter", [
    ("task", "[pool] submit_evolution ok=True", r"evolve ok [1-9]"),
    ("lease", "[pool] submit_lease ok=True", r"lease ok [1-9]"),
])
async def test_pool_mode_submits_through_the_coordinator(home, relay_server, sidecar_server, pool_server, mode,
                                                        submitted, counter):
    alice_wallet(home)
    app = make_app(flags(relay_server, sidecar_server, "--wallet", "alice", "--task-type", "pool", "--pool-url",
                         pool_server.url), pool_worker_mode="mock")
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.keypair is not None, what="wallet loaded")
        if mode == "lease":
            await pilot.click("#pool-lease")
        await pilot.press("s")
        await until(pilot, lambda: app.session.running and app.session.submitter_child, timeout=30, what="pool run")
        worker = app.session.miner_child
        assert "--mode mock" in " ".join(worker.popen.args) and load_state().pool_mode == mode
        await until(pilot, lambda: submitted in log_text(app), timeout=60, what="a pool submission")
        assert "[pool] Registered with pool" in log_text(app)
        assert "Pool SOTA" in str(app.query_one(".sota-title").render()) and "SOTA refresh failed" not in log_text(app)
        await pilot.press("3")
        await until(pilot, lambda: re.search(counter, str(app.query_one("#pool-status").render())), what="pool tab")
        await until(pilot, lambda: app.query_one("#pool-monitor").last_good is not None, what="monitor frame")
        await pilot.press("s")
        await until(pilot, lambda: "Mining stopped." in log_text(app), timeout=30, what="stop")
        assert not worker.alive() and app.session.submitter_child is None


async def test_update_check_toasts_a_newer_version_and_the_palette_opens_it(home, announcing_relay_server,
                                                                           sidecar_server):
    app = make_app(flags(announcing_relay_server, sidecar_server))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "[update] bitsota-tui 9.1.0 is available (you have 0.1.0)." in log_text(app),
                    what="start-up update check")
        # the log line is written before the toast is posted from the worker thread
        toast = await until(pilot, lambda: [n for n in app._notifications if n.title == "Update available"],
                            what="update toast")
        assert "faster pool mode" in toast[0].message and "bitsota-9.1.0" in toast[0].message
        app.action_check_updates()
        await until(pilot, lambda: isinstance(app.screen, MessageModal) and app.screen.query("#message-text"),
                    what="update modal")
        assert "9.1.0" in app.screen.query_one("#message-text").text


async def test_save_as_default_writes_the_controls_gui_config_keys(home, tmp_path):
    config = tmp_path / "gui.json"
    config.write_text(json.dumps({"theme": "textual-dark"}))
    app = make_app(["--config", str(config), "--relay-url", "http://127.0.0.1:9"], start_services=False)
    async with app.run_test(size=SIZE) as pilot:
        app.query_one(MiningControls).set_task_type("pool")
        app.query_one(MiningControls).set_workers(4)
        await pilot.pause()  # the Task | Lease radio shows once the task type change is handled
        await pilot.click("#pool-lease")
        await pilot.click("#save-default")
        await until(pilot, lambda: "pool_mode" in config.read_text(), what="saved config")
    assert json.loads(config.read_text()) == {"theme": "textual-dark", "task_type": "pool", "miner_workers": 4,
                                              "pool_mode": "lease"}
    again = make_app(["--config", str(config), "--relay-url", "http://127.0.0.1:9"], start_services=False)
    async with again.run_test(size=SIZE) as pilot:
        controls = again.query_one(MiningControls)
        assert (controls.task_type, controls.worker_count, controls.pool_mode) == ("pool", 4, "lease")
