"""Profile the mining path the TUI drives (miner.md §7.2):

    python -m benchmarks.profiling.gui_like [--config FILE] [miner flags] [--generations N]
        [--warmup-generations N] [--checkpoint-generations K] [--offline-sota-threshold X]
        [--no-simulate-gui-log-handler] [--sink-lines N] [--sidecar-url URL] [--out gui_like.pstats]

The sidecar miner's worker loop runs in-process with validation, event construction and delivery. Events
go to an in-memory sink that, by default, passes each one through the TUI's display logic (`tui.logic`:
log-line formatting, the batched bounded line buffer, stats extraction), or to a real sidecar.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Sequence

from benchmarks.profiling.harness import WorkCounter, evaluation_summary, print_summary, profile_call
from core.cli import run_main
from core.config import ConfigError, find_problem_config, load_problem_config
from core.evaluate import selected_evaluator
from miner.options import OneLineParser, UsageError, miner_parser, pre_parse_config, prepare_run
from miner.worker import MiningWorker


class GuiLogSimulator:
    """What the TUI does with each event, minus the widgets: format the line, buffer it (flushed every
    200 ms into a pane of `capacity` lines) and keep the per-worker stats it would read from `/state`."""

    def __init__(self, capacity: int) -> None:
        from tui.logic.line_buffer import LineBuffer  # the one place miner/ touches the TUI's logic
        from tui.logic.log_lines import event_line, line_style
        from tui.logic.stats import stats_from_state

        self._event_line, self._line_style, self._stats_from_state = event_line, line_style, stats_from_state
        self.buffer = LineBuffer(capacity)
        self.state: dict = {"workers": {}, "tasks_completed": 0, "best_candidate_score": None}
        self.stats = stats_from_state(self.state)
        self.styled = 0

    def __call__(self, event: dict) -> None:
        line = self._event_line(event)
        if self._line_style(line) is not None:
            self.styled += 1
        self.buffer.add(line)
        kind = event.get("type")
        if kind == "progress":
            self._track_progress(event)
        elif kind == "candidate":
            best = self.state["best_candidate_score"]
            score = event.get("validator_score")
            if score is not None and (best is None or score > best):
                self.state["best_candidate_score"] = score
            self.stats = self._stats_from_state(self.state)
        self.buffer.flush_if_due()

    def _track_progress(self, event: dict) -> None:
        workers = self.state["workers"]
        worker = workers.setdefault(str(event.get("worker_id", 0)), {"iteration": 0})
        worker.update(iteration=max(worker["iteration"], event.get("iteration") or 0), rate=event.get("rate"),
                      engine_best=event.get("engine_best"), pop_best=event.get("pop_best"),
                      fec_hit_rate=event.get("fec_hit_rate"))
        self.state["tasks_completed"] = sum(w["iteration"] for w in workers.values())
        self.stats = self._stats_from_state(self.state)

    def finish(self) -> None:
        self.buffer.flush()


class MemorySink:
    """Keeps only counts (and the simulator's output when it is on)."""

    def __init__(self, simulator: GuiLogSimulator | None) -> None:
        self.simulator = simulator
        self.events = 0

    def __call__(self, event: dict) -> None:
        self.events += 1
        if self.simulator is not None:
            self.simulator(event)


class TimedSink:
    """Measures the seconds spent handing events over (the 'event handling' share of the profile)."""

    def __init__(self, sink) -> None:
        self.sink = sink
        self.seconds = 0.0
        self.events = 0

    def __call__(self, event: dict) -> None:
        started = time.perf_counter()
        self.sink(event)
        self.seconds += time.perf_counter() - started
        self.events += 1


class GuiLikeHost:
    has_peers = False

    def __init__(self, emit, threshold: float) -> None:
        self.emit = emit
        self._threshold = threshold

    def stop_requested(self) -> bool:
        return False

    def threshold(self) -> float:
        return self._threshold

    def migrate(self, iteration: int, migrants: list[dict]) -> None:
        return None


def build_parser() -> OneLineParser:
    parser = miner_parser("python -m benchmarks.profiling.gui_like", "Profile the mining path the TUI drives.")
    parser.set_defaults(seed=0, log_level="WARNING")
    add = parser.add_argument_group("profiling").add_argument
    add("--generations", type=int, default=1, help="profiled iterations")
    add("--warmup-generations", type=int, default=1, help="unprofiled iterations first")
    add("--checkpoint-generations", type=int, default=None,
        help="progress and population snapshot cadence (default: config mining.checkpoint_generations)")
    add("--offline-sota-threshold", type=float, default=1e9, help="verification threshold")
    add("--simulate-gui-log-handler", action="store_true", default=True,
        help="pass every event through the TUI's display logic (default)")
    add("--no-simulate-gui-log-handler", dest="simulate_gui_log_handler", action="store_false")
    add("--sink-lines", type=int, default=5000, help="capacity of the simulated log pane")
    add("--sidecar-url", default=None, help="post to this sidecar instead of the in-memory sink")
    add("--out", default="gui_like.pstats", help="output .pstats file")
    return parser


def _tui_like_argv(argv: Sequence[str] | None) -> tuple[list[str], dict]:
    """The argument list with the problem config the TUI would pick (lookup order of miner.md §3.3)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    explicit = pre_parse_config(argv)
    path = find_problem_config(explicit)
    if path is None or not path.is_file():
        return argv, {}
    try:
        config = load_problem_config(path)
    except ConfigError as exc:
        raise UsageError(f"--config: {exc}") from None
    return (argv if explicit else ["--config", str(path), *argv]), config


def _parse(argv: Sequence[str] | None):
    argv, config = _tui_like_argv(argv)
    args = prepare_run(build_parser(), argv)
    if args.generations < 1 or args.warmup_generations < 0 or args.sink_lines < 1:
        raise UsageError("--generations and --sink-lines must be at least 1, --warmup-generations at least 0")
    cadence = args.checkpoint_generations or (config.get("mining") or {}).get("checkpoint_generations")
    if cadence is not None:
        args = args.replace(log_every=int(cadence), population_snapshot_every=int(cadence))
    return args.replace(iterations=args.warmup_generations + args.generations)  # the TUI mines until stopped


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parse(argv)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    simulator = GuiLogSimulator(args.sink_lines) if args.simulate_gui_log_handler else None
    sender = _sidecar_sender(args.sidecar_url) if args.sidecar_url else None
    sink = TimedSink(sender.send if sender else MemorySink(simulator))
    worker = MiningWorker(args, 0, GuiLikeHost(sink, args.offline_sota_threshold))
    worker.load_start_state()
    for iteration in range(1, args.warmup_generations + 1):
        worker.step(iteration)
    counter = WorkCounter(worker.engine)
    evaluations_before = worker.engine.evaluations
    sink.seconds, sink.events = 0.0, 0
    lines_before = simulator.buffer.received if simulator else 0
    worker.timings.reset()

    def iterations() -> None:
        for iteration in range(args.warmup_generations + 1, args.iterations + 1):
            worker.step(iteration)
        if simulator is not None:
            simulator.finish()

    wall, stats = profile_call(iterations, args.out)
    summary = evaluation_summary(worker.engine, counter, wall, args.generations, evaluations_before, stats,
                                 selected_evaluator(), args.out)
    summary.update(
        events_emitted=sink.events,
        lines_sunk=simulator.buffer.received - lines_before if simulator else 0,
        pane_writes=simulator.buffer.writes if simulator else 0,
        event_handling_seconds=round(sink.seconds, 6),
        evolution_seconds=round(worker.timings.seconds["evolve"], 6),
        validation_seconds=round(worker.timings.seconds["validate"], 6),
    )
    if sender is not None:
        sender.close(5.0)
    print_summary(summary)
    return 0


def _sidecar_sender(url: str):
    from miner.sender import EventSender, SidecarPoster

    return EventSender(SidecarPoster(url, f"profile-{uuid.uuid4()}", 2.0)).start()


if __name__ == "__main__":
    sys.exit(run_main(main))
