"""The sidecar's settings: command-line flags with environment fallbacks (sidecar.md §1)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.cli import OneLineParser, port_number
from core.infra.settings import is_true

LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


@dataclass(frozen=True)
class SidecarConfig:
    host: str = "127.0.0.1"
    port: int = 8123
    log_level: str = "warning"
    journal_dir: Path | None = None
    journal_max_mb: float = 64.0
    journal_keep_runs: int = 10
    allow_remote: bool = False
    exit_with_parent: int | None = None

    @property
    def journal_max_bytes(self) -> int:
        return int(self.journal_max_mb * 1024 * 1024)


def _positive(kind):
    def convert(text: str):
        value = kind(text)
        if value <= 0:
            raise ValueError(text)
        return value
    convert.__name__ = f"positive {kind.__name__}"
    return convert


def _parser(env: Mapping[str, str]) -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m sidecar", description="BitSota local sidecar (loopback HTTP hub).")
    parser.add_argument("--host", default=env.get("BITSOTA_SIDECAR_HOST", "127.0.0.1"), help="bind address")
    parser.add_argument("--port", type=port_number, default=env.get("BITSOTA_SIDECAR_PORT", "8123"), help="bind port")
    parser.add_argument("--log-level", type=str.lower, choices=LOG_LEVELS,
                        default=env.get("BITSOTA_SIDECAR_LOG_LEVEL", "warning"), help="server log level")
    parser.add_argument("--journal-dir", type=Path, default=env.get("BITSOTA_SIDECAR_JOURNAL_DIR") or None,
                        help="keep an on-disk journal here so a restart restores the runs (default off)")
    parser.add_argument("--journal-max-mb", type=_positive(float),
                        default=env.get("BITSOTA_SIDECAR_JOURNAL_MAX_MB", "64"),
                        help="per-run journal size that triggers compaction (MB)")
    parser.add_argument("--journal-keep-runs", type=_positive(int), default="10", help="run files kept")
    parser.add_argument("--allow-remote", action="store_true",
                        default=is_true(env.get("BITSOTA_SIDECAR_ALLOW_REMOTE")),
                        help="allow binding a non-loopback address (the API has no authentication)")
    parser.add_argument("--exit-with-parent", type=int, metavar="PID",
                        help="exit when process PID is gone; SIGUSR1 turns this off")
    return parser


def parse_config(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> SidecarConfig:
    """Settings from `argv` (default: sys.argv) over `env` (default: os.environ)."""
    parser = _parser(os.environ if env is None else env)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.log_level not in LOG_LEVELS:  # a default from the environment skips argparse's check
        parser.error(f"invalid log level {args.log_level!r} (choose from {', '.join(LOG_LEVELS)})")
    return SidecarConfig(**vars(args))
