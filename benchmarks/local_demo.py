"""The TUI's `--local` demo, run unattended: does the local relay's SOTA rise, and how far?

    python -m benchmarks.local_demo [--minutes 5] [--keep-dir DIR]

Starts `bitsota-tui --local` in a tmux session of its own with a fresh HOME (a temporary directory), closes
the welcome dialog, presses `s` and lets it mine for `--minutes` of wall time. Meanwhile it reads the local
relay's public SOTA events (`GET /sota-events`) every few seconds. Then it quits the TUI (q, Stop & quit)
and prints, one `name=value` per line:

- sota_events: SOTA events the local validator finalized;
- sota_rises: how many of them raised the SOTA above the previous one;
- first_sota / final_sota: the scores of the first and of the last event (validator scores);
- seconds_to_final: wall seconds from pressing `s` to the last event;
- then one `event_<k>=<seconds>s <score>` line per event.

`--keep-dir` copies the run's `~/.bitsota/logs` and the submitter's status file there (the log of the run).
It needs tmux and the local relay port (8002) free. Wall time, not CPU time: this measures what a user sees.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from core.cli import OneLineParser

RELAY = "http://127.0.0.1:8002"
TUI = str(Path(sys.executable).with_name("bitsota-tui"))
POLL_SECONDS = 5.0


class TmuxSession:
    """A detached tmux server of its own running one shell with HOME set to `home`."""

    def __init__(self, home: Path) -> None:
        self.name = f"bitsota-demo-{uuid.uuid4().hex[:8]}"
        passed = {"HOME": str(home), "PATH": os.environ["PATH"], "PYTHONPATH": os.environ.get("PYTHONPATH", "")}
        env = [part for key, value in passed.items() for part in ("-e", f"{key}={value}")]
        self.tmux("new-session", "-d", "-s", self.name, "-x", "120", "-y", "40", "-c", str(home), *env,
                  "exec bash --noprofile --norc")
        self.socket = Path(self.tmux("display-message", "-p", "#{socket_path}").strip())

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.name, "-f", os.devnull, *args], capture_output=True, text=True)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def wait_for(self, text: str, seconds: float) -> None:
        self._poll(lambda: text in self.tmux("capture-pane", "-p", "-t", self.name), seconds,
                   f"{text!r} did not appear on the TUI's screen")

    def wait_for_shell(self, seconds: float) -> None:
        """Until the TUI has exited and the pane runs its shell again."""
        self._poll(lambda: self.tmux("display-message", "-p", "-t", self.name, "#{pane_current_command}").strip()
                   == "bash", seconds, "the TUI did not exit")

    @staticmethod
    def _poll(done, seconds: float, failure: str) -> None:
        deadline = time.monotonic() + seconds
        while not done():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{failure} within {seconds:.0f} s")
            time.sleep(0.2)

    def close(self) -> None:
        self.tmux("kill-server")
        self.socket.unlink(missing_ok=True)


def sota_events() -> list[dict]:
    """The relay's SOTA events, oldest first ([] while the relay is not up)."""
    try:
        page = httpx.get(f"{RELAY}/sota-events", params={"page_size": 100}, timeout=5).json()
    except (httpx.HTTPError, ValueError):
        return []
    return sorted(page.get("results", []), key=lambda event: (event["created_at"], event.get("id", 0)))


def run_demo(home: Path, minutes: float) -> tuple[float, list[tuple[float, float]]]:
    """Mine for `minutes`; (start time, [(seconds since start, score)] of each SOTA event)."""
    session = TmuxSession(home)
    try:
        session.keys(f"{TUI} --local", "Enter")
        session.wait_for("Welcome to bitsota-tui", 120)
        session.keys("Escape")
        session.wait_for("Wallet loaded", 120)
        session.keys("s")
        started = time.monotonic()
        seen: dict[str, tuple[float, float]] = {}
        while time.monotonic() - started < minutes * 60:
            for event in sota_events():
                key = f"{event['created_at']}/{event['score']}"
                seen.setdefault(key, (time.monotonic() - started, float(event["score"])))
            time.sleep(POLL_SECONDS)
        for event in sota_events():  # the last poll, before quitting
            seen.setdefault(f"{event['created_at']}/{event['score']}", (time.monotonic() - started, event["score"]))
        session.keys("q")
        session.wait_for("Stop & quit", 30)
        session.keys("Enter")
        session.wait_for_shell(60)
        return started, sorted(seen.values())
    finally:
        session.close()


def report(events: list[tuple[float, float]]) -> None:
    scores = [score for _, score in events]
    rises = sum(1 for before, after in zip(scores, scores[1:]) if after > before)
    lines = {"sota_events": len(events), "sota_rises": rises,
             "first_sota": f"{scores[0]:.6f}" if scores else "none",
             "final_sota": f"{scores[-1]:.6f}" if scores else "none",
             "seconds_to_final": f"{events[-1][0]:.0f}" if events else "none"}
    lines |= {f"event_{k}": f"{seconds:.0f}s {score:.6f}" for k, (seconds, score) in enumerate(events, 1)}
    for name, value in lines.items():
        print(f"{name}={value}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks.local_demo", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0, help="wall minutes of mining (default 5)")
    parser.add_argument("--keep-dir", type=Path, default=None, help="copy the run's logs and status files here")
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        parser.error("tmux is not installed")
    # the submitter may still be writing its last status as it stops after the TUI has quit
    with tempfile.TemporaryDirectory(prefix="bitsota-demo-", ignore_cleanup_errors=True) as tmp:
        home = Path(tmp)
        _, events = run_demo(home, args.minutes)
        if args.keep_dir:
            for part in ("logs", "submitter"):
                source = home / ".bitsota" / part
                if source.is_dir():
                    shutil.copytree(source, args.keep_dir / part, dirs_exist_ok=True)
        report(events)
    return 0


if __name__ == "__main__":
    sys.exit(main())
