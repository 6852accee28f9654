"""Canonical signed headers: `X-Key` and `X-Signature` decoded to the bytes they stand for, before anything else.

A signature is exactly 128 hex digits (either case, an optional `0x`), nothing else; a key is an SS58 address with
the Bittensor prefix 42 of a 32-byte sr25519 public key. The same key spelled under another SS58 prefix is refused
rather than treated as the same identity: every hotkey stored by the relay and the pool is the prefix-42 spelling,
so a second spelling could only ever split one identity in two. The replay ledger keys on these bytes, so a
re-spelled signature is a replay.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bittensor_wallet import Keypair

SS58_PREFIX = 42
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
_SIGNATURE_HEX = re.compile(r"(?:0[xX])?([0-9a-fA-F]{128})")
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BASE58_INDEX = {char: index for index, char in enumerate(_BASE58)}
_CHECKSUM_BYTES = 2
_MAX_ADDRESS_CHARS = 64


class BadSignedHeader(ValueError):
    """An `X-Key` or `X-Signature` that is not in canonical form."""


@dataclass(frozen=True)
class SignedHeaders:
    public_key: bytes  # 32 bytes
    signature: bytes  # 64 bytes
    message: str  # X-Timestamp as sent, the signed text


def signature_bytes(text: str) -> bytes:
    """The 64 bytes of a hex signature (128 hex digits, an optional 0x); BadSignedHeader otherwise."""
    match = _SIGNATURE_HEX.fullmatch(text)
    if match is None:
        raise BadSignedHeader("X-Signature must be 128 hex digits")
    return bytes.fromhex(match.group(1))


def _ss58_checksum(payload: bytes) -> bytes:
    return hashlib.blake2b(b"SS58PRE" + payload, digest_size=64).digest()[:_CHECKSUM_BYTES]


def ss58_encode(public_key: bytes, prefix: int = SS58_PREFIX) -> str:
    """The SS58 address of a 32-byte public key under a one-byte `prefix` (0..63)."""
    payload = bytes([prefix]) + public_key
    number = int.from_bytes(payload + _ss58_checksum(payload), "big")
    digits = ""
    while number:
        number, digit = divmod(number, 58)
        digits = _BASE58[digit] + digits
    leading_zeros = len(payload) - len(payload.lstrip(b"\0"))
    return "1" * leading_zeros + digits


def public_key_bytes(address: str) -> bytes:
    """The 32-byte public key of a prefix-42 SS58 address; BadSignedHeader for anything else."""
    if not address or len(address) > _MAX_ADDRESS_CHARS or any(char not in _BASE58_INDEX for char in address):
        raise BadSignedHeader("X-Key is not an SS58 address")
    number = 0
    for char in address:
        number = number * 58 + _BASE58_INDEX[char]
    leading_zeros = len(address) - len(address.lstrip("1"))
    raw = b"\0" * leading_zeros + number.to_bytes((number.bit_length() + 7) // 8, "big")
    if len(raw) != 1 + PUBLIC_KEY_BYTES + _CHECKSUM_BYTES or raw[0] != SS58_PREFIX:
        raise BadSignedHeader(f"X-Key must be an SS58 address with prefix {SS58_PREFIX}")
    payload, checksum = raw[:-_CHECKSUM_BYTES], raw[-_CHECKSUM_BYTES:]
    if _ss58_checksum(payload) != checksum or ss58_encode(payload[1:]) != address:
        raise BadSignedHeader("X-Key checksum does not match")
    return payload[1:]


def canonical(key: str, message: str, signature: str) -> SignedHeaders:
    """The decoded headers; BadSignedHeader when either is not canonical."""
    return SignedHeaders(public_key_bytes(key), signature_bytes(signature), message)


def verifies(headers: SignedHeaders) -> bool:
    """True when the signature is the key's sr25519 signature over the message (or its `<Bytes>` wrapping)."""
    try:
        return Keypair(public_key=headers.public_key.hex()).verify(headers.message.encode("utf-8"), headers.signature)
    except (TypeError, ValueError):
        return False
