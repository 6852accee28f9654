"""core.chain: the lazy bittensor adapter, with a fake `bittensor` module standing in for the chain."""

from __future__ import annotations

import sys
import types

import pytest

from core import chain


class FakeSubtensor:
    def __init__(self, network):
        self.network = network

    def get_current_block(self):
        return 4242

    def metagraph(self, netuid, lite):
        return types.SimpleNamespace(
            hotkeys=["hk0", "hk1"], stake=[10.0, 60000.0], validator_permit=[False, True], last_update=[1, 2]
        )


def test_missing_extra_gives_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "bittensor", None)  # makes `import bittensor` raise ImportError
    assert not chain.available()
    with pytest.raises(chain.ChainUnavailable, match="install the `chain` extra") as info:
        chain.load_metagraph(94, "finney")
    assert isinstance(info.value.__cause__, ImportError)


def test_metagraph_view_from_fake_chain(monkeypatch):
    monkeypatch.setitem(sys.modules, "bittensor", types.SimpleNamespace(Subtensor=FakeSubtensor))
    assert chain.available()
    view = chain.load_metagraph(94, "test")
    assert view == chain.MetagraphView(["hk0", "hk1"], [10.0, 60000.0], [False, True], [1, 2])
    assert chain.Chain("test").block() == 4242
