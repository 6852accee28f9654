"""Blocking UI defects of issue 12 §2: the layout follows each resize at once, and a bad theme or log bound
is one line naming the flag or the file and the key, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.tui.support import log_text, make_app, until
from tui import cli
from tui.app import BitsotaApp
from tui.services.configure import session_config
from tui.services.session import MiningSession
from tui.widgets.log_pane import LogPane

REPO = Path(__file__).resolve().parents[2]


async def test_layout_follows_each_resize_of_a_running_app(home):
    app = make_app(["--relay-url", "http://127.0.0.1:9"], start_services=False)
    async with app.run_test(size=(120, 34)) as pilot:
        assert app.screen.has_class("-wide")
        for (width, height), expected in (((70, 24), "-narrow"), ((100, 30), "-medium"), ((130, 40), "-wide"),
                                          ((60, 20), "-narrow")):
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            classes = {name for name in ("-wide", "-medium", "-narrow") if app.screen.has_class(name)}
            assert classes == {expected}, (width, height, classes)
        assert app.query_one(LogPane).size.width > 40  # one column: the logs take the width (was 4 columns)


def test_unknown_theme_flag_is_one_line_naming_the_flag(home):
    result = subprocess.run([sys.executable, "-m", "tui", "--theme", "x"], cwd=REPO, capture_output=True, text=True,
                            timeout=60, env={**os.environ, "HOME": str(home)})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "--theme" in result.stderr and "'x'" in result.stderr and "textual-dark" in result.stderr


async def test_bad_theme_and_log_bound_in_the_gui_config_are_named_and_ignored(home):
    config = home / "gui_config.json"
    config.write_text(json.dumps({"theme": "no-such-theme", "log_max_lines": -5}))
    args = cli.parse_args(["--config", str(config), "--relay-url", "http://127.0.0.1:9"])
    session_conf, warnings = session_config(args)
    app = BitsotaApp(MiningSession(session_conf), args, warnings, start_services=False, welcome=False)
    async with app.run_test(size=(120, 34)) as pilot:
        assert app.theme == "textual-dark"
        assert app.query_one(LogPane).max_lines == 5000
        await until(pilot, lambda: "log_max_lines" in log_text(app), what="the log bound warning")
        lines = log_text(app).splitlines()
        for key in ("theme", "log_max_lines"):
            line = next(line for line in lines if f" {key}" in line and "[warning]" in line)
            assert str(config) in line, line
