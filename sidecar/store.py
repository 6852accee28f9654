"""A bounded append-only item store with monotonic sequence numbers and cursor reads (sidecar.md §4)."""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterator
from operator import itemgetter
from typing import NamedTuple

_seq_of = itemgetter("seq")


class Page(NamedTuple):
    cursor: int  # the cursor to send with the next read
    items: list[dict]
    skipped: int  # evicted items the request's cursor passed over


SCALAR_BYTES = 24  # a number, boolean or null, with its share of the dict


def item_bytes(item: dict) -> int:
    """About what an item weighs (to hold, journal and send): its strings' lengths, nested values as JSON, a fixed
    share per scalar. Four times cheaper than encoding every item, which matters on the ingest path."""
    size = 2
    for key, value in item.items():
        size += len(key) + 4
        if isinstance(value, str):
            size += len(value) + 2
        elif isinstance(value, (dict, list)):
            size += len(json.dumps(value, ensure_ascii=False))
        else:
            size += SCALAR_BYTES
    return size


class ItemStore:
    """Items in `seq` order; once more than `cap` are held, or their JSON passes `max_bytes`, the oldest are
    evicted (the newest item is always kept)."""

    def __init__(self, cap: int, max_bytes: int):
        self.cap = cap
        self.max_bytes = max_bytes
        self.next_seq = 0
        self.bytes = 0
        # A list with a moving head evicts in amortised O(1) and still allows bisection by seq.
        self._items: list[dict] = []
        self._sizes: list[int] = []
        self._head = 0

    def __len__(self) -> int:
        return len(self._items) - self._head

    def __iter__(self) -> Iterator[dict]:
        return iter(self._items[self._head:])

    def append(self, item: dict) -> dict:
        """Store `item` with the next sequence number, written into it as `seq`."""
        item["seq"] = self.next_seq
        self.next_seq += 1
        self._push(item)
        return item

    def restore(self, item: dict) -> bool:
        """Store an item read back from the journal, keeping its seq; False for one already held."""
        seq = item.get("seq")
        if not isinstance(seq, int) or seq < self.next_seq:
            return False
        self.next_seq = seq + 1
        self._push(item)
        return True

    def read(self, cursor: int, limit: int) -> Page:
        if not len(self):
            return Page(cursor, [], 0)
        base = self._items[self._head]["seq"]
        start = bisect_left(self._items, cursor, lo=self._head, key=_seq_of)
        items = self._items[start:start + limit]
        next_cursor = items[-1]["seq"] + 1 if items else self.next_seq
        return Page(next_cursor, items, max(0, base - cursor))

    def _push(self, item: dict) -> None:
        size = item_bytes(item)
        self._items.append(item)
        self._sizes.append(size)
        self.bytes += size
        while len(self) > self.cap or (self.bytes > self.max_bytes and len(self) > 1):
            self.bytes -= self._sizes[self._head]
            self._head += 1
        if self._head >= self.cap:
            del self._items[:self._head]
            del self._sizes[:self._head]
            self._head = 0
