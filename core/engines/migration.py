"""Island migration (algorithm.md §14) as a library: workers export migrants, the coordinator pools and
shuffles them with its own generator, and each worker gets back as many as it sent, for the same slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from core.engines.base import Engine
from core.errors import BitsotaError

COORDINATOR_SEED_OFFSET = 1000003


class MigrationDesync(BitsotaError, RuntimeError):
    """Workers asked to migrate at different iterations."""


@dataclass(frozen=True)
class MigrationRequest:
    worker_id: int
    iteration: int
    migrants: list[dict]

    @property
    def count(self) -> int:
        return len(self.migrants)


def coordinator_rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(int(seed) + COORDINATOR_SEED_OFFSET))


def exchange_migrants(requests: Sequence[MigrationRequest], rng: np.random.Generator) -> dict[int, list[dict]]:
    """Pool the migrants in worker order, shuffle them, and deal each worker as many as it sent."""
    iterations = {request.iteration for request in requests}
    if len(iterations) > 1:
        detail = ", ".join(f"w{r.worker_id}@{r.iteration}" for r in requests)
        raise MigrationDesync(f"migration desync: workers are at different iterations ({detail})")
    ordered = sorted(requests, key=lambda r: r.worker_id)
    pool = [item for request in ordered for item in request.migrants]
    shuffled = [pool[i] for i in rng.permutation(len(pool))]
    dealt, start = {}, 0
    for request in ordered:
        dealt[request.worker_id] = shuffled[start:start + request.count]
        start += request.count
    return dealt


def migrate_in_process(engines: Sequence[Engine], iteration: int, rng: np.random.Generator) -> None:
    """One migration round between engines living in one process (what the coordinator does over queues)."""
    slots, requests = {}, []
    for engine in engines:
        indices, items = engine.export_migrants()
        slots[engine.worker_id] = indices
        requests.append(MigrationRequest(engine.worker_id, iteration, items))
    dealt = exchange_migrants(requests, rng)
    for engine in engines:
        engine.import_migrants(slots[engine.worker_id], dealt[engine.worker_id])
