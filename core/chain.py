"""The single chain adapter: every Bittensor chain access in the project goes through this module.

`bittensor` is an optional extra (`pip install 'bitsota[chain]'`), imported lazily inside the functions so
that everything else works without it. Tests replace the chain by putting a fake `bittensor` module in
`sys.modules`, or, for a whole process, a fake `bittensor` package first on PYTHONPATH
(tests/validator/fake_chain).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

from core.errors import BitsotaError

INSTALL_HINT = "install the `chain` extra: pip install 'bitsota[chain]'"


class ChainUnavailable(BitsotaError, RuntimeError):
    """`bittensor` cannot be imported; `__cause__` is the original ImportError."""


@dataclass(frozen=True)
class MetagraphView:
    """The parts of a metagraph the project reads, as plain Python lists indexed by uid."""

    hotkeys: list[str]
    stake: list[float]
    validator_permit: list[bool]
    last_update: list[int]


def _bittensor() -> Any:
    try:
        return importlib.import_module("bittensor")
    except ImportError as exc:
        raise ChainUnavailable(f"{INSTALL_HINT} ({type(exc).__name__}: {exc})") from exc


def available() -> bool:
    """True when the `chain` extra is installed."""
    try:
        _bittensor()
    except ChainUnavailable:
        return False
    return True


def _as_list(values: Any, kind: type) -> list:
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    return [kind(item) for item in items]


def metagraph_view(metagraph: Any) -> MetagraphView:
    """Copy a bittensor metagraph into a MetagraphView."""
    count = len(metagraph.hotkeys)
    last_update = getattr(metagraph, "last_update", None)
    return MetagraphView(
        hotkeys=[str(h) for h in metagraph.hotkeys],
        stake=_as_list(metagraph.stake, float),
        validator_permit=_as_list(metagraph.validator_permit, bool),
        last_update=_as_list(last_update, int) if last_update is not None else [0] * count,
    )


class Chain:
    """A connection to one subtensor network. Not thread-safe; callers serialise their calls."""

    def __init__(self, network: str = "finney") -> None:
        self.network = network
        self._subtensor = _bittensor().Subtensor(network=network)

    def block(self) -> int:
        return int(self._subtensor.get_current_block())

    def metagraph(self, netuid: int, lite: bool = True) -> MetagraphView:
        return metagraph_view(self._subtensor.metagraph(netuid=netuid, lite=lite))

    def weights_rate_limit(self, netuid: int) -> int:
        return int(self._subtensor.weights_rate_limit(netuid=netuid))

    def blocks_since_last_update(self, netuid: int, uid: int) -> int:
        return int(self._subtensor.blocks_since_last_update(netuid=netuid, uid=uid))

    def set_weights(self, wallet: Any, netuid: int, uids: list[int], weights: list[int], **options: Any) -> Any:
        """Forward to `Subtensor.set_weights`; `options` are its keywords (version_key, wait_for_*)."""
        return self._subtensor.set_weights(wallet=wallet, netuid=netuid, uids=uids, weights=weights, **options)


def load_metagraph(netuid: int, network: str) -> MetagraphView:
    """One-shot metagraph read (the relay's validator allowlist)."""
    return Chain(network).metagraph(netuid, lite=True)
