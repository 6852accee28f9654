"""Hotkey signing: btcli-compatible wallets, relay signed headers and signature verification.

Keys are sr25519 (`bittensor_wallet.Keypair`). A wallet lives at `<path>/<name>/hotkeys/<hotkey>` as btcli
writes it; the default path is `~/.bittensor/wallets`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Literal

from bittensor_wallet import Keypair, Wallet

from core.errors import BitsotaError

DEFAULT_WALLET_PATH = "~/.bittensor/wallets"
SIGNATURE_BYTES = 64

Role = Literal["miner", "validator"]


class SigningError(BitsotaError, ValueError):
    """A wallet or key problem, with a one-line message fit for a CLI."""


def hotkey_file(wallet_name: str, hotkey_name: str, wallet_path: str | Path | None = None) -> Path:
    """Where btcli keeps the hotkey `wallet_name/hotkey_name`."""
    root = Path(wallet_path or DEFAULT_WALLET_PATH).expanduser()
    return root / wallet_name / "hotkeys" / hotkey_name


def load_hotkey(wallet_name: str, hotkey_name: str, wallet_path: str | Path | None = None) -> Keypair:
    """Load an unencrypted btcli hotkey; raises SigningError naming the file when it is missing or unreadable."""
    path = hotkey_file(wallet_name, hotkey_name, wallet_path)
    if not path.is_file():
        raise SigningError(f"hotkey file not found: {path} (create it with btcli, or a test hotkey)")
    wallet = Wallet(name=wallet_name, hotkey=hotkey_name, path=str(path.parents[2]))
    try:
        return wallet.hotkey
    except Exception as exc:  # bittensor_wallet raises its own KeyFileError family
        raise SigningError(f"cannot load hotkey {path}: {exc}") from exc


def create_test_hotkey(
    wallet_name: str,
    hotkey_name: str,
    wallet_path: str | Path | None = None,
    *,
    uri: str | None = None,
    overwrite: bool = False,
) -> Keypair:
    """Write an unencrypted hotkey file without touching the chain.

    `uri` is a dev URI such as `//Alice` (deterministic); without it a fresh random key is made. An existing
    file is kept (and loaded) unless `overwrite` is true.
    """
    path = hotkey_file(wallet_name, hotkey_name, wallet_path)
    if path.is_file() and not overwrite:
        return load_hotkey(wallet_name, hotkey_name, wallet_path)
    keypair = Keypair.create_from_uri(uri) if uri else Keypair.create_from_mnemonic(Keypair.generate_mnemonic())
    wallet = Wallet(name=wallet_name, hotkey=hotkey_name, path=str(path.parents[2]))
    wallet.set_hotkey(keypair, encrypt=False, overwrite=True)
    wallet.set_hotkeypub(keypair, overwrite=True)
    return keypair


def keypair_from_uri(uri: str) -> Keypair:
    """A keypair from a dev URI (`//Alice`, `//Bob`, ...), for tests and local runs."""
    return Keypair.create_from_uri(uri)


def sign(keypair: Keypair, message: str) -> str:
    """Lowercase hex (no `0x`) of the sr25519 signature over the UTF-8 bytes of `message`."""
    return keypair.sign(message.encode("utf-8")).hex()


def auth_message(role: Role, now: float | None = None) -> str:
    """The message a client signs: `auth:<unix>` for miners, `<unix>` for validators."""
    seconds = str(int(time.time() if now is None else now))
    return f"auth:{seconds}" if role == "miner" else seconds


def signed_headers(keypair: Keypair, role: Role, now: float | None = None) -> dict[str, str]:
    """Fresh `X-Key`, `X-Timestamp` and `X-Signature` headers for one relay request."""
    message = auth_message(role, now)
    return {"X-Key": keypair.ss58_address, "X-Timestamp": message, "X-Signature": sign(keypair, message)}


def verify(ss58_address: str, message: str, signature_hex: str) -> bool:
    """True when `signature_hex` is `ss58_address`'s signature over `message`.

    The polkadot-style `<Bytes>message</Bytes>` wrapping is accepted too. A `0x` prefix, bad hex, a wrong
    length or an undecodable address give False, never an exception.
    """
    try:
        signature = bytes.fromhex(signature_hex)
    except (TypeError, ValueError):
        return False
    if len(signature) != SIGNATURE_BYTES:
        return False
    try:
        public = Keypair(ss58_address=ss58_address)
    except (TypeError, ValueError):
        return False
    try:  # Keypair.verify also tries the <Bytes>-wrapped form
        return public.verify(message.encode("utf-8"), signature)
    except (TypeError, ValueError):
        return False
