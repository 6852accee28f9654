"""The miner that reports to the sidecar (miner.md §4), spawned by the TUI:

    python -m miner.sidecar_miner --sidecar-url URL --run-id ID [--config problem_config.json] [miner flags]

Exit status: 0 finished or stopped on request, 1 runtime failure, 2 usage or configuration error,
128 + signal number after a second stop signal.
"""

from __future__ import annotations

from miner import detach

if __name__ == "__main__":
    detach.catch()  # before the imports below, which take about a second (see miner.detach)

import sys
import uuid
from collections.abc import Sequence

from core.cli import run_main
from miner.options import OneLineParser, UsageError, add_sidecar_arguments, miner_parser, prepare_run
from miner.run import MinerRun
from miner.sender import EventSender, SidecarPoster
from miner.sinks import fan_out, file_sinks
from miner.sota import SharedSota, SotaFollower
from sidecar.client import SidecarClient, sidecar_url

FINAL_FLUSH_S = 5.0


def build_parser() -> OneLineParser:
    parser = miner_parser("python -m miner.sidecar_miner", "Evolve programs and report to the local sidecar.")
    add_sidecar_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    detach.catch()
    try:
        args = prepare_run(build_parser(), argv)
        files = file_sinks(csv_dir=args.csv_dir, run_tag=args.run_tag)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    url = (args.sidecar_url or sidecar_url()).rstrip("/")
    run_id = args.run_id or str(uuid.uuid4())
    poster = SidecarPoster(url, run_id, args.sidecar_timeout_seconds)
    sender = EventSender(poster, batch_size=args.sidecar_batch_size, flush_seconds=args.sidecar_flush_seconds)
    sender.start()
    publish = fan_out(sender.send, *files)
    sota = SharedSota()
    follower = None
    if args.follow_sota:
        follower = SotaFollower(SidecarClient(url, timeout=args.sidecar_timeout_seconds), run_id, sota).start()
    status = 1
    try:
        status = MinerRun(args, publish, dropped=lambda: sender.dropped, run_id=run_id, sota=sota).execute()
    finally:
        if follower is not None:
            follower.stop()
        sender.close(FINAL_FLUSH_S if status < 128 else 0.0)
        poster.close()
        for sink in files:
            sink.close()
    return status


if __name__ == "__main__":
    sys.exit(run_main(main))
