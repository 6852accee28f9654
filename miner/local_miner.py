"""The standalone miner (miner.md §6): the sidecar miner's loop with events printed as display lines on
stdout and, optionally, written to JSON-lines and CSV files. It never contacts a sidecar or relay.

    python -m miner.local_miner [--config problem_config.json] [miner flags] [--quiet]
        [--candidates-out FILE] [--events-out FILE] [--csv-dir DIR [--run-tag TAG]]
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from core.cli import run_main
from miner.events import EventIds
from miner.options import OneLineParser, UsageError, miner_parser, prepare_run
from miner.run import MinerRun
from miner.sinks import ConsoleSink, fan_out, file_sinks


def build_parser() -> OneLineParser:
    parser = miner_parser("python -m miner.local_miner", "Evolve programs; print progress and candidates.")
    add = parser.add_argument_group("output").add_argument
    add("--quiet", action="store_true", help="print only candidates and errors")
    add("--candidates-out", default=None, metavar="FILE", help="append candidate events as JSON lines")
    add("--events-out", default=None, metavar="FILE", help="append every event as JSON lines")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = prepare_run(build_parser(), argv)
        files = file_sinks(events_out=args.events_out, candidates_out=args.candidates_out, csv_dir=args.csv_dir,
                           run_tag=args.run_tag)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    ids = EventIds()
    publish = fan_out(ids.stamp, ConsoleSink(quiet=args.quiet), *files)
    try:
        return MinerRun(args, publish, run_id=args.run_tag).execute()
    finally:
        for sink in files:
            sink.close()


if __name__ == "__main__":
    sys.exit(run_main(main))
