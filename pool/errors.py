"""Errors the pool answers with `{"detail": ...}` (pool.md §1.4); the detail strings are the contract."""

from __future__ import annotations

from core.infra.errors import ServiceError

ACTIVE_TASK = "Miner already has active task"
NO_TASKS = "No tasks available"
UNSUPPORTED_TASK_TYPE = "Unsupported task_type"
LEASE_USED = "Lease already used in this window"
ASSIGNMENT_NOT_FOUND = "Active assignment not found"
LEASE_NOT_FOUND = "Active lease assignment not found"
NOT_EVOLVE = "Assignment is not an evolve task"
NOT_EVALUATE = "Assignment is not an evaluate task"


class PoolError(ServiceError):
    """A pool refusal; answered `{"detail": ...}` by the kit's ServiceError handler."""
