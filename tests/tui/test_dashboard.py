"""The Mining tab as a dashboard (issue 12 §3): the log pane's level and source filters, wrapping and colours;
the submissions list that no log flood scrolls away; and the smaller UI findings."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.support import alice_wallet, log_text, make_app, until
from tui.widgets.controls import MiningControls
from tui.widgets.events_list import EventsList
from tui.widgets.log_pane import LogPane

SIZE = (120, 34)
LONG = "[submit] status=rejected score=0.271828 detail=" + "x" * 150


def _app():
    return make_app(["--relay-url", "http://127.0.0.1:9", "--task-type", "scalar_linear"], start_services=False)


async def test_log_pane_filters_by_level_and_source_wraps_and_colours(home):
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(LogPane)
        for line in ("[w0] Iter 1000: engine_best=0.2500 rate=27980.00", "[population] w0 iter 1000: pop_size=100",
                     "ERROR: Failed to start mining processes: boom", "[relay] 127.0.0.1 POST /submit_solution 200",
                     "[warning] slow relay", LONG):
            app.session.log(line)
        app.refresh_panels()
        await until(pilot, lambda: LONG in log_text(app), what="the lines in the pane")
        shown = pane.shown_lines()
        assert not any(line.startswith(("[w0]", "[population]")) for line in shown)  # folded into the stats
        assert "ERROR: Failed to start mining processes: boom" in shown and LONG in shown
        assert len(pane.lines) > len(shown)  # the long line wraps instead of being cut
        assert all(strip.cell_length <= pane.scrollable_content_region.width for strip in pane.lines)
        error_row = next(strip for strip in pane.lines if "ERROR: Failed" in strip.text)
        assert any(segment.style and segment.style.color and segment.style.color.name == "red"
                   for segment in error_row)

        await pilot.press("e")  # warning+
        shown = pane.shown_lines()
        assert "ERROR: Failed to start mining processes: boom" in shown and "[warning] slow relay" in shown
        assert all(line.startswith(("ERROR", "[warning]")) for line in shown), shown
        await pilot.press("e", "e")  # error, then all levels
        assert "[w0] Iter 1000: engine_best=0.2500 rate=27980.00" in pane.shown_lines()
        for _ in range(4):  # all sources -> miner -> submitter -> sidecar -> relay
            await pilot.press("o")
        assert pane.shown_lines() == ["[relay] 127.0.0.1 POST /submit_solution 200"]
        assert "relay" in str(pane.border_title)


async def test_follow_pause_is_marked_in_the_logs_title(home):
    app = _app()
    async with app.run_test(size=SIZE) as pilot:
        pane = app.query_one(LogPane)
        assert not pane.border_subtitle
        await pilot.press("space")
        assert "follow paused" in str(pane.border_subtitle)
        await pilot.press("space")
        assert not pane.border_subtitle


async def test_submissions_stay_listed_under_a_flood_of_progress_lines(home):
    """The list reads the submitter's status file: its submissions and SOTA changes, newest first."""
    app = _app()
    session = app.session
    async with app.run_test(size=SIZE) as pilot:
        session.running = True
        session.submitter_status = {
            "mode": "direct", "global_sota": 0.25, "decisions": {},
            "submissions": [{"seq": 7, "ts": 1_750_000_100.0, "worker_id": 0, "iteration": 7000,
                             "task_type": "scalar_linear", "score": 0.3141, "status": "submitted",
                             "result_id": "r1", "detail": None},
                            {"seq": 9, "ts": 1_750_000_200.0, "worker_id": 1, "iteration": 9000,
                             "task_type": "scalar_linear", "score": 0.3200, "status": "rejected",
                             "result_id": None, "detail": "duplicate algorithm"}],
            "sota_history": [[1_750_000_000.0, 0.25]]}
        session.log("[submit] status=submitted score=0.314100")
        for iteration in range(3000):
            session.log(f"[w0] Iter {iteration:07d}: engine_best=0.3500 rate=1000.00")
        app.refresh_panels()
        await pilot.pause()
        text = str(app.query_one("#events-right", EventsList).render())
        assert text.splitlines()[:3] == ["15:10:00 #9 rejected 0.3200 duplicate algorithm",
                                         "15:08:20 #7 submitted 0.3141", "15:06:40 SOTA now 0.2500"], text
        session.running = False


async def test_tabs_focus_their_table_and_palette_keeps_controls_while_mining(home):
    alice_wallet(home)
    app = make_app(["--relay-url", "http://127.0.0.1:9", "--task-type", "scalar_linear", "--wallet", "alice"])
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: app.session.keypair is not None, what="wallet loaded")
        await pilot.press("2")
        assert isinstance(app.focused, DataTable) and app.focused.id == "candidates-table"
        await pilot.press("4")
        assert isinstance(app.focused, DataTable) and app.focused.id == "wallet-table"
        table = app.query_one("#wallet-table", DataTable)
        await until(pilot, lambda: table.row_count == 1, what="the wallet row")
        assert table.get_row_at(0)[0] == "●"  # the active wallet is marked
        app.session.running = True  # what the controls show while mining
        app.refresh_panels()
        app.action_next_task_type()
        app.action_next_workers()
        controls = app.query_one(MiningControls)
        assert (controls.task_type, controls.worker_count) == ("scalar_linear", 1)
        app.session.running = False


async def test_services_tab_shows_service_logs_validator_stats_and_sota_events(home, tmp_path):
    import os

    from tui.services.local_stack import LocalServices
    from tui.services.processes import Child

    relay_log, validator_log = tmp_path / "relay.log", tmp_path / "validator.log"
    relay_log.write_text("INFO relay started\n")
    validator_log.write_text("INFO Local validator started\n")
    app = _app()
    app.session.local_services = LocalServices(Child("relay", os.getpid(), os.getpid(), relay_log), 8002,
                                               Child("validator", os.getpid(), os.getpid(), validator_log))
    async with app.run_test(size=SIZE) as pilot:
        app.main.show_services_tab()
        with open(validator_log, "a") as handle:
            handle.write("2026-12-07 13:01:02,5 - validator - INFO - polls=3 fetched=2 new=1 passed=1 votes=1/1\n")
            handle.write("2026-12-07 13:01:03,1 - validator - ERROR - relay answered 500 to a vote\n")
        await pilot.press("5")
        status = app.query_one("#services-status")
        await until(pilot, lambda: "polls=3" in str(status.render()), what="the validator's stats line")
        services_log = "\n".join(app.query_one("#services-log").lines)
        assert "[relay] INFO relay started" in services_log and "ERROR - relay answered 500" in services_log
        assert "ERROR - relay answered 500 to a vote" in log_text(app)  # problems reach the logs pane
        assert "[validator] INFO Local validator started" not in log_text(app)
        app.session.local_services = None
