"""Fixed monitor snapshots for the snapshot and text-frame tests."""

from __future__ import annotations

from pool_monitor.client import Snapshot

NOW = 1_772_366_405.0
URL = "http://127.0.0.1:8434"
HOTKEY = "5F3sa2TJAWMqDhXG6jhV4N8ko9SxwGy8TpaNS1repo5EYjQX"


def healthy() -> Snapshot:
    summary = {
        "generated_at": "2026-03-01T12:00:05Z", "server_time": int(NOW),
        "window": {"number": 3, "length_s": 3600, "time_remaining_s": 2480},
        "miners": {"total": 5, "online": 3, "with_active_assignment": 2},
        "tasks": {"issued_1m": 12, "completed_1m": 11, "issued_15m": 150, "completed_15m": 140, "expired_15m": 0,
                  "overdue": 0, "by_kind": {"evolve": {"active": 1}, "evaluate": {"active": 1}, "lease": {"active": 0}}},
        "consensus": {"pending": 4, "reached_window": 23, "no_consensus_window": 2, "rate_window": 0.92,
                      "agreements_window": 48, "disagreements_window": 2},
        "sota": {"task_type": "cifar10_binary", "score": 0.8125, "algorithm_id": 57, "miner_hotkey": HOTKEY,
                 "updated_at": "2026-03-01T11:58:00Z",
                 "history": [{"ts": "x", "score": s, "algorithm_id": i} for i, s in enumerate((0.5, 0.6, 0.62, 0.7, 0.75, 0.8, 0.8125))]},
        "relay": {"enabled": False},
        "leaderboard": [{"rank": 1, "hotkey": HOTKEY, "reputation": 41.0, "window_reputation": 12.0, "evaluations": 40,
                         "evolutions": 3},
                        {"rank": 2, "hotkey": "5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy", "reputation": 17.0,
                         "window_reputation": "bad", "evaluations": 20, "evolutions": 1}],
        "events": [{"seq": 9, "ts": "2026-03-01T12:00:01Z", "kind": "consensus",
                    "message": "consensus algorithm=57 score=0.812500 k=3"},
                   {"seq": 8, "ts": "2026-03-01T11:59:40Z", "kind": "evolved", "message": "evolved algorithm=57 parents=[12]"}],
    }
    health = {"status": "healthy", "window_number": 3, "current_block": 0, "time_remaining_s": 2480,
              "window_length_s": 3600, "server_time": int(NOW), "version": "0.1.0"}
    return Snapshot(URL, "cifar10_binary", NOW, health=health, summary=summary)


def unreachable() -> Snapshot:
    return Snapshot(URL, "cifar10_binary", NOW, errors={"health": "connection refused"})


def no_summary() -> Snapshot:
    return Snapshot(URL, "cifar10_binary", NOW, health=healthy().health, errors={"summary": "401 token required"},
                    sota={"task_type": "cifar10_binary", "sota_score": 0.75, "algorithm_id": 12, "miner_hotkey": None},
                    leaderboard=[])
