"""Snapshot tests (pytest-textual-snapshot): a pre-seeded session, no live services, frozen clock, textual-dark.

Update with `pytest tests/tui/test_snapshots.py --snapshot-update` after an intended visual change.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import FROZEN_NOW
from tests.tui.support import alice_wallet, log_text, make_app, until
from tui.logic import clock
from tui.screens.help import HelpScreen
from tui.services.local_stack import LocalServices
from tui.services.processes import Child
from tui.services.session import CandidateRow
from tui.widgets import modals
from tui.widgets.controls import SCALAR_NOTICE

DSL = "# setup\ns1 = 0.5\n# predict\ns0 = s1\n# learn\ns2 = s0\n"
STATUSES = ("submitted", "skipped", "pending", "rejected", "verifying", "new")


@pytest.fixture
def seeded_app(home):
    """The app on a session seeded with a run, candidates, SOTA history and log lines."""
    clock.set_source(lambda: FROZEN_NOW)
    entry = alice_wallet(home)
    app = make_app(["--relay-url", "http://127.0.0.1:9", "--task-type", "scalar_linear"], start_services=False)
    session = app.session
    session.wallet, session.coldkey = entry, entry.coldkey
    session.run_id, session.task_type, session.workers = "3f1c9a7e-run", "scalar_linear", 2
    session.running, session.connected, session.started_at = True, True, FROZEN_NOW - 3725
    session.submitter_status = {"mode": "direct", "global_sota": 0.2541, "local_sota": 0.2541,
                                "relay_reachable": True, "cooldown_until_s": FROZEN_NOW + 40,
                                "pending": {"seq": 2, "score": 0.23}, "decisions": {}, "submissions": []}
    session.state = {"tasks_completed": 48210, "successful_submissions": 3, "local_sota": 0.2541,
                     "best_candidate_score": 0.2612, "workers": {
                         "0": {"iteration": 24100, "rate": 812.5, "engine_best": 0.3190, "fec_hit_rate": 0.95},
                         "1": {"iteration": 24110, "rate": 798.1, "engine_best": 0.3012, "fec_hit_rate": 0.93}}}
    for step in range(60):
        session.history["global"].add(0.20 + 0.001 * (step // 10))
        session.history["local"].add(0.21 + 0.0008 * step)
        session.history["verified"].add(0.22 + 0.0007 * step)
        session.history["engine"].add(0.25 + 0.001 * step)
    for seq, status in enumerate(STATUSES):
        row = CandidateRow(seq, FROZEN_NOW - 600 + 60 * seq, seq % 2, 1000 * (seq + 1), "scalar_linear",
                           0.21 + 0.01 * seq, 0.3 + 0.01 * seq, "8@1337", status,
                           "not above max(global, local)" if status == "skipped" else "",
                           {"algorithm_dsl": DSL, "input_dim": 4, "seq": seq})
        session.rows[seq] = row
        session._changed.append(seq)
    for line in ("Relay endpoint: http://127.0.0.1:9", "Test mode enabled: skipping invite code requirement.",
                 "Miner started (pid=4242).", "[w0] Iter 1000: engine_best=0.2500 pop_best=0.2400 rate=812.5",
                 "[candidate] w0 iter 1000: verified_score=0.210000",
                 "[submit] Candidate verified_score=0.210000 threshold=0.200000",
                 "[submit] status=submitted score=0.210000 result_id=4bfee899a1331428",
                 "[error] example error line", "[pool] example pool line"):
        session.log(line)
    yield app
    clock.set_source(None)


async def _logs_settled(pilot) -> None:
    """Wait until the mount-time lines are in the log pane. The task Select's initial change reaches the app as
    a chain of messages that logs the scalar notice, and the pane writes lines on a 200 ms timer: on a loaded
    machine either can land after the screenshot. `log_text` writes the buffered lines at once."""
    await until(pilot, lambda: SCALAR_NOTICE in log_text(pilot.app), what="the scalar notice in the logs")


async def _no_blink(pilot) -> None:
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


async def _settled(pilot) -> None:
    await _logs_settled(pilot)
    await _no_blink(pilot)


def _pushing(screen_factory):
    async def run_before(pilot) -> None:
        await _logs_settled(pilot)
        await pilot.app.push_screen(screen_factory())
        await pilot.pause()
        await _no_blink(pilot)
    return run_before


@pytest.mark.parametrize("size", [(60, 16), (80, 24), (120, 34), (200, 50)])
def test_mining_tab(snap_compare, seeded_app, size):
    assert snap_compare(seeded_app, terminal_size=size, run_before=_settled)


@pytest.mark.parametrize("key, tab", [("2", "candidates"), ("3", "pool"), ("4", "wallet"), ("5", "services")])
def test_other_tabs(snap_compare, seeded_app, home, key, tab):
    session = seeded_app.session
    session.local_services = LocalServices(Child("relay", 999_999_1, 999_999_1), 8002,
                                           Child("validator", 999_999_2, 999_999_2))

    async def run_before(pilot) -> None:
        pilot.app.wallet_pane.rescan()
        pilot.app.query_one("#tabs").show_tab("services")
        pilot.app.refresh_panels()
        await _logs_settled(pilot)
        await pilot.press(key)
        await pilot.pause()

    assert snap_compare(seeded_app, terminal_size=(120, 34), run_before=run_before)


MODALS = {
    "welcome": modals.WelcomeModal,
    "help": HelpScreen,
    "quit": modals.QuitModal,
    "invite": lambda: modals.InviteModal(lambda code: None),
    "coldkey": modals.ColdkeyModal,
    "password": lambda: modals.PasswordModal("alice/default"),
    "dataset": lambda: modals.DatasetModal("Data set cifar10 is unavailable: missing CIFAR_10_small.arff.gz",
                                           "/data/bitsota"),
    "import": modals.ImportModal,
    "new_hotkey": modals.NewHotkeyModal,
    "error": lambda: modals.MessageModal("Error details", "Traceback: something failed"),
}


@pytest.mark.parametrize("name", sorted(MODALS))
def test_modals(snap_compare, seeded_app, name):
    assert snap_compare(seeded_app, terminal_size=(120, 34), run_before=_pushing(MODALS[name]))


def test_candidate_detail_modal(snap_compare, seeded_app):
    row = seeded_app.session.rows[0]
    row.response = {"status": "submitted", "result_id": "4bfee899a1331428", "detail": None}
    assert snap_compare(seeded_app, terminal_size=(120, 34),
                        run_before=_pushing(lambda: modals.CandidateModal(row, [])))
