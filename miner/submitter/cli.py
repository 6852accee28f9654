"""The submitter process:

    python -m miner.submitter --sidecar-url URL --run-id R --task-type T --relay-url URL
        --wallet-name W --wallet-hotkey H [--wallet-path P] [--password-stdin] [...]

It runs until SIGTERM/SIGINT, until the process named by `--exit-with-parent` is gone (SIGUSR1 turns that
watch off, as for the miner), or until the sidecar run is stopped and every candidate is decided.
Exit status: 0 done or stopped, 2 usage, wallet or configuration error.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bittensor_wallet import Keypair, Wallet

from core.cli import OneLineParser, http_url
from core.signing import DEFAULT_WALLET_PATH, SigningError, hotkey_file
from miner import detach
from miner.submitter.loop import Submitter, SubmitterOptions
from miner.submitter.status import status_path
from sidecar.parentwatch import ParentWatch

TASK_TYPES = ("cifar10_binary", "mnist_binary", "scalar_linear", "pool")
TICK_S = 1.0


def _positive(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return value


def build_parser() -> OneLineParser:
    p = OneLineParser(prog="python -m miner.submitter",
                      description="Submit a mining run's candidates to the relay (or drive pool mode), headless.")
    p.add_argument("--sidecar-url", type=http_url, required=True, help="the sidecar the miner reports to")
    p.add_argument("--run-id", required=True, help="the sidecar run whose candidates are submitted")
    p.add_argument("--task-type", choices=TASK_TYPES, required=True, help="the run's task type (pool: pool mode)")
    p.add_argument("--relay-url", type=http_url, help="relay to submit to (required unless --task-type pool)")
    p.add_argument("--pool-url", type=http_url, help="Pool API (required with --task-type pool)")
    p.add_argument("--pool-mode", choices=("task", "lease"), default="task", help="pool coordinator (default task)")
    p.add_argument("--wallet-name", required=True, help="wallet holding the run's hotkey")
    p.add_argument("--wallet-hotkey", required=True, help="the hotkey that signs every submission of this run")
    p.add_argument("--wallet-path", default=DEFAULT_WALLET_PATH, help=f"wallet directory (default {DEFAULT_WALLET_PATH})")
    p.add_argument("--password-stdin", action="store_true",
                   help="read the password of an encrypted hotkey from the first line of standard input")
    p.add_argument("--cooldown-s", type=_non_negative, default=60.0,
                   help="seconds between successful submissions (default 60)")
    p.add_argument("--sota-refresh-s", type=_positive, default=30.0, help="relay SOTA refresh period (default 30)")
    p.add_argument("--verify-timeout-s", type=_positive, default=60.0,
                   help="longest re-scoring of one candidate; a slower program is refused (default 60)")
    p.add_argument("--status-file", help="status file (default ~/.bitsota/submitter/<run_id>.json)")
    p.add_argument("--exit-with-parent", type=int, metavar="PID", help="stop when process PID is gone")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.task_type == "pool" and not args.pool_url:
        parser.error("--pool-url is required with --task-type pool")
    if args.task_type != "pool" and not args.relay_url:
        parser.error("--relay-url is required unless --task-type pool")
    if not args.run_id.strip():
        parser.error("--run-id must not be blank")
    return args


def load_run_hotkey(args: argparse.Namespace) -> Keypair:
    """The run's hotkey from its btcli wallet file; an encrypted one needs --password-stdin."""
    path = hotkey_file(args.wallet_name, args.wallet_hotkey, args.wallet_path)
    if not path.is_file():
        raise SigningError(f"hotkey file not found: {path}")
    wallet = Wallet(name=args.wallet_name, hotkey=args.wallet_hotkey, path=str(path.parents[2]))
    try:
        if wallet.hotkey_file.is_encrypted():
            if not args.password_stdin:
                raise SigningError(f"hotkey {path} is encrypted: pass its password with --password-stdin")
            return wallet.hotkey_file.get_keypair(password=sys.stdin.readline().rstrip("\n"))
        return wallet.get_hotkey()
    except SigningError:
        raise
    except Exception as exc:  # bittensor_wallet's KeyFileError family
        raise SigningError(f"cannot load hotkey {path}: {exc}") from exc


def _install_stop(stop: threading.Event, parent: int | None) -> ParentWatch | None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if parent is None:
        return None
    watch = ParentWatch(parent, stop.set, on_detach=lambda: None)
    signal.signal(signal.SIGUSR1, lambda *_: watch.detach())
    if detach.requested():  # SIGUSR1 came while this process was starting
        watch.detach()
    watch.start()
    return watch


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        keypair = load_run_hotkey(args)
    except SigningError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    options = SubmitterOptions(args.sidecar_url, args.run_id.strip(), args.task_type, args.relay_url, args.pool_url,
                               args.pool_mode, args.cooldown_s, args.sota_refresh_s, args.verify_timeout_s)
    status_file = Path(args.status_file).expanduser() if args.status_file else status_path(options.run_id)
    stop = threading.Event()
    _install_stop(stop, args.exit_with_parent)
    submitter = Submitter(options, keypair, status_file)
    target = options.pool_url if options.pool else options.relay_url
    submitter.say(f"[submitter] run {options.run_id} ({options.task_type}) signing as {keypair.ss58_address} "
                  f"for {target}; status in {status_file}")
    try:
        while not stop.is_set() and not submitter.finished:
            started = time.monotonic()
            submitter.tick()
            stop.wait(max(0.0, TICK_S - (time.monotonic() - started)))
        reason = "the run is over" if submitter.finished else "asked to stop"
        submitter.say(f"[submitter] stopped: {reason}")
        submitter.flush("stopped")
    except Exception as exc:  # the process edge: say what happened in the status file, then fail
        submitter.fail("crash", f"submitter failed: {type(exc).__name__}: {exc}")
        submitter.flush("failed")
        raise
    finally:
        submitter.close()
    return 0
