"""The pool hotkey for relay forwarding (pool.md §3.11): a btcli wallet, else one generated into the data dir."""

from __future__ import annotations

import json
import logging
import os

from bittensor_wallet import Keypair

from core import signing
from pool.settings import PoolSettings

log = logging.getLogger("pool")
HOTKEY_FILE = "pool_hotkey.json"


def pool_keypair(settings: PoolSettings) -> Keypair:
    if settings.wallet_name and settings.wallet_hotkey:
        return signing.load_hotkey(settings.wallet_name, settings.wallet_hotkey, settings.wallet_path)
    path = settings.data_dir / HOTKEY_FILE
    if path.is_file():
        return Keypair.create_from_mnemonic(json.loads(path.read_text())["mnemonic"])
    mnemonic = Keypair.generate_mnemonic()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump({"mnemonic": mnemonic}, handle)
    keypair = Keypair.create_from_mnemonic(mnemonic)
    log.info("generated pool hotkey %s into %s", keypair.ss58_address, path)
    return keypair
