"""`python -m validator.node -c validator_config.yaml`: the validator node (validator.md §9).

It processes relay submissions like the local validator (with the node's differences, §9) and sets chain
weights through `core.chain`; it needs the `chain` extra (`pip install 'bitsota[chain]'`).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Any, Sequence

from core.cli import OneLineParser, run_main
from validator import submission
from validator.batch import BatchProcessor, Candidate
from validator.metrics import MetricsLogger, short_hotkey
from validator.local_validator import configure_logging, log_level
from validator.node_config import SubmissionConfig
from validator.vote_gates import VoteGates

logger = logging.getLogger("validator.node")

CHAIN_REQUIRED = "the chain extra is required: pip install 'bitsota[chain]'"
RELAY_MAX_BACKOFF_S = 300.0
SUMMARY_INTERVAL_S = 600.0
NODE_REQUIRED_FIELDS = ("miner_hotkey", "score", "id", "timestamp_message", "signature", "algorithm_result")


class NodeBatchProcessor(BatchProcessor):
    """§6 with the node's rules: every field truthy, registered miners only, no seen-set, the vote gates."""

    def __init__(self, *args: Any, is_registered: Any, gates: VoteGates | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.is_registered = is_registered
        self.gates = gates if gates is not None else VoteGates(SubmissionConfig())

    def poll_once(self) -> bool:
        self.gates.retry_held(self.fetch_threshold, super()._vote)
        return super().poll_once()

    def _vote(self, best: Candidate, threshold: float) -> bool:
        return self.gates.offer(best, threshold, super()._vote)

    def _finalized(self, hotkey: str, old_sota: float, new_sota: float) -> None:
        if self.metrics:
            self.metrics.sota_pushed(hotkey)
        super()._finalized(hotkey, old_sota, new_sota)

    def _admit(self, row: Any, threshold: float) -> tuple[str, str] | None:
        key = submission.dedup_key(row) if isinstance(row, dict) else None
        if key is None or not all(row.get(name) for name in NODE_REQUIRED_FIELDS):
            self.counters.invalid += 1
            return None
        if not self.is_registered(key[0]):
            self._record(row, 0.0, threshold, "not_registered", submission.claim_or_zero(row["score"]))
            return None
        return key

    def _remember(self, key: tuple[str, str]) -> None:
        """The node keeps no seen-set: every row is re-evaluated each poll."""


def process_test_submissions(client: Any, verify: Any, metrics: Any, threshold: float) -> int:
    """Score the UID0 test queue for the log only (`--accept-test`); returns how many were scored."""
    items = client.claim_test_submissions() or []
    for item in items:
        parsed = submission.parse_algorithm_result(item.get("algorithm_result"))
        is_valid, score = verify(parsed, threshold) if parsed is not None else (False, float("-inf"))
        metrics.write("test_submission", test_submission_id=str(item.get("id", ""))[:16], task_id=item.get("task_id"),
                      submitter_hotkey=short_hotkey(item.get("submitter_hotkey")), claimed_score=item.get("score"),
                      validator_score=score, sota_threshold=threshold, is_valid=is_valid,
                      runtime_minutes=metrics.runtime_minutes())
    return len(items)


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m validator.node",
                                description="BitSota validator node: re-scores relay submissions and sets chain weights "
                                            "(needs the chain extra).")
    p.add_argument("-c", "--config", default="validator_config.yaml", help="validator_config.yaml path")
    p.add_argument("--accept-test", action="store_true", help="also score the UID0 test queue (logged only)")
    p.add_argument("--log-level", type=log_level, default=logging.INFO)
    return p


def poll_relay(processor: BatchProcessor, interval_s: float, stop: threading.Event, accept_test: bool = False) -> None:
    """Poll every `interval_s`, backing off min(interval·2^failures, 300) s after failed polls."""
    failures = 0
    while True:
        try:
            ok = processor.poll_once()
            if accept_test and processor.metrics:
                process_test_submissions(processor.client, processor.verify, processor.metrics,
                                         processor.sota if processor.sota is not None else processor.default_threshold)
        except Exception:
            logger.exception("Relay poll failed")
            ok = False
        failures = 0 if ok else failures + 1
        if stop.wait(min(interval_s * 2 ** failures, RELAY_MAX_BACKOFF_S)):
            return


def write_summaries(metrics: MetricsLogger, interval_s: float, stop: threading.Event) -> None:
    """A `periodic_summary` record every `interval_s` (the first one interval after start) until `stop`."""
    while not stop.wait(interval_s):
        metrics.periodic_summary()


def run(config_path: str, accept_test: bool = False) -> int:
    from bittensor_wallet import Wallet

    from core import chain as chain_adapter
    from core import signing
    from core.verify import verify_solution_quality
    from validator.chain_weights import ChainWeights
    from validator.node_config import load_config
    from validator.relay_calls import ValidatorRelay
    from validator.weight_managers import StickyBurnSplitManager, make_manager, run_ticks

    config = load_config(config_path)
    hotkey = signing.load_hotkey(config.wallet_name, config.wallet_hotkey, config.path)
    wallet = Wallet(name=config.wallet_name, hotkey=config.wallet_hotkey, path=str(signing.hotkey_file(
        config.wallet_name, config.wallet_hotkey, config.path).parents[2]))
    weights = ChainWeights(chain_adapter.Chain(config.network), wallet, config.netuid, epoch_length=config.epoch_length,
                           wait_for_inclusion=config.wait_for_inclusion, wait_for_finalization=config.wait_for_finalization)
    weights.resync()
    relay = ValidatorRelay(config.relay_url, hotkey)
    manager = make_manager(weights, config.capacitorless, relay)
    metrics = MetricsLogger("validator_node_metrics.log")
    metrics.session_start()
    processor = NodeBatchProcessor(
        client=relay, verify=verify_solution_quality, seen_block=weights.current_block,
        blacklist_cutoff=config.blacklist_cutoff, metrics=metrics, default_threshold=config.default_threshold,
        submit_votes=config.capacitorless.submit_sota_votes, is_registered=weights.has_hotkey,
        on_best=manager.offer_local_winner if isinstance(manager, StickyBurnSplitManager) else None,
        gates=VoteGates(config.submission))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    poller = threading.Thread(target=poll_relay, args=(processor, config.relay_poll_interval_s, stop, accept_test),
                              name="relay-poller", daemon=True)
    poller.start()
    threading.Thread(target=write_summaries, args=(metrics, SUMMARY_INTERVAL_S, stop), name="metrics-summary",
                     daemon=True).start()
    logger.info("Validator node started netuid=%d network=%s hotkey=%s mode=%s submission_schedule=%s "
                "submission_threshold=%s", config.netuid, config.network, hotkey.ss58_address, config.capacitorless.mode,
                config.submission.schedule, "local_best" if config.submission.local_best else "sota_only")
    try:
        run_ticks(manager.tick, config.capacitorless.poll_interval_s, stop)
    except KeyboardInterrupt:
        stop.set()
    finally:
        stop.set()
        logger.info("Validator node stopped (%s)", processor.stats_line())
        metrics.session_end()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, relay_client_level=logging.WARNING)
    from core import chain as chain_adapter
    from core.signing import SigningError
    from validator.node_config import ConfigError

    if not chain_adapter.available():
        print(CHAIN_REQUIRED, file=sys.stderr)
        return 2
    try:
        return run(args.config, args.accept_test)
    except (ConfigError, SigningError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run_main(main))
