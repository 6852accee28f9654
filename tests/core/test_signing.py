"""core.signing: wallets on disk, signed headers and verification with real sr25519 keys."""

from __future__ import annotations

import pytest

from core import signing

ALICE = signing.keypair_from_uri("//Alice")
BOB = signing.keypair_from_uri("//Bob")


def test_sign_and_verify_round_trip():
    signature = signing.sign(ALICE, "auth:1738740000")
    assert len(bytes.fromhex(signature)) == 64
    assert signing.verify(ALICE.ss58_address, "auth:1738740000", signature)
    assert signing.verify(ALICE.ss58_address, "auth:1738740000", signature.upper())


def test_verify_rejects_wrong_key_message_and_malformed_input():
    signature = signing.sign(ALICE, "123")
    assert not signing.verify(BOB.ss58_address, "123", signature)
    assert not signing.verify(ALICE.ss58_address, "124", signature)
    assert not signing.verify(ALICE.ss58_address, "123", "0x" + signature)
    assert not signing.verify(ALICE.ss58_address, "123", signature[:-2])
    assert not signing.verify(ALICE.ss58_address, "123", "zz" * 64)
    assert not signing.verify("not-an-address", "123", signature)


def test_verify_accepts_bytes_wrapped_signature():
    wrapped = ALICE.sign(b"<Bytes>1738740000</Bytes>").hex()
    assert signing.verify(ALICE.ss58_address, "1738740000", wrapped)


@pytest.mark.parametrize(("role", "expected"), [("miner", "auth:1738740000"), ("validator", "1738740000")])
def test_signed_headers_by_role(role, expected):
    headers = signing.signed_headers(ALICE, role, now=1738740000.9)
    assert headers["X-Key"] == ALICE.ss58_address
    assert headers["X-Timestamp"] == expected
    assert signing.verify(ALICE.ss58_address, expected, headers["X-Signature"])


def test_test_hotkey_is_written_in_btcli_layout_and_loads(tmp_path):
    created = signing.create_test_hotkey("local_val", "local_val_hot", tmp_path, uri="//Charlie")
    assert (tmp_path / "local_val" / "hotkeys" / "local_val_hot").is_file()
    loaded = signing.load_hotkey("local_val", "local_val_hot", tmp_path)
    assert loaded.ss58_address == created.ss58_address == signing.keypair_from_uri("//Charlie").ss58_address
    again = signing.create_test_hotkey("local_val", "local_val_hot", tmp_path)  # kept, not replaced
    assert again.ss58_address == created.ss58_address


def test_random_test_hotkeys_differ(tmp_path):
    first = signing.create_test_hotkey("w", "a", tmp_path)
    second = signing.create_test_hotkey("w", "b", tmp_path)
    assert first.ss58_address != second.ss58_address


def test_missing_hotkey_names_the_file(tmp_path):
    with pytest.raises(signing.SigningError) as info:
        signing.load_hotkey("nowallet", "nohot", tmp_path)
    message = str(info.value)
    assert str(tmp_path / "nowallet" / "hotkeys" / "nohot") in message
    assert "\n" not in message
