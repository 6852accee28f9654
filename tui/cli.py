"""`bitsota-tui` flags (tui.md §2)."""

from __future__ import annotations

import argparse
from typing import Sequence

from core import __version__ as VERSION
from core.cli import OneLineParser, http_url

TASK_TYPES = ("cifar10_binary", "mnist_binary", "scalar_linear", "pool")


def _workers(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("workers must be at least 1")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError("port must be 1-65535")
    return value


def _theme(text: str) -> str:
    from textual.theme import BUILTIN_THEMES

    from tui.logic.themes import RETRO_THEME

    known = sorted({"auto", RETRO_THEME, *BUILTIN_THEMES})
    if text not in known:
        raise argparse.ArgumentTypeError(f"unknown theme {text!r} (one of: {', '.join(known)})")
    return text


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="bitsota-tui", description="BitSota mining in the terminal.")
    p.add_argument("--local", action="store_true", help="embedded test relay and local validator")
    p.add_argument("--local-relay-port", type=_port, metavar="PORT",
                   help="with --local: the local relay's port (default 8002 if free, else any free port)")
    p.add_argument("--reset-local", action="store_true",
                   help="with --local: first delete the local test state (relay database, saved population)")
    p.add_argument("--keep-running", action="store_true", default=None,
                   help="leave the sidecar, the miner and --local services running on exit")
    p.add_argument("--stop", action="store_true", help="stop the processes in the state file and exit")
    p.add_argument("--status", action="store_true", help="print the state file and sidecar state and exit")
    p.add_argument("--json", action="store_true", help="with --status: machine-readable output")
    p.add_argument("--config", help="gui config file")
    p.add_argument("--problem-config", help="problem config file")
    p.add_argument("--relay-url", type=http_url, help="override relay_endpoint")
    p.add_argument("--pool-url", type=http_url, help="override pool_endpoint")
    p.add_argument("--sidecar-host", help="override BITSOTA_SIDECAR_HOST")
    p.add_argument("--sidecar-port", type=_port, help="override BITSOTA_SIDECAR_PORT")
    p.add_argument("--wallet", help="preselect a wallet")
    p.add_argument("--hotkey", help="preselect a hotkey")
    p.add_argument("--wallet-path", help="wallet directory searched first")
    p.add_argument("--task-type", choices=TASK_TYPES, help="preselect the task type")
    p.add_argument("--workers", type=_workers, help="preselect the worker count")
    p.add_argument("--auto-start", action="store_true", help="start mining as soon as a wallet is loaded")
    p.add_argument("--theme", type=_theme, help="theme name (auto, textual-dark, ansi-dark, bitsota-retro, …)")
    p.add_argument("--no-mouse", action="store_true", help="disable mouse input")
    p.add_argument("--data-dir", help="data set directory (BITSOTA_DATA_DIR for children)")
    p.add_argument("--log-file", help="TUI debug log file")
    p.add_argument("--web", action="store_true",
                   help="serve the TUI to a browser on 127.0.0.1 only (reach it through an SSH tunnel); each browser "
                        "tab attaches to what runs, and closing a tab stops nothing")
    p.add_argument("--web-port", type=_port, default=8765, help="with --web: the loopback port (default 8765)")
    p.add_argument("--web-tab", action="store_true",
                   help="what --web runs for each browser tab: no instance lock, processes keep running on exit")
    p.add_argument("--version", action="version", version=f"bitsota-tui {VERSION}")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)
