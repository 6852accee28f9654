"""`python -m validator.local_validator`: poll the relay, re-verify and re-score submissions, vote (validator.md §2-8).

It never sets chain weights; that is `python -m validator.node`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from typing import Callable, Sequence

from core import signing
from core.cli import OneLineParser, http_url, run_main
from core.errors import BitsotaError
from validator.batch import BatchProcessor
from validator.metrics import MetricsLogger
from validator.relay_calls import ValidatorRelay

LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
# The relay client's level covers the HTTP library under it, which would log one INFO line per request.
RELAY_CLIENT_LOGGERS = ("validator.relay_client", "httpx", "httpcore")
MIN_POLL_SLEEP_S = 0.5

logger = logging.getLogger("validator.local_validator")


class StopRequested(BaseException):
    """Raised by the SIGTERM handler so the loop unwinds like Ctrl-C."""


class CliError(BitsotaError):
    """A bad argument or a missing file: one line on stderr, exit status 2."""


def log_level(text: str) -> int:
    level = logging.getLevelName(text.strip().upper())
    if not isinstance(level, int):
        raise argparse.ArgumentTypeError(f"unknown log level: {text}")
    return level


def build_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m validator.local_validator",
                                description="Local BitSota validator: re-scores relay submissions and votes; sets no weights.")
    p.add_argument("--relay-url", type=http_url, default="http://127.0.0.1:8002", help="relay base URL")
    p.add_argument("--wallet-name", required=True, help="btcli wallet name")
    p.add_argument("--wallet-hotkey", required=True, help="hotkey name (only the hotkey is loaded)")
    p.add_argument("--wallet-path", default=signing.DEFAULT_WALLET_PATH, help="wallet directory")
    p.add_argument("--create-hotkey", action="store_true",
                   help="create an unencrypted local hotkey file (no chain needed) if missing, print its address and exit")
    p.add_argument("--poll-interval", type=float, default=15.0, help="seconds between polls (at least 0.5)")
    p.add_argument("--limit", type=int, default=256, help="/results?limit= (values below 1 become 1)")
    p.add_argument("--task-id", default=None, help="/results?task_id= filter (exact match)")
    p.add_argument("--blacklist-cutoff", type=float, default=0.1, help="absolute score difference that triggers a blacklist vote")
    p.add_argument("--seen-block-mode", choices=("time", "fixed"), default="time")
    p.add_argument("--seen-block", type=int, default=1, help="seen_block in fixed mode (at least 1)")
    p.add_argument("--log-level", type=log_level, default=logging.INFO)
    p.add_argument("--relay-client-log-level", type=log_level, default=logging.WARNING)
    p.add_argument("--stats-interval", type=float, default=30.0, help="seconds between stats lines; 0 disables them")
    p.add_argument("--metrics-log", default="local_validator_metrics.log", help='JSONL metrics path; "" disables it')
    p.add_argument("--once", action="store_true", help="one poll, one stats line, then exit")
    return p


def configure_logging(level: int, relay_client_level: int) -> None:
    logging.basicConfig(level=level, format=LOG_FORMAT, force=True)
    for name in RELAY_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(relay_client_level)


def seen_block_function(mode: str, fixed: int) -> Callable[[], int]:
    """`time`: Unix seconds at vote time; `fixed`: the given block, clamped to at least 1."""
    if mode == "fixed":
        block = max(1, fixed)
        return lambda: block
    return lambda: max(1, int(time.time()))


def _load_hotkey(args: argparse.Namespace):
    try:
        return signing.load_hotkey(args.wallet_name, args.wallet_hotkey, args.wallet_path)
    except signing.SigningError as exc:
        raise CliError(str(exc)) from exc


def _check_evaluator() -> None:
    from core.evaluate import evaluator_problem

    problem = evaluator_problem()
    if problem:
        raise CliError(problem)


def _log_suite_settings() -> None:
    from core.evaluate import selected_evaluator
    from core.hyperparams import validator_hyperparams

    h = validator_hyperparams()
    logger.info("Suite settings: task_count=%d task_seed=%d epochs=%d default_task_type=%s default_input_dim=%d "
                "scalar_linear_large_suite=%s source=%s evaluator=%s", h.task_count, h.task_seed, h.epochs,
                h.default_task_type, h.default_input_dim, h.scalar_linear_large_suite, h.source, selected_evaluator())


def _raise_stop(signum, frame) -> None:
    raise StopRequested


def run(args: argparse.Namespace) -> int:
    hotkey = _load_hotkey(args)
    _check_evaluator()
    from core.verify import verify_solution_quality

    metrics = MetricsLogger(args.metrics_log) if args.metrics_log else None
    if metrics:
        metrics.session_start()
    client = ValidatorRelay(args.relay_url, hotkey)
    processor = BatchProcessor(client=client, verify=verify_solution_quality,
                               seen_block=seen_block_function(args.seen_block_mode, args.seen_block),
                               limit=max(1, args.limit), task_id=args.task_id or None,
                               blacklist_cutoff=args.blacklist_cutoff, metrics=metrics)
    logger.info("Local validator started relay=%s hotkey=%s poll=%.1fs", args.relay_url, hotkey.ss58_address, args.poll_interval)
    _log_suite_settings()
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        _loop(processor, args)
    except (KeyboardInterrupt, StopRequested):
        logger.info("Local validator stopped (%s)", processor.stats_line())
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        client.close()
        if metrics:
            metrics.session_end()
    return 0


def _loop(processor: BatchProcessor, args: argparse.Namespace) -> None:
    last_stats: float | None = None
    while True:
        processor.poll_once()
        now = time.monotonic()
        if args.once or (args.stats_interval > 0 and (last_stats is None or now - last_stats >= args.stats_interval)):
            logger.info(processor.stats_line())
            last_stats = now
        if args.once:
            return
        time.sleep(max(MIN_POLL_SLEEP_S, args.poll_interval))


def create_hotkey(args: argparse.Namespace) -> int:
    keypair = signing.create_test_hotkey(args.wallet_name, args.wallet_hotkey, args.wallet_path)
    print(f"{signing.hotkey_file(args.wallet_name, args.wallet_hotkey, args.wallet_path)} {keypair.ss58_address}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level, args.relay_client_log_level)
    try:
        if args.create_hotkey:
            return create_hotkey(args)
        return run(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(run_main(main))
