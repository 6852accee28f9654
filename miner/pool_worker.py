"""Pool compute worker (pool.md §6.1): leases sidecar jobs, evaluates and evolves, posts the results.

`python -m miner.pool_worker` (shim: `python -m scripts.pool_miner_sidecar`). Workers are threads with ids
"0".."N-1"; SIGINT/SIGTERM stops leasing, the current job finishes and posts its result, then exit 0.
"""

from __future__ import annotations

from miner import detach

if __name__ == "__main__":
    detach.catch()  # before the imports below (see miner.detach)

import argparse
import hashlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from core.cli import OneLineParser, http_url, run_main
from miner.pool_compute import Compute, MockCompute, RealCompute
from miner.sender import EventSender, SidecarPoster
from sidecar.client import SidecarClient, sidecar_url

DEFAULT_GENERATIONS = 5
PARENT_CHECK_S = 2.0


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _seconds_until(timeout_at: str | None, now: float) -> float | None:
    if not timeout_at:
        return None
    try:
        return datetime.strptime(timeout_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp() - now
    except ValueError:
        return None


class JobRunner:
    """Runs one job kind with a Compute; pure of HTTP so it is testable on its own."""

    def __init__(self, compute: Compute, args: argparse.Namespace):
        self.compute, self.args = compute, args
        self.counter = 0

    def run(self, kind: str, payload: dict) -> dict:
        handler = {"evaluate": self.evaluate, "evolve": self.evolve, "lease": self.lease}.get(kind)
        if handler is None:
            raise ValueError(f"unknown kind: {kind}")
        return handler(payload)

    def _score(self, algorithm: dict, input_dim: int, problem: str) -> float | None:
        try:
            score = self.compute.score(str(algorithm.get("algorithm_dsl", "")), int(algorithm.get("input_dim") or input_dim),
                                       str(algorithm.get("task_type") or problem))
        except Exception:  # a failing evaluation is reported as a failure, not a job error
            return None
        return score if score is not None and math.isfinite(score) else None

    def evaluate(self, payload: dict) -> dict:
        input_dim, problem = int(payload.get("input_dim") or 16), str(payload.get("task_type") or "cifar10_binary")
        return {"evaluations": [{"algorithm_id": a.get("id"), "score": self._score(a, input_dim, problem)}
                                for a in payload.get("algorithms") or []]}

    def _generations(self, payload: dict) -> int:
        if self.args.evolve_generations is not None:
            return self.args.evolve_generations
        return int(payload.get("generations") or DEFAULT_GENERATIONS)

    def evolve(self, payload: dict) -> dict:
        parents = payload.get("algorithms") or []
        problem = str(payload.get("task_type") or (parents[0].get("task_type") if parents else None) or "cifar10_binary")
        generations = self._generations(payload)
        self.counter += 1
        dsl, fitness = self.compute.evolve(parents, int(payload.get("input_dim") or 16), problem, generations,
                                           self.counter)
        result = {"evolved_function": dsl, "generations_run": generations}
        if fitness is not None and math.isfinite(fitness):
            result["fitness"] = fitness
        return result

    def lease(self, payload: dict) -> dict:
        """Evaluate in order, keep the evolve reserve, then evolve from the best just-scored (or seeds)."""
        now = time.time()
        left = _seconds_until(payload.get("timeout_at"), now)
        buffer = _clamp(self.args.lease_submit_buffer_s, 10, 60)
        if left is not None:
            buffer = min(buffer, 0.33 * max(left, 0))
        deadline = now + (left - buffer if left is not None else float("inf"))
        budget = int(payload.get("evolve_budget") or 0)
        reserve = min(self.args.lease_evolve_reserve_s, 0.8 * max(deadline - now, 0)) if budget > 0 else 0.0
        input_dim = int(payload.get("input_dim") or 16)
        evaluations, scored = [], []
        for algorithm in payload.get("evaluate_algorithms") or []:
            if time.time() > deadline - reserve:
                break
            score = self._score(algorithm, input_dim, str(algorithm.get("task_type") or "cifar10_binary"))
            evaluations.append({"algorithm_id": algorithm.get("id"), "score": score})
            if score is not None:
                scored.append((score, algorithm))
        evolutions, iterations = [], 0
        if budget > 0 and time.time() < deadline:
            parents = [a for _, a in sorted(scored, key=lambda pair: -pair[0])[:2]] or payload.get("seed_algorithms") or []
            if parents:
                iterations = self.args.lease_evolve_generations
                problem = str(parents[0].get("task_type") or "cifar10_binary")
                self.counter += 1
                dsl, _ = self.compute.evolve(parents, input_dim, problem, iterations, self.counter)
                evolutions.append({"parent_algorithm_ids": [a.get("id") for a in parents], "algorithm_dsl": dsl})
        return {"evaluations": evaluations, "evolutions": evolutions[:budget], "iterations": iterations}


def _log_line(kind: str, job_id: str, result: dict) -> str:
    if kind == "evaluate":
        return f"[pool-miner] evaluate job={job_id} n={len(result.get('evaluations', []))}"
    if kind == "evolve":
        return f"[pool-miner] evolve job={job_id} dsl_len={len(result.get('evolved_function', ''))}"
    return (f"[pool-miner] lease job={job_id} eval_n={len(result.get('evaluations', []))} "
            f"evo_n={len(result.get('evolutions', []))} iter_n={result.get('iterations', 0)}")


class Worker(threading.Thread):
    def __init__(self, worker_id: str, args: argparse.Namespace, stop: threading.Event, events: EventSender):
        super().__init__(name=f"pool-worker-{worker_id}", daemon=True)
        self.worker_id, self.args, self.stop, self.events = worker_id, args, stop, events
        seed = args.seed + int(worker_id) if args.seed is not None else _derived_seed(args.run_id, worker_id)
        compute = (MockCompute(args.run_id, worker_id, seed, args.mock_skew) if args.mode == "mock"
                   else RealCompute(seed))
        self.runner = JobRunner(compute, args)
        self.jobs_done = 0
        self.started = time.monotonic()

    def run(self) -> None:
        with SidecarClient(self.args.sidecar_url) as sidecar:
            self.events.send(_log(f"[pool-miner] worker={self.worker_id} mode={self.args.mode}"))
            while not self.stop.is_set():
                try:
                    job = sidecar.next_job(self.args.run_id, self.worker_id, self.args.lease_seconds)
                except Exception:  # sidecar down or restarting: wait and retry
                    job = None
                if job is None:
                    self.stop.wait(self.args.poll_interval_s)
                    continue
                self._handle(sidecar, job)

    def _handle(self, sidecar: SidecarClient, job: dict) -> None:
        job_id, kind = job["job_id"], job.get("kind", "")
        try:
            result = self.runner.run(kind, job.get("payload") or {})
            status, error, line = "ok", None, _log_line(kind, job_id, result)
        except Exception as exc:  # every job failure is reported as the job's error
            result, status, error = {}, "error", str(exc) or type(exc).__name__
            line = f"[pool-miner] job={job_id} error={error}"
        try:
            sidecar.post_job_result(job_id, status, result, error, run_id=self.args.run_id)
        except Exception:  # the job lease expires and the job is run again
            pass
        self.jobs_done += 1
        rate = self.jobs_done / max(time.monotonic() - self.started, 1e-9)
        self.events.send({"type": "progress", "worker_id": self.worker_id, "iteration": self.jobs_done, "rate": rate})
        self.events.send(_log(line))


def _log(message: str) -> dict:
    return {"type": "log", "message": message}


def _derived_seed(run_id: str, worker_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{run_id}:{worker_id}".encode()).digest()[:4], "big")


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    env = os.environ
    parser = OneLineParser(prog="python -m scripts.pool_miner_sidecar", description="Pool compute worker.")
    parser.add_argument("--sidecar-url", type=http_url, default=sidecar_url())
    parser.add_argument("--run-id", default=env.get("BITSOTA_SIDECAR_RUN_ID", "pool_run"))
    parser.add_argument("--workers", type=int, default=int(env.get("BITSOTA_POOL_MINER_WORKERS", "1")))
    parser.add_argument("--mode", choices=("real", "mock"), default=env.get("BITSOTA_POOL_MINER_MODE", "real"))
    parser.add_argument("--evolve-generations", type=int, default=None)
    parser.add_argument("--lease-evolve-generations", type=int, default=160)
    parser.add_argument("--lease-seconds", type=int, default=600)
    parser.add_argument("--poll-interval-s", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--lease-submit-buffer-s", type=float,
                        default=_env_float("BITSOTA_POOL_LEASE_SUBMIT_BUFFER_S", 45.0))
    parser.add_argument("--lease-evolve-reserve-s", type=float,
                        default=_env_float("BITSOTA_POOL_LEASE_EVOLVE_RESERVE_S", 90.0))
    parser.add_argument("--mock-skew", type=float, default=0.0)
    parser.add_argument("--exit-with-parent", type=int, default=None, metavar="PID")
    args = parser.parse_args(argv)
    if not args.run_id.strip():
        parser.error("--run-id must not be empty")
    if args.workers < 1:
        parser.error("--workers must be >= 1")
    if args.mode == "real":
        from core.evaluate import evaluator_problem  # mock mode never evaluates

        problem = evaluator_problem()
        if problem:
            parser.error(problem)
    return args


def _watch_parent(pid: int, stop: threading.Event) -> None:
    def watch() -> None:
        while not stop.wait(PARENT_CHECK_S):
            if detach.requested():
                return
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                stop.set()
            except PermissionError:  # the process exists but belongs to someone else
                pass

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    detach.catch()
    args = parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    if args.exit_with_parent is not None:
        _watch_parent(args.exit_with_parent, stop)
    poster = SidecarPoster(args.sidecar_url, args.run_id, timeout=2.0)
    events = EventSender(poster).start()
    workers = [Worker(str(i), args, stop, events) for i in range(args.workers)]
    for worker in workers:
        worker.start()
    print(f"[pool-miner] {args.workers} worker(s) mode={args.mode} run_id={args.run_id} sidecar={args.sidecar_url}",
          flush=True)
    while any(worker.is_alive() for worker in workers):
        for worker in workers:
            worker.join(timeout=0.5)
    events.close()
    poster.close()
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
