"""The verification threshold (miner.md §4.3 step 4): `--sota-threshold`, raised to the global SOTA the
sidecar miner follows (**Ext** `--follow-sota`: read `/state` every 30 s)."""

from __future__ import annotations

import logging
import math
import multiprocessing
import threading

log = logging.getLogger(__name__)

FOLLOW_INTERVAL_S = 30.0


class SharedSota:
    """The followed global SOTA in shared memory, so that spawned workers read what the main process
    writes. NaN means unknown."""

    def __init__(self) -> None:
        self._value = multiprocessing.get_context("spawn").Value("d", math.nan, lock=False)

    @property
    def value(self) -> float | None:
        value = self._value.value
        return None if math.isnan(value) else value

    def set(self, value: float | None) -> None:
        self._value.value = math.nan if value is None else float(value)

    def threshold(self, base: float) -> float:
        followed = self.value
        return base if followed is None else max(base, followed)


class SotaFollower:
    """A daemon thread reading the run's `global_sota` from the sidecar every `interval` seconds."""

    def __init__(self, client, run_id: str, sota: SharedSota, interval: float = FOLLOW_INTERVAL_S) -> None:
        self._client = client
        self._run_id = run_id
        self._sota = sota
        self._interval = interval
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="miner-sota-follower", daemon=True)

    def start(self) -> SotaFollower:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(2.0)

    def poll_once(self) -> None:
        try:
            value = self._client.state(self._run_id).get("global_sota")
        except Exception as exc:  # the sidecar may be away; keep the last value
            log.debug("reading the global SOTA failed: %s", exc)
            return
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            self._sota.set(float(value))

    def _run(self) -> None:
        while True:
            self.poll_once()
            if self._stopped.wait(self._interval):
                return
