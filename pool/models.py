"""The pool's tables (pool.md §4.2) as SQLAlchemy Core; migrations/versions/0001_initial.py creates them."""

from __future__ import annotations

import sqlalchemy as sa

from core.infra.replay import ledger_table

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
metadata = sa.MetaData()


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Float(precision=53), nullable=nullable)


def _fk(name: str, target: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, BigId, sa.ForeignKey(target), nullable=nullable)


pool_meta = sa.Table(
    "pool_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

miners = sa.Table(
    "miners", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("miner_hotkey", sa.String(64), nullable=False, unique=True),
    _ts("registered_ts"),
    _ts("last_seen_ts"),
    sa.Column("reputation", sa.Float(precision=53), nullable=False, server_default="0"),
    *(sa.Column(name, sa.BigInteger, nullable=False, server_default="0") for name in (
        "evaluations_submitted", "evaluations_agreed", "evaluations_disagreed",
        "evolutions_submitted", "evolutions_improved")),
    sa.Column("is_banned", sa.Boolean, nullable=False, server_default=sa.false()),
)

algorithms = sa.Table(
    "algorithms", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("task_type", sa.String(32), nullable=False),
    sa.Column("input_dim", sa.Integer, nullable=False),
    sa.Column("algorithm_dsl", sa.Text, nullable=False),
    sa.Column("dsl_hash", sa.CHAR(64), nullable=False),
    sa.Column("origin", sa.String(8), nullable=False),
    sa.Column("author_hotkey", sa.String(64)),
    sa.Column("source_assignment_id", sa.String(36)),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("eval_target", sa.Integer, nullable=False),
    sa.Column("evaluation_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("consensus_score", sa.Float(precision=53)),
    sa.Column("baseline_score", sa.Float(precision=53)),
    _ts("created_ts"),
    sa.Column("created_window", sa.BigInteger, nullable=False),
    _ts("verified_ts", True),
    _ts("submitted_to_relay_ts", True),
    sa.Column("relay_status", sa.String(24)),
    sa.UniqueConstraint("task_type", "dsl_hash", name="uq_algorithms_task_type_dsl_hash"),
    sa.Index("ix_algorithms_task_status_score", "task_type", "status", "consensus_score"),
    sa.Index("ix_algorithms_status_count", "status", "evaluation_count"),
)

algorithm_parents = sa.Table(
    "algorithm_parents", metadata,
    _fk("child_id", "algorithms.id"),
    _fk("parent_id", "algorithms.id"),
    sa.PrimaryKeyConstraint("child_id", "parent_id"),
)

assignments = sa.Table(
    "assignments", metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("miner_hotkey", sa.String(64), sa.ForeignKey("miners.miner_hotkey"), nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("task_type", sa.String(32), nullable=False),
    sa.Column("input_dim", sa.Integer, nullable=False),
    sa.Column("window_number", sa.BigInteger, nullable=False),
    _ts("created_ts"),
    _ts("timeout_ts"),
    _ts("closed_ts", True),
    sa.Column("evolve_budget", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("generations", sa.Integer),
    sa.Column("iterations", sa.BigInteger),
    sa.Column("params", sa.JSON),
    sa.Index("uq_assignments_one_active", "miner_hotkey", unique=True,
             postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'")),
    sa.Index("ix_assignments_status_timeout", "status", "timeout_ts"),
    sa.Index("ix_assignments_created_ts", "created_ts"),
    sa.Index("ix_assignments_closed_ts", "closed_ts"),
)

assignment_items = sa.Table(
    "assignment_items", metadata,
    sa.Column("assignment_id", sa.String(36), sa.ForeignKey("assignments.id"), nullable=False),
    _fk("algorithm_id", "algorithms.id"),
    sa.Column("role", sa.String(8), nullable=False),
    sa.PrimaryKeyConstraint("assignment_id", "algorithm_id", "role"),
    sa.Index("ix_assignment_items_algorithm_role", "algorithm_id", "role"),
)

evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _fk("algorithm_id", "algorithms.id"),
    sa.Column("assignment_id", sa.String(36), sa.ForeignKey("assignments.id"), nullable=False),
    sa.Column("miner_hotkey", sa.String(64), nullable=False),
    sa.Column("score", sa.Float(precision=53)),
    sa.Column("failed", sa.Boolean, nullable=False),
    sa.Column("verdict", sa.String(8)),
    sa.Column("window_number", sa.BigInteger, nullable=False),
    _ts("created_ts"),
    sa.UniqueConstraint("algorithm_id", "miner_hotkey", name="uq_evaluations_algorithm_miner"),
    sa.Index("ix_evaluations_miner_window", "miner_hotkey", "window_number"),
)

reputation_ledger = sa.Table(
    "reputation_ledger", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("miner_hotkey", sa.String(64), nullable=False),
    sa.Column("window_number", sa.BigInteger, nullable=False),
    sa.Column("delta", sa.Float(precision=53), nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),
    sa.Column("algorithm_id", sa.BigInteger),
    _ts("created_ts"),
    sa.Index("ix_reputation_ledger_window_miner", "window_number", "miner_hotkey"),
)

windows = sa.Table(
    "windows", metadata,
    sa.Column("window_number", sa.BigInteger, primary_key=True, autoincrement=False),
    _ts("start_ts"),
    _ts("end_ts"),
    sa.Column("status", sa.String(8), nullable=False),
    _ts("closed_ts", True),
    sa.Column("budget_rao", sa.BigInteger, nullable=False),
    sa.Column("fee", sa.Float(precision=53), nullable=False),
    sa.Column("total_reputation", sa.Float(precision=53)),
    sa.Column("distributed_rao", sa.BigInteger),
)

window_rewards = sa.Table(
    "window_rewards", metadata,
    sa.Column("window_number", sa.BigInteger, sa.ForeignKey("windows.window_number"), nullable=False),
    sa.Column("miner_hotkey", sa.String(64), nullable=False),
    sa.Column("reputation", sa.Float(precision=53), nullable=False),
    sa.Column("share", sa.Float(precision=53), nullable=False),
    sa.Column("activity", sa.Integer, nullable=False),
    sa.Column("reward_rao", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("window_number", "miner_hotkey"),
)

balances = sa.Table(
    "balances", metadata,
    sa.Column("miner_hotkey", sa.String(64), primary_key=True),
    sa.Column("pending_rao", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("total_earned_rao", sa.BigInteger, nullable=False, server_default="0"),
    _ts("updated_ts"),
)

sota_history = sa.Table(
    "sota_history", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("task_type", sa.String(32), nullable=False),
    _fk("algorithm_id", "algorithms.id"),
    sa.Column("score", sa.Float(precision=53), nullable=False),
    sa.Column("miner_hotkey", sa.String(64)),
    sa.Column("window_number", sa.BigInteger, nullable=False),
    _ts("created_ts"),
    sa.Index("ix_sota_history_task_id", "task_type", "id"),
)

relay_submissions = sa.Table(
    "relay_submissions", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _fk("algorithm_id", "algorithms.id"),
    sa.Column("relay_url", sa.Text, nullable=False),
    sa.Column("score", sa.Float(precision=53), nullable=False),
    sa.Column("local_score", sa.Float(precision=53)),
    sa.Column("http_status", sa.Integer),
    sa.Column("detail", sa.Text),
    sa.Column("outcome", sa.String(24), nullable=False),
    sa.Column("relay_result_id", sa.String(32)),
    _ts("created_ts"),
    sa.Index("ix_relay_submissions_algorithm_id", "algorithm_id"),
)

events = sa.Table(
    "events", metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _ts("ts"),
    sa.Column("kind", sa.String(24), nullable=False),
    sa.Column("miner_hotkey", sa.String(64)),
    sa.Column("algorithm_id", sa.BigInteger),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("data", sa.JSON),
    sa.Index("ix_events_ts", "ts"),
)

# Spent signatures (core.infra.replay); shared by every pool process on this database.
replay_ledger = ledger_table(metadata)
