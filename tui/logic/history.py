"""SOTA history for the sparklines (tui.md §3.1): one sample per poll, bounded, downsampled to a width."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence

HISTORY_SAMPLES = 8640  # one day at one sample per 10 s, or 2.4 h at one per second


class SeriesHistory:
    def __init__(self, capacity: int = HISTORY_SAMPLES) -> None:
        self._values: deque[float | None] = deque(maxlen=capacity)

    def add(self, value: float | None) -> None:
        self._values.append(value)

    def __len__(self) -> int:
        return len(self._values)

    def values(self) -> list[float | None]:
        return list(self._values)

    def latest(self) -> float | None:
        return self._values[-1] if self._values else None


def downsample(values: Sequence[float | None], width: int) -> list[float]:
    """At most `width` points: the maximum of each bucket; unknown samples are left out."""
    known = [v for v in values if v is not None]
    if width <= 0 or not known:
        return []
    if len(known) <= width:
        return list(known)
    size = len(known) / width
    return [max(known[int(i * size):max(int((i + 1) * size), int(i * size) + 1)]) for i in range(width)]


def best(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None
