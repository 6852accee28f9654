"""Helpers for the TUI tests: building the app on a session, and waiting inside Pilot tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from tui import cli
from tui.app import BitsotaApp
from tui.logic import wallets
from tui.services.configure import session_config
from tui.services.session import MiningSession


def make_app(flags: list[str], *, env: dict | None = None, start_services: bool = True, test_mode: bool = False,
             **config_changes) -> BitsotaApp:
    args = cli.parse_args(["--theme", "textual-dark", *flags])
    config, warnings = session_config(args, env)
    config.settings = replace(config.settings, test_mode=test_mode or config.settings.test_mode)
    for name, value in config_changes.items():
        setattr(config, name, value)
    return BitsotaApp(MiningSession(config), args, warnings, start_services=start_services, welcome=False)


def alice_wallet(home, coldkey: bool = True) -> wallets.WalletEntry:
    """An unencrypted btcli wallet `alice/default` holding //Alice, with or without a coldkeypub."""
    from bittensor_wallet import Keypair, Wallet

    from core.signing import create_test_hotkey

    root = home / ".bittensor" / "wallets"
    create_test_hotkey("alice", "default", root, uri="//Alice")
    if coldkey:
        Wallet(name="alice", hotkey="default", path=str(root)).set_coldkeypub(
            Keypair.create_from_uri("//Bob"), overwrite=True)
    return wallets.read_entry(root, "alice", "default")


async def until(pilot, condition: Callable[[], object], timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def log_text(app: BitsotaApp) -> str:
    from tui.widgets.log_pane import LogPane

    pane = app.query_one(LogPane)
    pane.flush()
    return "\n".join(pane.buffer.shown)  # every line that reached the pane, whatever its filter shows
