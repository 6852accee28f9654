"""Headless packages and tui.logic never import textual (tui.md §13)."""

import subprocess
import sys

MODULES = ("core", "relay", "sidecar", "miner", "validator", "pool", "tui", "tui.logic", "miner.submitter", "miner.submitter.cli",
           "tui.logic.settings", "tui.logic.wallets", "tui.logic.state_file", "tui.logic.history",
           "tui.logic.themes", "tui.logic.line_buffer", "tui.logic.log_lines", "tui.logic.stats",
           "tui.logic.population_state", "tui.services.session", "relay.app", "sidecar.app")


def test_headless_packages_never_import_textual():
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in MODULES) + \
           "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_tui_package_imports_nothing():
    code = "import sys; before = set(sys.modules); import tui; print(sorted(set(sys.modules) - before - {'tui'}))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
