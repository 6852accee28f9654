"""Cursor semantics across eviction (sidecar.md §4): the store itself, a property test, and over HTTP."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sidecar.store import ItemStore


def filled(cap: int, count: int) -> ItemStore:
    store = ItemStore(cap, 1 << 30)
    for index in range(count):
        store.append({"n": index})
    return store


def test_sequence_numbers_and_eviction():
    store = filled(3, 5)
    assert [item["seq"] for item in store] == [2, 3, 4] and store.next_seq == 5 and len(store) == 3
    page = store.read(0, 10)
    assert [item["n"] for item in page.items] == [2, 3, 4]
    assert (page.cursor, page.skipped) == (5, 2)
    assert store.read(3, 1) == (4, [{"n": 3, "seq": 3}], 0)
    assert store.read(5, 10) == (5, [], 0)  # parked at the next seq to be written
    assert store.read(50, 10) == (5, [], 0)  # ahead of the window: parks at its end
    assert ItemStore(3, 1 << 30).read(7, 10) == (7, [], 0)  # empty store echoes the cursor


def test_restore_keeps_seq_and_ignores_repeats():
    store = ItemStore(2, 1 << 30)
    assert store.restore({"seq": 10}) and store.restore({"seq": 11}) and store.restore({"seq": 14})
    assert not store.restore({"seq": 11}) and not store.restore({"seq": "x"})
    assert [item["seq"] for item in store] == [11, 14] and store.next_seq == 15
    assert store.read(12, 5).items == [{"seq": 14}]  # a gap in seq still reads correctly
    assert store.append({})["seq"] == 15


@settings(max_examples=150, deadline=None)
@given(cap=st.integers(1, 12), steps=st.lists(st.tuples(st.booleans(), st.integers(0, 15)), max_size=60))
def test_reads_never_duplicate_or_skip_retained_items(cap, steps):
    """Random interleavings of appends (with eviction) and reads with the returned cursor."""
    store, cursor, seen, evicted_passed = ItemStore(cap, 1 << 30), 0, [], 0
    for is_append, amount in steps:
        if is_append:
            for _ in range(amount):
                store.append({})
            continue
        oldest = next(iter(store))["seq"] if len(store) else store.next_seq
        page = store.read(cursor, max(amount, 1))
        seqs = [item["seq"] for item in page.items]
        assert seqs == sorted(set(seqs)) and (not seen or not seqs or seqs[0] > seen[-1])
        assert page.skipped == max(0, oldest - cursor) if len(store) else page.skipped == 0
        expected_first = max(cursor, oldest)
        assert not seqs or seqs[0] == expected_first  # no retained item is skipped
        evicted_passed += page.skipped
        seen += seqs
        cursor = page.cursor
    page = store.read(cursor, 10_000)
    seen += [item["seq"] for item in page.items]
    evicted_passed += page.skipped
    assert len(seen) + evicted_passed == store.next_seq  # everything was either read or reported skipped
    assert seen == sorted(set(seen))


def test_http_cursor_across_eviction(sidecar):
    post = sidecar.http.post
    post("/ingest_batch", json={"run_id": "r", "events": [{"message": f"a{index}"} for index in range(4000)]})
    first = sidecar.http.get("/logs", params={"cursor": 0, "limit": 500}).json()
    assert first["cursor"] == 500 and first["skipped"] == 0

    post("/ingest_batch", json={"run_id": "r", "events": [{"message": f"b{index}"} for index in range(3000)]})
    # 7000 written, 5000 kept: seq 2000..6999. The cursor at 500 is older than the window.
    page = sidecar.http.get("/logs", params={"cursor": first["cursor"], "limit": 3}).json()
    assert [item["seq"] for item in page["items"]] == [2000, 2001, 2002]
    assert page["items"][0]["message"] == "a2000"
    assert page["skipped"] == 1500 and page["cursor"] == 2003
    page = sidecar.http.get("/logs", params={"cursor": page["cursor"], "limit": 500}).json()
    assert page["items"][0]["seq"] == 2003 and page["skipped"] == 0

    post("/runs/start", json={"run_id": "r"})  # a replaced run: old cursors park at the new window end
    assert sidecar.http.get("/logs", params={"cursor": 6000}).json() == {"cursor": 6000, "items": [], "skipped": 0}
    post("/ingest_batch", json={"run_id": "r", "events": [{"message": "fresh"}]})
    assert sidecar.http.get("/logs", params={"cursor": 6000}).json()["cursor"] == 1
    assert sidecar.http.get("/logs").json()["items"][0]["message"] == "fresh"


def test_the_byte_cap_evicts_oldest_and_keeps_the_newest():
    store = ItemStore(100, 1000)
    for index in range(5):
        store.append({"blob": "x" * 250, "index": index})
    assert [item["index"] for item in store] == [2, 3, 4] and store.bytes <= 1000
    store.append({"blob": "y" * 5000})  # larger than the cap on its own: kept alone
    assert [item.get("index") for item in store] == [None] and len(store) == 1
