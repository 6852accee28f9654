"""Fixes over the public schema: BIGINT blocks and scores, wider invite columns, uniqueness, indexes.

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WIDENED_TO_BIGINT = {
    "sota_votes": ("score_int", "seen_block"),
    "sota_events": ("score_int", "decision_block", "start_block", "end_block", "alignment_mod", "t2_blocks"),
}
TIMESTAMP_COLUMNS = {
    "mining_results": "timestamp",
    "test_submissions": "created_at",
    "blacklist_votes": "timestamp",
    "invitation_codes": "timestamp",
    "sota_cache": "updated_at",
    "sota_votes": "timestamp",
    "sota_events": "created_at",
}

# Keep the newest row per miner (ties broken by the larger id).
DELETE_OLDER_RESULTS = """
DELETE FROM mining_results WHERE EXISTS (
    SELECT 1 FROM mining_results AS newer
    WHERE newer.miner_hotkey = mining_results.miner_hotkey
      AND (newer.timestamp > mining_results.timestamp
           OR (newer.timestamp = mining_results.timestamp AND newer.id > mining_results.id)))
"""
# Keep the first vote per (miner, validator) pair.
DELETE_DUPLICATE_BLACKLIST_VOTES = """
DELETE FROM blacklist_votes WHERE EXISTS (
    SELECT 1 FROM blacklist_votes AS earlier
    WHERE earlier.miner_hotkey = blacklist_votes.miner_hotkey
      AND earlier.validator_hotkey = blacklist_votes.validator_hotkey
      AND earlier.id < blacklist_votes.id)
"""


def upgrade() -> None:
    is_sqlite = op.get_bind().dialect.name == "sqlite"
    if not is_sqlite:  # SQLite column types are not enforced, so widening is a no-op there
        _widen_columns()
    _fill_null_timestamps()
    op.execute(DELETE_OLDER_RESULTS)
    op.execute(DELETE_DUPLICATE_BLACKLIST_VOTES)
    with op.batch_alter_table("mining_results") as batch:
        batch.create_unique_constraint("uq_mining_results_miner_hotkey", ["miner_hotkey"])
    with op.batch_alter_table("blacklist_votes") as batch:
        batch.create_unique_constraint("uq_blacklist_votes_pair", ["miner_hotkey", "validator_hotkey"])
    op.create_index("ix_mining_results_timestamp", "mining_results", ["timestamp"])
    op.create_index("ix_sota_votes_candidate", "sota_votes", ["miner_hotkey", "score_int"])
    op.create_index("ix_sota_events_created_at", "sota_events", ["created_at"])


def _widen_columns() -> None:
    for table, columns in WIDENED_TO_BIGINT.items():
        for column in columns:
            op.alter_column(table, column, type_=sa.BigInteger(), existing_type=sa.Integer())
    op.alter_column("invitation_codes", "id", type_=sa.String(64), existing_type=sa.String(8))
    op.alter_column("invitation_codes", "coldkey_address", type_=sa.String(128), existing_type=sa.String(48))


def _fill_null_timestamps() -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    for table, column in TIMESTAMP_COLUMNS.items():
        op.execute(sa.text(f"UPDATE {table} SET {column} = :now WHERE {column} IS NULL").bindparams(now=now))
