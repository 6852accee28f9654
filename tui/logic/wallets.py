"""Wallet discovery, test hotkeys and imports (tui.md §4). Keys are read and written through
bittensor-wallet's btcli-compatible files (`core.signing` for the hotkey loading)."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from bittensor_wallet import Keypair, Wallet
from bittensor_wallet.utils import is_valid_ss58_address

from core.signing import DEFAULT_WALLET_PATH, SigningError, hotkey_file
from tui.logic.files import bitsota_home

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{3,50}$")
COLDKEY_PATTERN = re.compile(r"^5[A-Za-z0-9]{46,47}$")
TEST_WALLET = "bitsota-test"
LOCAL_WALLET = "bitsota-local"


@dataclass(frozen=True)
class WalletEntry:
    wallet: str
    hotkey: str
    root: Path
    address: str | None
    coldkey: str | None
    encrypted: bool

    @property
    def key(self) -> str:
        return f"{self.root}/{self.wallet}/{self.hotkey}"

    @property
    def is_test(self) -> bool:
        return self.wallet in (TEST_WALLET, LOCAL_WALLET) or self.wallet.startswith(TEST_WALLET)


class NewKeys(NamedTuple):
    entry: WalletEntry
    coldkey_mnemonic: str
    hotkey_mnemonic: str


def bitsota_wallets() -> Path:
    return bitsota_home() / "wallets"


def search_roots(wallet_path: str | None = None) -> list[Path]:
    """`--wallet-path`, then btcli's default, then the original GUI's directory (no duplicates)."""
    roots = [Path(p).expanduser() for p in (wallet_path, DEFAULT_WALLET_PATH) if p] + [bitsota_wallets()]
    unique: list[Path] = []
    for root in roots:
        if root not in unique:
            unique.append(root)
    return unique


def short_address(address: str | None) -> str:
    return f"{address[:6]}…{address[-4:]}" if address and len(address) > 10 else (address or "-")


def _json_field(path: Path, name: str) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get(name)
    except (OSError, ValueError, AttributeError):
        return None


def read_entry(root: Path, wallet: str, hotkey: str) -> WalletEntry:
    path = root / wallet / "hotkeys" / hotkey
    address = _json_field(path, "ss58Address") or _json_field(path.with_name(f"{hotkey}pub.txt"), "ss58Address")
    try:
        encrypted = not path.read_bytes().lstrip().startswith(b"{")
    except OSError:
        encrypted = False
    coldkey = _json_field(root / wallet / "coldkeypub.txt", "ss58Address")
    return WalletEntry(wallet, hotkey, root, address, coldkey, encrypted)


def discover(roots: Iterable[Path]) -> list[WalletEntry]:
    """Every `<root>/<wallet>/hotkeys/<file without extension>` pair, sorted per root."""
    entries: list[WalletEntry] = []
    for root in roots:
        if not root.is_dir():
            continue
        for hotkeys in sorted(root.glob("*/hotkeys")):
            for path in sorted(hotkeys.iterdir()):
                if path.is_file() and not path.suffix:
                    entries.append(read_entry(root, hotkeys.parent.name, path.name))
    return entries


def find(entries: Iterable[WalletEntry], wallet: str | None, hotkey: str | None) -> WalletEntry | None:
    for entry in entries:
        if entry.wallet == wallet and (hotkey is None or entry.hotkey == hotkey):
            return entry
    return None


def load_keypair(entry: WalletEntry, password: str | None = None) -> Keypair:
    """The entry's hotkey; an encrypted one needs `password` (SigningError when it is wrong)."""
    wallet = Wallet(name=entry.wallet, hotkey=entry.hotkey, path=str(entry.root))
    try:
        if entry.encrypted:
            return wallet.hotkey_file.get_keypair(password=password)
        return wallet.get_hotkey()
    except Exception as exc:  # bittensor_wallet's KeyFileError family
        raise SigningError(f"cannot load hotkey {hotkey_file(entry.wallet, entry.hotkey, entry.root)}: {exc}") from exc


def check_name(name: str) -> str | None:
    """An error message, or None when `name` is 3-50 characters of [A-Za-z0-9_-]."""
    return None if NAME_PATTERN.match(name or "") else "Names are 3-50 characters of letters, digits, _ and -."


def check_coldkey(address: str) -> str | None:
    """An error message, or None for a 47-48 character SS58 address starting with 5 and a valid checksum."""
    if not COLDKEY_PATTERN.match(address or "") or not is_valid_ss58_address(address):
        return "A coldkey address has 47-48 letters and digits, starts with 5 and has a valid SS58 checksum."
    return None


def check_mnemonic(words: str) -> str | None:
    count = len(words.split())
    if count not in (12, 15, 18, 21, 24):
        return "A mnemonic has 12, 15, 18, 21 or 24 words."
    try:
        Keypair.create_from_mnemonic(" ".join(words.split()))
    except Exception:
        return "This mnemonic is not valid."
    return None


def _write_hotkey(root: Path, wallet_name: str, hotkey_name: str, keypair: Keypair) -> Wallet:
    wallet = Wallet(name=wallet_name, hotkey=hotkey_name, path=str(root))
    wallet.set_hotkey(keypair, encrypt=False, overwrite=True)
    wallet.set_hotkeypub(keypair, overwrite=True)
    return wallet


def create_test_keys(wallet_name: str = TEST_WALLET, hotkey_name: str = "default",
                     root: Path | None = None) -> NewKeys:
    """A fresh unencrypted coldkey and hotkey (no chain involved); the mnemonics are returned once."""
    root = root or bitsota_wallets()
    cold_words, hot_words = Keypair.generate_mnemonic(), Keypair.generate_mnemonic()
    cold = Keypair.create_from_mnemonic(cold_words)
    wallet = _write_hotkey(root, wallet_name, hotkey_name, Keypair.create_from_mnemonic(hot_words))
    wallet.set_coldkey(cold, encrypt=False, overwrite=True)
    wallet.set_coldkeypub(cold, overwrite=True)
    return NewKeys(read_entry(root, wallet_name, hotkey_name), cold_words, hot_words)


def ensure_local_keys(root: Path | None = None) -> WalletEntry:
    """The `--local` wallet with hotkeys `miner` and `validator`, created on first use."""
    root = root or bitsota_wallets()
    if not (root / LOCAL_WALLET / "hotkeys" / "miner").is_file():
        create_test_keys(LOCAL_WALLET, "miner", root)
    if not (root / LOCAL_WALLET / "hotkeys" / "validator").is_file():
        _write_hotkey(root, LOCAL_WALLET, "validator", Keypair.create_from_mnemonic(Keypair.generate_mnemonic()))
    return read_entry(root, LOCAL_WALLET, "miner")


def import_hotkey(hotkey_name: str, mnemonic: str, coldkey: str | None = None,
                  root: Path | None = None) -> WalletEntry:
    """Write an imported hotkey into wallet `imported_<8 hex>`; the caller validated the inputs."""
    root = root or bitsota_wallets()
    wallet_name = f"imported_{secrets.token_hex(4)}"
    wallet = _write_hotkey(root, wallet_name, hotkey_name, Keypair.create_from_mnemonic(" ".join(mnemonic.split())))
    if coldkey:
        wallet.set_coldkeypub(Keypair(ss58_address=coldkey), overwrite=True)
    return read_entry(root, wallet_name, hotkey_name)
