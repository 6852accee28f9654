"""The log pane's line buffer (tui.md §12.4): incoming lines wait in a bounded batch that is written in
one call every 200 ms; the pane itself keeps at most `capacity` lines."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from tui.logic import clock

FLUSH_INTERVAL_S = 0.2


class LineBuffer:
    def __init__(self, capacity: int, flush_interval: float = FLUSH_INTERVAL_S) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self.flush_interval = flush_interval
        self.pending: deque[str] = deque(maxlen=capacity)  # more than a pane's worth would scroll away unseen
        self.shown: deque[str] = deque(maxlen=capacity)
        self.received = 0
        self.discarded = 0  # lines that never reached the pane
        self.writes = 0
        self._last_flush = clock.now()

    def add(self, line: str) -> None:
        if len(self.pending) == self.capacity:
            self.discarded += 1
        self.pending.append(line)
        self.received += 1

    def extend(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.add(line)

    def due(self) -> bool:
        return bool(self.pending) and clock.now() - self._last_flush >= self.flush_interval

    def flush(self) -> list[str]:
        """The batch to write now (one widget call), moved into the pane's retained lines."""
        batch = list(self.pending)
        self.pending.clear()
        self._last_flush = clock.now()
        if batch:
            self.shown.extend(batch)
            self.writes += 1
        return batch

    def flush_if_due(self) -> list[str]:
        return self.flush() if self.due() else []
