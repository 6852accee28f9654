"""Weight setting (validator.md §9.2-9.4) with a fake chain in place of core.chain.Chain."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np
import pytest

from core.chain import MetagraphView
from validator.chain_weights import ChainWeights, call_succeeded, emission_u16, weight_vector
from validator.node_config import CapacitorlessConfig
from validator.weight_managers import StickyBurnSplitManager, WeightError, WindowedManager, active_event, run_ticks

BURN, WINNER, OTHER, ME = "burn" + "B" * 44, "win" + "W" * 45, "oth" + "O" * 45, "me" + "M" * 46


class FakeChain:
    def __init__(self, hotkeys, *, block=1000, rate_limit=100, since=500, last_update=None):
        self.hotkeys = list(hotkeys)
        self.block_now = block
        self.rate_limit = rate_limit
        self.since = since
        self.last_update = last_update or [0] * len(self.hotkeys)
        self.calls: list[dict] = []
        self.metagraph_reads = 0
        self.result = (True, "")
        self.rejected_keywords: list[str] = []

    def metagraph(self, netuid, lite=True):
        self.metagraph_reads += 1
        n = len(self.hotkeys)
        return MetagraphView(list(self.hotkeys), [0.0] * n, [True] * n, list(self.last_update))

    def block(self):
        return self.block_now

    def weights_rate_limit(self, netuid):
        if isinstance(self.rate_limit, Exception):
            raise self.rate_limit
        return self.rate_limit

    def blocks_since_last_update(self, netuid, uid):
        if isinstance(self.since, Exception):
            raise self.since
        return self.since

    def set_weights(self, wallet, netuid, uids, weights, **options):
        for keyword in self.rejected_keywords:
            if keyword in options:
                raise TypeError(f"set_weights() got an unexpected keyword argument '{keyword}'")
        self.calls.append({"uids": uids, "weights": weights, **options})
        return self.result


def make_weights(chain, epoch_length=0):
    wallet = SimpleNamespace(hotkey=SimpleNamespace(ss58_address=ME))
    weights = ChainWeights(chain, wallet, 94, epoch_length=epoch_length)
    weights.resync()
    return weights


def config(**overrides):
    return CapacitorlessConfig.from_mapping({"burn_hotkey": BURN, "retry_interval_s": 0, **overrides})


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Events:
    def __init__(self, events):
        self.events = events
        self.fetches = 0

    def fetch_sota_events(self, limit):
        self.fetches += 1
        return self.events


def test_emission_matches_the_chain_routine():
    assert emission_u16(np.array([0.0, 0.9, 0.1], dtype=np.float32)) == ([1, 2], [65535, 7282])
    assert emission_u16(np.zeros(3, dtype=np.float32)) == ([], [])
    # half-to-even: 0.5/1 * 65535 = 32767.5 rounds to 32768 (even)
    assert emission_u16(np.array([1.0, 0.5], dtype=np.float32)) == ([0, 1], [65535, 32768])


def test_weight_vector_covers_every_uid():
    view = MetagraphView([ME, BURN, WINNER], [0.0] * 3, [True] * 3, [0] * 3)
    vector = weight_vector(view, {BURN: 0.9, WINNER: 0.1, "absent": 5.0})
    assert vector.dtype == np.float32 and vector.tolist() == pytest.approx([0.0, 0.9, 0.1])


@pytest.mark.parametrize("result, ok", [((True, ""), True), ((False, "rate"), False), (True, True), (None, False), ((), False)])
def test_success_detection(result, ok):
    assert call_succeeded(result) is ok


def test_set_weights_passes_version_key_and_drops_rejected_keywords():
    chain = FakeChain([ME, BURN, WINNER])
    chain.rejected_keywords = ["version_key", "wait_for_finalization"]
    weights = make_weights(chain)
    assert weights.set_weights({BURN: 0.9, WINNER: 0.1})
    assert chain.calls == [{"uids": [1, 2], "weights": [65535, 7282], "wait_for_inclusion": False}]


def test_set_weights_gives_up_after_four_attempts():
    chain = FakeChain([ME, BURN])

    def always_rejects(wallet, netuid, uids, weights, **options):
        raise TypeError("set_weights() got an unexpected keyword argument 'foo'")

    chain.set_weights = always_rejects
    assert make_weights(chain).set_weights({BURN: 1.0}) is False


def test_rate_limit_gate_and_fallbacks():
    chain = FakeChain([ME, BURN], rate_limit=100, since=100, last_update=[850, 0])
    weights = make_weights(chain, epoch_length=50)
    assert weights.should_set_weights() is False          # strictly greater is required
    chain.since = 101
    assert weights.should_set_weights() is True
    chain.since, chain.rate_limit = 60, RuntimeError("no rpc")
    assert weights.should_set_weights() is True            # min_blocks falls back to epoch_length (50)
    chain.since = RuntimeError("query failed")              # fallback: block 1000 - last_update 850 = 150 > 50
    assert weights.should_set_weights() is True
    chain.block_now = 900
    assert weights.should_set_weights() is False
    weights.wallet.hotkey.ss58_address = "not registered"
    assert weights.should_set_weights() is True            # anything else failing: allowed


def test_sticky_relay_winner_split_and_refresh_once_per_period():
    chain = FakeChain([ME, BURN, WINNER, OTHER])
    events = Events([{"id": 4, "miner_hotkey": WINNER}, {"id": 2, "miner_hotkey": OTHER}])
    clock = Clock()
    manager = StickyBurnSplitManager(make_weights(chain), config(), events, clock=clock)
    manager.tick()
    assert chain.calls[-1]["uids"] == [1, 2] and chain.calls[-1]["weights"] == [65535, 7282]
    assert manager.applied_ok and manager.desired_state() == ("relay", 4, WINNER)
    chain.since = 10                                        # rate limited: nothing is sent
    manager.tick()
    assert len(chain.calls) == 1
    events.events = [{"id": 3, "miner_hotkey": OTHER}]      # a lower id never replaces the winner
    clock.now += 61
    chain.since = 500
    manager.tick()
    assert len(chain.calls) == 2 and chain.calls[-1]["uids"] == [1, 2]


def test_sticky_without_winner_or_with_unregistered_winner_burns_only():
    chain = FakeChain([ME, BURN])
    events = Events([])
    manager = StickyBurnSplitManager(make_weights(chain), config(), events, clock=Clock())
    manager.tick()
    assert chain.calls[-1]["uids"] == [1] and manager.applied_ok
    events.events = [{"id": 9, "miner_hotkey": WINNER}]
    manager.config = config(event_refresh_interval_s=0)
    manager.tick()
    assert chain.calls[-1]["uids"] == [1] and manager.applied_ok is False   # retried later
    chain.hotkeys.append(WINNER)
    manager.tick()
    assert chain.calls[-1]["uids"] == [1, 2] and manager.applied_ok


def test_missing_burn_hotkey_is_an_error():
    manager = StickyBurnSplitManager(make_weights(FakeChain([ME, WINNER])), config(), Events([]), clock=Clock())
    with pytest.raises(WeightError, match=f"Burn hotkey not found in metagraph: {BURN}"):
        manager.tick()


def test_sticky_local_winner_needs_a_margin():
    chain = FakeChain([ME, BURN, WINNER, OTHER])
    manager = StickyBurnSplitManager(make_weights(chain), config(winner_source="local", min_winner_improvement=0.01),
                                     None, clock=Clock())
    manager.tick()
    assert chain.calls[-1]["uids"] == [1]                        # no local winner yet: burn only
    assert manager.offer_local_winner(WINNER, 0.8)
    assert chain.calls[-1]["uids"] == [1, 2]                     # applied inline
    assert not manager.offer_local_winner(OTHER, 0.805)          # within the margin
    assert not manager.offer_local_winner(WINNER, 0.8)
    assert manager.offer_local_winner(OTHER, 0.9)
    assert manager.desired_state() == ("local", 2, OTHER) and chain.calls[-1]["uids"] == [1, 3]


def test_shares_are_normalised():
    cfg = CapacitorlessConfig.from_mapping({"burn_hotkey": BURN, "burn_share": 3, "winner_share": 1})
    assert (cfg.burn_share, cfg.winner_share) == (0.75, 0.25)


def test_active_event_is_cut_at_the_next_start():
    events = [
        {"id": 1, "miner_hotkey": "a", "start_block": 100, "end_block": 400},
        {"id": 2, "miner_hotkey": "b", "start_block": 200, "end_block": 300},
        {"id": 3, "miner_hotkey": "bad", "start_block": 500, "end_block": 500},
        {"id": 4, "miner_hotkey": "zero", "start_block": 0, "end_block": 50},
    ]
    picks = {block: (active_event(events, block) or {}).get("miner_hotkey") for block in (20, 99, 100, 199, 200, 299, 300, 500)}
    assert picks == {20: None, 99: None, 100: "a", 199: "a", 200: "b", 299: "b", 300: None, 500: None}


def test_windowed_sets_event_miner_once_per_interval_then_burn():
    chain = FakeChain([ME, BURN, WINNER], block=1000)
    events = Events([{"id": 1, "miner_hotkey": WINNER, "start_block": 900, "end_block": 1100}])
    manager = WindowedManager(make_weights(chain), config(mode="windowed", alignment_mod=100), events, clock=Clock())
    manager.tick()
    assert chain.calls[-1]["uids"] == [2]
    manager.tick()                                   # same interval: nothing
    assert len(chain.calls) == 1
    chain.block_now, chain.since = 1150, 5           # event over; rate limited, but the target changed
    manager.tick()
    assert chain.calls[-1]["uids"] == [1] and manager.applied_target == BURN
    chain.block_now = 1250                           # no event, same target, rate limited: skipped
    manager.tick()
    assert len(chain.calls) == 2


def test_windowed_unregistered_miner_falls_back_to_burn_and_retries():
    chain = FakeChain([ME, BURN], block=1000)
    events = Events([{"id": 1, "miner_hotkey": WINNER, "start_block": 900, "end_block": 1100}])
    manager = WindowedManager(make_weights(chain), config(mode="windowed", alignment_mod=100), events, clock=Clock())
    manager.tick()
    assert chain.calls[-1]["uids"] == [1] and manager.done_interval is None


def test_windowed_reuses_recent_events_when_the_relay_fails():
    chain = FakeChain([ME, BURN, WINNER], block=1000)
    events = Events([{"id": 1, "miner_hotkey": WINNER, "start_block": 900, "end_block": 1300}])
    clock = Clock()
    manager = WindowedManager(make_weights(chain), config(mode="windowed", alignment_mod=100), events, clock=clock)
    manager.tick()
    events.events, chain.block_now = None, 1100
    clock.now += 100
    manager.tick()
    assert len(chain.calls) == 2 and chain.calls[-1]["uids"] == [2]
    chain.block_now = 1200
    clock.now += 121
    manager.tick()
    assert len(chain.calls) == 2


def test_run_ticks_backs_off_after_a_failure():
    stop = threading.Event()
    waits: list[float] = []
    stop.wait = lambda seconds: waits.append(seconds) or len(waits) >= 3
    ticks = iter([RuntimeError("boom"), None])

    def tick():
        error = next(ticks)
        if error:
            raise error

    run_ticks(tick, 6.0, stop)
    assert waits == [10.0, 6.0, 6.0]
