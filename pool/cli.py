"""Command line of `python -m pool` (pool.md §1.1); errors are one clear line and exit status 2."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from typing import Sequence

from pool.db import Database
from pool.migrate import ForeignSchema, upgrade_to_head
from pool.settings import PoolSettings, SettingsError, load_settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pool", description="BitSota pool API server.")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--database-url")
    parser.add_argument("--data-dir")
    parser.add_argument("--task-types", help="comma list of problems served (default cifar10_binary)")
    parser.add_argument("--window-seconds", type=float)
    parser.add_argument("--dev", action="store_true", default=None, help="development mode")
    parser.add_argument("--relay-url")
    parser.add_argument("--wallet-name")
    parser.add_argument("--wallet-hotkey")
    parser.add_argument("--wallet-path")
    migration = parser.add_mutually_exclusive_group()
    migration.add_argument("--no-migrate", action="store_true", help="skip the migrations at start-up")
    migration.add_argument("--migrate-only", action="store_true", help="apply the migrations and exit")
    parser.add_argument("--log-level")
    return parser


def _settings(args: argparse.Namespace) -> PoolSettings:
    flags = {name: getattr(args, name) for name in (
        "host", "port", "database_url", "data_dir", "task_types", "window_seconds", "dev", "relay_url",
        "wallet_name", "wallet_hotkey", "wallet_path", "log_level")}
    return load_settings(**flags)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        if not args.no_migrate:
            asyncio.run(_migrate(settings))
        if args.migrate_only:
            print("migrations applied")
            return 0
        return _serve(settings)
    except ForeignSchema as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


async def _migrate(settings: PoolSettings) -> None:
    database = Database(settings.database_url)
    try:
        await upgrade_to_head(database.engine, settings.database_url.split("@")[-1])
    finally:
        await database.close()


def _serve(settings: PoolSettings) -> int:
    import uvicorn

    from pool.app import create_app

    print(f"pool listening on http://{settings.host}:{settings.port} database={settings.database_url.split('@')[-1]}",
          file=sys.stderr, flush=True)
    uvicorn.run(create_app(settings, migrate=False), host=settings.host, port=settings.port,
                log_level=settings.log_level.lower(), access_log=False)
    return 0
