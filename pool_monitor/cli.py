"""`python -m pool_monitor` / `python -m scripts.pool_monitor` (pool.md §7.1). `--once` never imports Textual."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

import httpx

from core.cli import OneLineParser, run_main
from core.tls import client_context
from pool_monitor.client import fetch_snapshot, request_timeout
from pool_monitor.render_text import exit_code, render_frame


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = OneLineParser(prog="python -m pool_monitor", description="Retro pool monitor.")
    parser.add_argument("--pool-url", default=env.get("BITSOTA_POOL_URL", "http://127.0.0.1:8434"))
    parser.add_argument("--task-type", default="cifar10_binary")
    parser.add_argument("--interval-s", type=float, default=2.0)
    parser.add_argument("--monitor-token", default=env.get("MONITOR_TOKEN") or None)
    parser.add_argument("--top", type=int, default=10)
    default_theme = "ansi" if env.get("NO_COLOR") else env.get("BITSOTA_MONITOR_THEME", "retro")
    parser.add_argument("--theme", choices=("retro", "ansi"), default=default_theme if default_theme in ("retro", "ansi") else "retro")
    parser.add_argument("--once", action="store_true", help="print one plain-text frame and exit")
    parser.add_argument("--width", type=int, default=80)
    parser.add_argument("--ascii", action="store_true")
    args = parser.parse_args(argv)
    args.interval_s = max(0.5, args.interval_s)
    return args


async def _once(args: argparse.Namespace) -> int:
    async with httpx.AsyncClient(base_url=args.pool_url.rstrip("/"), timeout=request_timeout(args.interval_s),
                                 verify=client_context()) as http:
        snapshot = await fetch_snapshot(http, args.pool_url.rstrip("/"), args.task_type, args.top, args.monitor_token)
    print(render_frame(snapshot, args.width, args.ascii))
    return exit_code(snapshot)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.once:
        return asyncio.run(_once(args))
    from pool_monitor.app import PoolMonitorApp

    PoolMonitorApp(args.pool_url, args.task_type, interval_s=args.interval_s, top=args.top,
                   monitor_token=args.monitor_token, theme=args.theme).run()
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
