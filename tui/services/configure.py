"""From flags, gui config and environment to a SessionConfig (tui.md §2, §10, §11)."""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
from pathlib import Path

from core.config import find_problem_config
from tui.logic import problem_config
from tui.logic import settings as gui_settings
from tui.services.local_stack import LOCAL_COOLDOWN_S, LOCAL_SOTA_REFRESH_S, apply_local_environment, local_dir
from tui.services.session import SessionConfig


def problem_config_path(args: argparse.Namespace, settings: gui_settings.GuiSettings) -> Path | None:
    """The §3.3 lookup; outside --local a missing config means the default location, which the session fills
    with the shipped default when it starts a fresh run (never on start-up, so re-attaching writes nothing).
    `--local` keeps its own: `--problem-config`, else `~/.bitsota/local/problem_config.json` if present, else
    none (the quick profile); it never picks up the config of a non-local run."""
    if args.local:
        own = local_dir() / "problem_config.json"
        return Path(args.problem_config).expanduser() if args.problem_config else own if own.is_file() else None
    found = find_problem_config(args.problem_config, {"problem_config_path": settings.problem_config_path})
    if found is not None or args.local:
        return found
    return problem_config.default_path()


def pool_url(args: argparse.Namespace, settings: gui_settings.GuiSettings, explicit: dict) -> str:
    """`--pool-url`, else `pool_endpoint`; `--local` has no pool unless one is named ("": none), so its Pool
    tab never shows the public pool."""
    if args.pool_url or not args.local or "pool_endpoint" in explicit:
        return (args.pool_url or settings.pool_endpoint).rstrip("/")
    return ""


def cooldown_seconds(settings: gui_settings.GuiSettings, explicit: dict, env: dict[str, str], local: bool) -> float:
    if env.get("MINER_SUBMISSION_COOLDOWN_SECONDS", "").strip():
        try:
            return float(env["MINER_SUBMISSION_COOLDOWN_SECONDS"])
        except ValueError:
            pass
    if "submission_cooldown_seconds" in explicit or not local:
        return float(settings.submission_cooldown_seconds)
    return LOCAL_COOLDOWN_S


def session_config(args: argparse.Namespace, env: dict[str, str] | None = None) -> tuple[SessionConfig, list[str]]:
    env = dict(os.environ if env is None else env)
    settings, path, warnings = gui_settings.load(args.config)
    explicit = _explicit_keys(path)
    if args.local:
        apply_local_environment(env)
        os.environ.update({k: v for k, v in env.items() if k not in os.environ})
        settings = replace(settings, test_mode=True)
    if args.data_dir:
        env["BITSOTA_DATA_DIR"] = str(Path(args.data_dir).expanduser())
    host = args.sidecar_host or env.get("BITSOTA_SIDECAR_HOST") or "127.0.0.1"
    port = args.sidecar_port or int(env.get("BITSOTA_SIDECAR_PORT") or 8123)
    keep = settings.keep_running if args.keep_running is None else args.keep_running
    config = SessionConfig(
        settings=settings, relay_url=(args.relay_url or settings.relay_endpoint).rstrip("/"),
        pool_url=pool_url(args, settings, explicit), sidecar_host=host, sidecar_port=port,
        problem_config=problem_config_path(args, settings), local=args.local, keep_running=keep, env=env,
        cooldown_s=cooldown_seconds(settings, explicit, env, args.local),
        local_cooldown_s=cooldown_seconds(settings, explicit, env, True),
        sota_refresh_s=LOCAL_SOTA_REFRESH_S if args.local else 30.0,
        update_manifest_url=settings.update_manifest_url if "update_manifest_url" in explicit else None,
        local_relay_port=args.local_relay_port)
    return config, warnings


def _explicit_keys(path: Path | None) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8")) if path and path.is_file() else {}
    except (OSError, ValueError):
        return {}
