"""Command line of `python -m pool` (pool.md §1.1). Errors are one clear line: exit status 2 for a bad setting
or a database of another schema, 1 for a database that cannot be opened or a port that cannot be bound."""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import sys
from collections.abc import Sequence

from core.cli import OneLineParser
from core.listen import BindError, bind_sockets, service_url
from pool.db import Database
from pool.migrate import ForeignSchema, NotMigrated, require_head, upgrade_to_head
from pool.settings import PoolSettings, SettingsError, load_settings, masked_url


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m pool", description="BitSota pool API server.")
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
        sockets = [] if args.migrate_only else bind_sockets(settings.host, settings.port, "pool")
    except BindError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        asyncio.run(_open_database(settings, migrate=not args.no_migrate))
    except (ForeignSchema, NotMigrated) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # unreachable or unusable: one line, not a traceback
        cause = str(exc).split("\n", 1)[0]  # SQLAlchemy appends a "Background on this error" line
        print(f"error: cannot open the database {masked_url(settings.database_url)}: {type(exc).__name__}: {cause}",
              file=sys.stderr)
        return 1
    if args.migrate_only:
        print("migrations applied")
        return 0
    return _serve(settings, sockets)


async def _open_database(settings: PoolSettings, migrate: bool) -> None:
    """Migrate to head (with --no-migrate, check that it is there), so that start-up stops before serving."""
    database = Database(settings.database_url)
    try:
        if migrate:
            await upgrade_to_head(database.engine, masked_url(settings.database_url))
        else:
            await require_head(database.engine, masked_url(settings.database_url))
    finally:
        await database.close()


def _serve(settings: PoolSettings, sockets: list[socket.socket]) -> int:
    """Serve on the sockets bound before the database was opened, so a busy port stops start-up first."""
    import uvicorn

    from core.infra.serve import uvicorn_config
    from pool.app import create_app

    port = sockets[0].getsockname()[1]  # the bound one, when --port 0 asked for any
    print(f"pool listening on {service_url(settings.host, port)} database={masked_url(settings.database_url)}",
          file=sys.stderr, flush=True)
    config = uvicorn_config(create_app(settings, migrate=False), header_timeout_s=settings.header_timeout_s,
                            log_level=settings.log_level.lower(), access_log=False)
    uvicorn.Server(config).run(sockets=sockets)
    return 0
