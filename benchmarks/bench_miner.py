"""Mining rate of the sidecar miner's worker loop with the sidecar up, down, or silent (miner.md §4.6:
mining never waits on the sidecar).

    python -m benchmarks.bench_miner [--seconds N]

Runs the in-process worker loop on a small scalar_linear search with a progress event every iteration,
sending to: nothing (`none`), a port with no listener (`down`), and a socket that accepts but never answers
(`silent`). Prints iterations per second for each and the ratios to `none`, one `name=value` per line.
"""

from __future__ import annotations

import argparse
import socket
import sys
import time

from miner.options import miner_parser, parse_options
from miner.sender import EventSender, SidecarPoster
from miner.worker import MiningWorker

SEARCH = ["--task-type", "scalar_linear", "--feature-dim", "4", "--train-examples", "100", "--val-examples",
          "100", "--pop-size", "100", "--miner-task-count", "4", "--seed", "0", "--log-every", "1",
          "--validate-every", "0", "--iterations", "0"]


class Host:
    has_peers = False

    def __init__(self, emit) -> None:
        self.emit = emit

    def stop_requested(self) -> bool:
        return False

    def threshold(self) -> float:
        return 0.0

    def migrate(self, iteration, migrants):
        return None


def iterations_per_second(emit, seconds: float) -> float:
    worker = MiningWorker(parse_options(miner_parser("bench", "bench"), SEARCH), 0, Host(emit))
    worker.step(1)  # builds the population
    iteration, started = 1, time.perf_counter()
    while time.perf_counter() - started < seconds:
        iteration += 1
        worker.step(iteration)
    return (iteration - 1) / (time.perf_counter() - started)


def closed_port() -> int:
    """A loopback port nobody listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_sender(url: str, seconds: float) -> tuple[float, int]:
    poster = SidecarPoster(url, "bench", timeout=2.0)
    sender = EventSender(poster).start()
    rate = iterations_per_second(sender.send, seconds)
    sender.close(timeout=0.0)
    poster.close()
    return rate, sender.dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_miner", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per case")
    args = parser.parse_args(argv)
    baseline = iterations_per_second(lambda event: None, args.seconds)
    down, down_dropped = with_sender(f"http://127.0.0.1:{closed_port()}", args.seconds)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        quiet, quiet_dropped = with_sender(f"http://127.0.0.1:{silent.getsockname()[1]}", args.seconds)
    print(f"iterations_per_second_none={baseline:.1f}")
    print(f"iterations_per_second_down={down:.1f}")
    print(f"iterations_per_second_silent={quiet:.1f}")
    print(f"ratio_down={down / baseline:.3f}")
    print(f"ratio_silent={quiet / baseline:.3f}")
    print(f"dropped_down={down_dropped}")
    print(f"dropped_silent={quiet_dropped}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
