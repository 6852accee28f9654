"""Issue 12 §2 session defects: a run's hotkey is fixed when it starts, a wallet never inherits another wallet's
coldkey, and a broken problem config stops the start naming the file and the error."""

from __future__ import annotations

from pathlib import Path

import pytest
from bittensor_wallet import Keypair

from core.signing import create_test_hotkey
from tests.tui.support import alice_wallet
from tui import cli
from tui.logic import wallets
from tui.services.configure import session_config
from tui.services.session import MiningSession, StartOutcome, WalletLocked


def session_for(home: Path, *flags: str) -> MiningSession:
    config, _ = session_config(cli.parse_args(["--relay-url", "http://127.0.0.1:9", *flags]))
    return MiningSession(config)


def carol_wallet(home: Path) -> wallets.WalletEntry:
    """A second wallet, without coldkeypub.txt."""
    root = home / ".bittensor" / "wallets"
    create_test_hotkey("carol", "default", root, uri="//Carol")
    return wallets.read_entry(root, "carol", "default")


def test_switching_wallet_while_mining_is_refused(home):
    session = session_for(home)
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    session.running, session.run_wallet = True, alice  # a run started with alice
    with pytest.raises(WalletLocked, match="Stop mining before switching wallets"):
        session.use_wallet(carol_wallet(home), Keypair.create_from_uri("//Carol"))
    assert session.wallet == alice and session.keypair.ss58_address == Keypair.create_from_uri("//Alice").ss58_address
    session.running, session.run_wallet = False, None
    session.use_wallet(carol_wallet(home), Keypair.create_from_uri("//Carol"))  # stopped: allowed
    assert session.wallet.wallet == "carol"


def test_a_wallet_without_coldkeypub_never_inherits_the_previous_coldkey(home):
    session = session_for(home, "--local")
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    assert session.coldkey == alice.coldkey
    session.use_wallet(carol_wallet(home), Keypair.create_from_uri("//Carol"))
    assert session.coldkey is None
    outcome, _ = session.start("scalar_linear", 1)
    assert outcome == StartOutcome.NEED_COLDKEY  # asked, never sent unasked
    assert session.miner_child is None


def test_a_coldkey_given_for_a_wallet_comes_back_only_for_that_wallet(home):
    session = session_for(home)
    carol = carol_wallet(home)
    session.use_wallet(carol, Keypair.create_from_uri("//Carol"))
    session.coldkey = "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    session.save_wallet_settings()
    again = session_for(home)
    again.use_wallet(carol, Keypair.create_from_uri("//Carol"))
    assert again.coldkey == session.coldkey
    root = home / ".bittensor" / "wallets"
    create_test_hotkey("dave", "default", root, uri="//Dave")
    again.use_wallet(wallets.read_entry(root, "dave", "default"), Keypair.create_from_uri("//Dave"))
    assert again.coldkey is None


def test_a_broken_problem_config_names_the_file_and_does_not_start(home, tmp_path):
    broken = tmp_path / "problem_config.json"
    broken.write_text('{"mining": {"engine": "baseline",}}')
    session = session_for(home, "--problem-config", str(broken))
    alice = alice_wallet(home)
    session.use_wallet(alice, Keypair.create_from_uri("//Alice"))
    outcome, detail = session.start("scalar_linear", 1)
    assert outcome == StartOutcome.FAILED
    assert str(broken) in detail and "invalid JSON at line 1" in detail
    lines = session.drain_lines()
    assert any(str(broken) in line and line.startswith("ERROR: problem config") for line in lines), lines
    assert session.miner_child is None and session.submitter_child is None and not session.running
