"""UI responsiveness while a miner logs 1000 lines per second (tui.md §6, §12.4).

    python -m benchmarks.bench_tui [--seconds 60] [--rate 1000] [--all-levels]

A real sidecar (its own process, loopback) receives log events at `--rate` lines per second from a feeder thread;
the app polls it as in production. Every 100 ms a tab key is posted as the terminal driver would, and
the time until the screen has refreshed with the other tab is the key-press latency. The flood is worker progress
lines, which the logs pane hides by default (they are folded into the stats); `--all-levels` shows them, the
worst case for the pane. Prints one `name=value` per line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time

from sidecar.client import SidecarClient
from tests.helpers import free_port, wait_for


def start_sidecar() -> tuple[str, subprocess.Popen]:
    """A sidecar in its own process, as in production (it must not share the app's GIL)."""
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "sidecar", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: SidecarClient(url).health(), timeout=20, what="sidecar start")
    return url, process


def feed(url: str, run_id: str, rate: int, stop: threading.Event, sent: list[int]) -> None:
    """Post `rate` log lines per second in batches of 50, like the miner's sender."""
    batch, interval = 50, 50 / rate
    with SidecarClient(url) as sidecar:
        next_at = time.monotonic()
        while not stop.is_set():
            events = [{"type": "log", "message": f"[w0] Iter {sent[0] + i:07d}: engine_best=0.2500 rate=1000.0"}
                      for i in range(batch)]
            sidecar.ingest_batch(run_id, events)
            sent[0] += batch
            next_at += interval
            time.sleep(max(0.0, next_at - time.monotonic()))


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure(url: str, run_id: str, seconds: float, all_levels: bool) -> dict:
    from textual import events
    from textual.widgets import TabbedContent

    from tui import cli
    from tui.app import BitsotaApp
    from tui.logic.log_lines import LogFilter
    from tui.services.configure import session_config
    from tui.services.session import MiningSession
    from tui.widgets.log_pane import LogPane

    args = cli.parse_args(["--theme", "textual-dark", "--relay-url", "http://127.0.0.1:9",
                           "--sidecar-port", url.rsplit(":", 1)[1], "--task-type", "scalar_linear"])
    config, warnings = session_config(args)
    session = MiningSession(config)
    session.run_id, session.task_type, session.running = run_id, "scalar_linear", True
    app = BitsotaApp(session, args, warnings, start_services=False, welcome=False)
    latencies: list[float] = []
    async with app.run_test(size=(120, 34)):
        if all_levels:
            app.query_one(LogPane).set_filter(LogFilter(level="progress"))
        app.run_control.arm_poll()
        tabs = app.query_one("#tabs", TabbedContent)
        deadline = time.monotonic() + seconds
        keys = ["2", "1"]
        while time.monotonic() < deadline:
            key = keys[len(latencies) % 2]
            target = "candidates" if key == "2" else "mining"
            refreshed = asyncio.Event()
            started = time.perf_counter()
            app.post_message(events.Key(key, key))  # what the terminal driver posts for a key press
            while tabs.active != target:
                await asyncio.sleep(0.001)
            app.call_after_refresh(refreshed.set)
            await refreshed.wait()
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.1)
        pane = app.query_one(LogPane)
        shown, received = len(pane.buffer.shown), pane.buffer.received
        session.running = False
    return {"latencies": latencies, "pane_lines": shown, "received": received,
            "max_lines": config.settings.log_max_lines}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_tui", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=1000, help="log lines per second")
    parser.add_argument("--all-levels", action="store_true", help="show the progress lines in the logs pane too")
    args = parser.parse_args(argv)
    os.environ["HOME"] = tempfile.mkdtemp(prefix="bench-tui-")
    url, sidecar_process = start_sidecar()
    with SidecarClient(url) as sidecar:
        run_id = sidecar.start_run(meta={"task_type": "scalar_linear"})
    stop, sent = threading.Event(), [0]
    feeder = threading.Thread(target=feed, args=(url, run_id, args.rate, stop, sent), daemon=True)
    feeder.start()
    try:
        result = asyncio.run(measure(url, run_id, args.seconds, args.all_levels))
    finally:
        stop.set()
        feeder.join(5)
        sidecar_process.terminate()
        sidecar_process.wait(10)
    latencies_ms = [1000 * v for v in result["latencies"]]
    print(f"seconds={args.seconds:g}")
    print(f"lines_per_second={args.rate}")
    print(f"pane_shows_progress_lines={int(args.all_levels)}")
    print(f"lines_sent={sent[0]}")
    print(f"lines_received_by_pane={result['received']}")
    print(f"log_pane_lines={result['pane_lines']}")
    print(f"log_pane_bound={result['max_lines']}")
    print(f"key_presses={len(latencies_ms)}")
    print(f"key_latency_p50_ms={percentile(latencies_ms, 0.5):.1f}")
    print(f"key_latency_p99_ms={percentile(latencies_ms, 0.99):.1f}")
    print(f"peak_rss_mb={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
