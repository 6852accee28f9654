"""Where the GUI config and the problem config live, and loading them (tui.md §11.1, miner.md §3.3).

    python -m core.config show [--config GUI_CONFIG] [--problem-config PROBLEM_CONFIG]
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Sequence

from core.cli import OneLineParser, run_main
from core.errors import BitsotaError

log = logging.getLogger(__name__)

GUI_CONFIG_ENV = "BITSOTA_GUI_CONFIG"
PROBLEM_CONFIG_ENV = "BITSOTA_PROBLEM_CONFIG"
GUI_CONFIG_NAMES = ("bitsota_gui_config.json", "gui_config.json")
PROBLEM_CONFIG_NAMES = ("problem_config.json", "problem_config_cpp_cifar10.json")
# problem config sections that must be JSON objects when present
PROBLEM_SECTIONS = ("mining", "args", "env")


class ConfigError(BitsotaError, ValueError):
    """A config file exists but cannot be used; the message names the file (and the key)."""


def home_dir() -> Path:
    return Path.home() / ".bitsota"


def _first_existing(paths: Sequence[Path]) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


def find_gui_config(explicit: str | os.PathLike | None = None) -> Path | None:
    """`--config`, then BITSOTA_GUI_CONFIG (even if missing), then ./bitsota_gui_config.json,
    ./gui_config.json, ~/.bitsota/gui_config.json; None when nothing is found."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(GUI_CONFIG_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return _first_existing([Path.cwd() / name for name in GUI_CONFIG_NAMES] + [home_dir() / "gui_config.json"])


def find_problem_config(explicit: str | os.PathLike | None = None, gui_config: dict | None = None) -> Path | None:
    """The explicit path (`--problem-config`, else the gui config's `problem_config_path`), then
    BITSOTA_PROBLEM_CONFIG, ./problem_config.json, ./problem_config_cpp_cifar10.json,
    ~/.bitsota/problem_config.json; None when nothing is found (the TUI then writes the default)."""
    chosen = explicit or (gui_config or {}).get("problem_config_path")
    if chosen:
        return Path(chosen).expanduser()
    from_env = os.environ.get(PROBLEM_CONFIG_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    return _first_existing([Path.cwd() / name for name in PROBLEM_CONFIG_NAMES]
                           + [home_dir() / "problem_config.json"])


def load_json_object(path: Path) -> dict:
    """The JSON object in `path`; ConfigError naming the file (and line) when it is unreadable or not an object."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object at the top level, got {type(data).__name__}")
    return data


def load_gui_config(explicit: str | os.PathLike | None = None) -> dict:
    """The GUI config's keys ({} when there is none; a named but missing file is logged)."""
    path = find_gui_config(explicit)
    if path is None:
        return {}
    if not path.is_file():
        log.warning("gui config %s does not exist; using defaults", path)
        return {}
    return load_json_object(path)


def load_problem_config(path: Path) -> dict:
    """The problem config in `path`, its `mining`, `args` and `env` sections checked to be objects."""
    data = load_json_object(path)
    for section in PROBLEM_SECTIONS:
        if data.get(section) is not None and not isinstance(data[section], dict):
            raise ConfigError(f"{path}: key {section!r} must be a JSON object, got {type(data[section]).__name__}")
    mining = data.get("mining") or {}
    for nested in ("engine_params", "env"):
        if mining.get(nested) is not None and not isinstance(mining[nested], dict):
            raise ConfigError(f"{path}: key 'mining.{nested}' must be a JSON object")
    return data


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m core.config", description="Show which config files are used.")
    commands = parser.add_subparsers(dest="command", required=True)
    show = commands.add_parser("show", help="print the gui and problem config paths in use")
    show.add_argument("--config", default=None, help="gui config path")
    show.add_argument("--problem-config", default=None, help="problem config path")
    args = parser.parse_args(argv)
    try:
        gui_path = find_gui_config(args.config)
        gui = load_gui_config(args.config)
        problem_path = find_problem_config(args.problem_config, gui)
        if problem_path is not None and problem_path.is_file():
            load_problem_config(problem_path)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"gui_config: {gui_path if gui_path else '(none; defaults)'}")
    print(f"problem_config: {problem_path if problem_path else '(none; the TUI writes the default)'}")
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
