"""Window numbering (pool.md §3.9 step 1): window w covers [origin + w·L, origin + (w+1)·L)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class WindowClock:
    origin_ts: float
    length_s: float

    def number(self, now: float) -> int:
        return max(0, math.floor((now - self.origin_ts) / self.length_s))

    def start(self, window: int) -> float:
        return self.origin_ts + window * self.length_s

    def end(self, window: int) -> float:
        return self.start(window + 1)

    @property
    def length_display(self) -> int | float:
        """The length for JSON: an integer when it is a whole number of seconds."""
        return int(self.length_s) if float(self.length_s).is_integer() else self.length_s

    def remaining_s(self, now: float) -> int:
        return max(0, math.ceil(self.end(self.number(now)) - now))
