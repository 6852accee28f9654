"""The pool coordinator's "Job failed" line carries the worker's reason (issue 12: a pool smoke run without the
CIFAR-10 data set failed twenty times in silence)."""

from __future__ import annotations

from miner.pool_coordinator import ActiveJob, PoolTaskCoordinator


class _NoPool:
    def release(self, *_args, **_kwargs):
        return None


def test_a_failed_job_line_names_the_reason():
    lines: list[str] = []
    coordinator = PoolTaskCoordinator(_NoPool(), None, "run", log=lines.append)
    coordinator.active = job = ActiveJob("evolve", "b1", "j1", {}, deadline=10**12)
    coordinator._finish(job, {"job_id": "j1", "status": "failed",
                              "error": "DatasetUnavailable: cifar10 is missing\n  fetch it with python -m core.datasets"})
    assert lines == ["[pool] Job failed kind=evolve status=failed error=DatasetUnavailable: cifar10 is missing "
                     "fetch it with python -m core.datasets"]
    coordinator.active = job = ActiveJob("evolve", "b2", "j2", {}, deadline=10**12)
    coordinator._finish(job, {"job_id": "j2", "status": "failed"})
    assert lines[-1].endswith("error=no reason given by the worker")
