"""The relay's per-process state (§9.5), opened and closed by the app's lifespan. What must be shared between
processes (the replay ledger, vote serialisation) lives in the database, not here."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from fastapi import Request

from core.infra.replay import ReplayLedger
from relay.allowlist import Allowlist
from relay.claims import ClaimChecks
from relay.db import Database
from relay.metrics import RequestMetrics
from relay.settings import Settings


@dataclass
class RelayState:
    settings: Settings
    db: Database
    allowlist: Allowlist
    replay: ReplayLedger
    metrics: RequestMetrics
    claims: ClaimChecks = field(default_factory=ClaimChecks)
    started_at: float = field(default_factory=time.time)


def get_state(request: Request) -> RelayState:
    return request.app.state.relay
