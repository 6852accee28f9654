"""One mining worker (miner.md §4.1 step 5, §4.2): its engine on the miner suite and the per-iteration loop
of progress, population snapshots, validation, migration and checkpoints.

A worker talks to whatever hosts it through `WorkerHost`: the sidecar miner's main process (one worker),
a worker process under the coordinator, or a profiling harness.
"""

from __future__ import annotations

import argparse
import logging
import time
from typing import Protocol

from core.engines import CheckpointMismatch, Engine, EngineParams, make_engine
from core.engines.checkpoint import resume, write_checkpoint
from core.engines.fitness import miner_fitness
from core.engines.population import PopulationFileError
from core.hyperparams import miner_hyperparams
from miner.events import log_event, worker_done_event
from miner.initial_population import load_population_items
from miner.progress import ProgressMeter
from miner.validation import CandidateGate

log = logging.getLogger(__name__)


class WorkerHost(Protocol):
    """What a worker needs from the process around it."""

    has_peers: bool  # other workers to migrate with

    def emit(self, event: dict) -> None: ...

    def stop_requested(self) -> bool: ...

    def threshold(self) -> float:
        """The current verification threshold."""

    def migrate(self, iteration: int, migrants: list[dict]) -> list[dict] | None:
        """Exchange migrants with the other workers; None when the exchange was abandoned (stopping)."""


def engine_params(args: argparse.Namespace) -> EngineParams:
    return EngineParams(
        input_dim=args.feature_dim, pop_size=args.pop_size, tournament_size=args.tournament_size,
        mutation_prob=args.mutation_prob, archive_size=args.archive_size, scalar_count=args.scalar_regs,
        vector_count=args.vector_regs, matrix_count=args.matrix_regs, vector_dim=args.vector_dim,
        setup_max_ops=args.setup_max_ops, predict_max_ops=args.predict_max_ops, learn_max_ops=args.learn_max_ops,
        op_space=args.op_space,
    )


def build_engine(args: argparse.Namespace, worker_id: int, *, evaluator: str | None = None) -> Engine:
    """Worker `worker_id`'s engine on the miner suite, exactly as the miners build it."""
    library = miner_hyperparams()
    fitness_fn = miner_fitness(
        args.task_type, args.feature_dim, args.miner_task_count, args.cifar_seed,
        train_examples=args.train_examples, val_examples=args.val_examples, fec_cache_size=args.fec_cache_size,
        fec_train_examples=library.fec_train_examples, fec_valid_examples=library.fec_valid_examples,
        fec_forget_every=library.fec_forget_every, evaluator=evaluator,
    )
    return make_engine(args.engine, engine_params(args), fitness_fn, seed=args.seed, worker_id=worker_id,
                       verbose=args.verbose)


class _Timings:
    """Seconds spent per part of the loop since the last `[timing]` line (`--timing`)."""

    PARTS = ("evolve", "validate", "report")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.seconds = dict.fromkeys(self.PARTS, 0.0)

    def add(self, part: str, started: float) -> None:
        self.seconds[part] += time.perf_counter() - started

    def line(self, worker_id: int, iteration: int) -> str:
        parts = " ".join(f"{name}={seconds:.3f}s" for name, seconds in self.seconds.items())
        return f"[timing] w{worker_id} iter {iteration}: {parts}"


class _EngineLogForwarder(logging.Handler):
    """With --verbose, the engines' log lines also become `log` events of this worker."""

    def __init__(self, host: WorkerHost, worker_id: int) -> None:
        super().__init__(logging.INFO)
        self._host, self._worker_id = host, worker_id

    def emit(self, record: logging.LogRecord) -> None:
        self._host.emit(log_event(record.getMessage(), worker_id=self._worker_id))


class MiningWorker:
    def __init__(self, args: argparse.Namespace, worker_id: int, host: WorkerHost, *,
                 evaluator: str | None = None) -> None:
        self.args = args
        self.worker_id = worker_id
        self.host = host
        self.engine = build_engine(args, worker_id, evaluator=evaluator)
        self.gate = CandidateGate(worker_id=worker_id, task_type=args.task_type, engine=args.engine,
                                  input_dim=args.feature_dim, validate_every=args.validate_every,
                                  task_count=args.validator_task_count, task_seed=args.validator_task_seed)
        self.progress = ProgressMeter(worker_id)
        self.timings = _Timings()
        self.iteration = 0
        self._last_progress = 0

    # ------------------------------------------------------------------ start-up

    def load_start_state(self) -> None:
        """`--resume` from a checkpoint, else `--initial-population-path`; mismatches are logged and ignored."""
        if self.args.resume and self._resume():
            return
        if self.args.initial_population_path:
            self._load_initial_population(self.args.initial_population_path)

    def _resume(self) -> bool:
        try:
            resumed = resume(self.engine, self.args.checkpoint_dir, self.args.task_type)
        except (CheckpointMismatch, KeyError, ValueError) as exc:
            self._note(f"[checkpoint] w{self.worker_id} checkpoint ignored: {exc}")
            return False
        if resumed:
            self._note(f"[checkpoint] w{self.worker_id} resumed at generation {self.engine.generation}")
        return resumed

    def _load_initial_population(self, path: str) -> None:
        try:
            items = load_population_items(path, task_type=self.args.task_type, engine=self.args.engine,
                                          worker_id=self.worker_id, input_dim=self.args.feature_dim)
            self.engine.load_population(items)
        except (PopulationFileError, ValueError, KeyError) as exc:
            self._note(f"[population] w{self.worker_id} initial population ignored: {exc}")
            return
        self._note(f"[population] w{self.worker_id} loaded {len(items)} programs from {path}")

    def _note(self, message: str) -> None:
        log.info("%s", message)
        self.host.emit(log_event(message, worker_id=self.worker_id))

    # ------------------------------------------------------------------ the loop

    def run(self) -> int:
        """Iterate until `--iterations` or a stop request; send `done`; return the last iteration."""
        forwarder = self._forward_engine_logs() if self.args.verbose else None
        try:
            self.load_start_state()
            for iteration in range(1, self.args.iterations + 1):
                if self.host.stop_requested():
                    break
                self.step(iteration)
            if self.iteration and self._last_progress != self.iteration and self.args.worker_logs:
                self._report_progress()  # stopped early: the last iteration still gets its numbers
        finally:
            if forwarder is not None:
                logging.getLogger("core.engines").removeHandler(forwarder)
        self.host.emit(worker_done_event(self.worker_id, self.iteration))
        return self.iteration

    def step(self, iteration: int) -> None:
        """One iteration: evolve, then report, validate, migrate and checkpoint as their cadences say."""
        args = self.args
        started = time.perf_counter()
        self.engine.evolve_generation()
        self.iteration = iteration
        self.timings.add("evolve", started)
        started = time.perf_counter()
        if args.worker_logs and (iteration == 1 or iteration % args.log_every == 0 or iteration == args.iterations):
            self._report_progress()
        if args.population_snapshot_every and iteration % args.population_snapshot_every == 0:
            self.host.emit(self._population_event(iteration))
        self.timings.add("report", started)
        started = time.perf_counter()
        engine, best = self.engine, self.engine.best_program
        if best is not None and self.gate.due(iteration, best, engine.best_fitness):
            for event in self.gate.validate(iteration, best, engine.best_fitness, self.host.threshold()):
                self.host.emit(event)
        self.timings.add("validate", started)
        if args.migration_iters and self.host.has_peers and iteration % args.migration_iters == 0:
            self._migrate(iteration)
        if args.checkpoint_every and iteration % args.checkpoint_every == 0:
            write_checkpoint(args.checkpoint_dir, args.task_type, engine)
            self.host.emit(log_event(f"[checkpoint] w{self.worker_id} iter {iteration}", worker_id=self.worker_id))

    def _report_progress(self) -> None:
        engine = self.engine
        scores = [fitness for _, fitness in engine.population()]
        self.host.emit(self.progress.event(self.iteration, engine.best_fitness, scores, engine.evaluations,
                                           engine.fec_stats()))
        self._last_progress = self.iteration
        if self.args.timing:
            self.host.emit(log_event(self.timings.line(self.worker_id, self.iteration), worker_id=self.worker_id))
            self.timings.reset()

    def _population_event(self, iteration: int) -> dict:
        return {
            "type": "population",
            "worker_id": self.worker_id,
            "iteration": iteration,
            "task_type": self.args.task_type,
            "engine": self.args.engine,
            "population": self.engine.population_snapshot(),
        }

    def _migrate(self, iteration: int) -> None:
        indices, migrants = self.engine.export_migrants()
        received = self.host.migrate(iteration, migrants)
        if received is not None:
            self.engine.import_migrants(indices, received)

    def _forward_engine_logs(self) -> logging.Handler:
        engines_log = logging.getLogger("core.engines")
        engines_log.setLevel(logging.INFO)
        forwarder = _EngineLogForwarder(self.host, self.worker_id)
        engines_log.addHandler(forwarder)
        return forwarder
