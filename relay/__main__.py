"""`python -m relay`: parse the flags, validate settings, migrate, then serve with uvicorn (§2), in one process or in
`--workers N` processes that share the database (the replay ledger and vote order live there)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import MutableMapping

import uvicorn
from uvicorn.supervisors import Multiprocess

from core import chain
from core.cli import OneLineParser, port_number, run_main
from core.infra.database import sqlite_path
from core.infra.serve import uvicorn_config
from core.listen import BindError, bind_sockets
from relay import __version__
from relay.app import SQLITE_HINT, create_app, prepare_database
from relay.db import Database
from relay.logs import configure_logging
from relay.migrate import SchemaTooNew
from relay.settings import Settings, SettingsError, load_settings, masked_url

log = logging.getLogger("relay")
GRACEFUL_SHUTDOWN_S = 10


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineParser(prog="python -m relay", description="bitsota relay service")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=port_number, default=8002)
    parser.add_argument("--test", action="store_true", help="test mode: any signed validator, no invite codes")
    parser.add_argument("--database-url", help="overrides DATABASE_URL")
    parser.add_argument("--admin-token", help="overrides ADMIN_AUTH_TOKEN")
    parser.add_argument("--test-invite-code", help="the test invite code (only with --test)")
    parser.add_argument("--log-level", help="overrides RELAY_LOG_LEVEL")
    parser.add_argument("--migrate-only", action="store_true", help="apply the database migrations and exit")
    parser.add_argument("--workers", type=positive_int, default=1,
                        help="uvicorn worker processes (default 1); all share the database, PostgreSQL advised")
    parser.add_argument("--version", action="version", version=f"bitsota relay {__version__}")
    return parser.parse_args(argv)


def apply_flags(args: argparse.Namespace, env: MutableMapping[str, str]) -> None:
    """Start-up steps 1 and 2: flags override the environment; --test forces test mode."""
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if args.admin_token:
        env["ADMIN_AUTH_TOKEN"] = args.admin_token
    if args.log_level:
        env["RELAY_LOG_LEVEL"] = args.log_level
    if args.test:
        env["BITSOTA_TEST_MODE"] = "1"
        if args.test_invite_code:
            env["BITSOTA_TEST_INVITE_CODE"] = args.test_invite_code


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def check_startable(settings: Settings) -> str | None:
    """Why the relay cannot start with these settings (step 4 and the chain extra), or None."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return f"cannot create the database directory {path.parent}: {exc}; {SQLITE_HINT}"
        if path.exists() and not os.access(path, os.W_OK):
            return f"database file {path} is not writable; {SQLITE_HINT}"
        if not path.exists() and not os.access(path.parent, os.W_OK):
            return f"database directory {path.parent} is not writable; {SQLITE_HINT}"
    if not settings.test_mode and settings.allowlist_mode == "metagraph" and not chain.available():
        return (
            "the validator allowlist needs the chain: "
            f"{chain.INSTALL_HINT} (or set RELAY_ALLOWLIST_MODE=static, or use --test)"
        )
    return None


async def _prepare(settings: Settings) -> None:
    database = Database(settings)
    try:
        await prepare_database(database, settings)
    finally:
        await database.close()


class _Server(uvicorn.Server):
    """uvicorn re-raises a caught SIGTERM/SIGINT after its graceful shutdown; the relay exits 0 instead."""

    def handle_exit(self, sig, frame) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    apply_flags(args, os.environ)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"relay: {exc}", file=sys.stderr)
        return 2
    problem = check_startable(settings)
    if problem:
        print(f"relay: {problem}", file=sys.stderr)
        return 2
    configure_logging(settings)
    for warning in settings.warnings:
        log.warning(warning)
    try:
        asyncio.run(_prepare(settings))
    except SchemaTooNew as exc:
        print(f"relay: {exc}: {masked_url(settings.database_url)} is at revision {exc.revision!r} "
              "(or is it another app's database?)", file=sys.stderr)
        return 2
    except Exception as exc:  # the database is unreachable or unusable: one clear line, not a traceback
        reason = str(exc).split("\n", 1)[0]  # SQLAlchemy appends a "Background on this error" line
        print(f"relay: cannot prepare the database {masked_url(settings.database_url)}: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 2
    if args.migrate_only:
        log.info("migrations applied to %s", masked_url(settings.database_url))
        return 0
    try:
        sockets = bind_sockets(args.host, args.port, "relay")
    except BindError as exc:
        print(exc, file=sys.stderr)
        return 1
    # One process gets the app itself; worker processes build theirs from the environment the flags filled.
    app = create_app(settings) if args.workers == 1 else "relay.app:app_from_environment"
    config = uvicorn_config(
        app,
        factory=args.workers > 1,
        header_timeout_s=settings.header_timeout_s,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level=settings.log_level.lower(),
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
    log.info(
        "Relay listening on http://%s:%s test_mode=%s workers=%d db=%s",
        args.host, sockets[0].getsockname()[1], settings.test_mode, args.workers, masked_url(settings.database_url),
    )
    if args.workers == 1:
        _Server(config).run(sockets=sockets)
    else:
        Multiprocess(config, sockets=sockets).run()
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
