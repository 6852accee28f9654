"""Baseline: the public relay's tables, created where missing, or adopted with missing columns added.

A database created by the public relay has no `alembic_version` table. Its tables are kept as they are;
only tables and columns that its older versions lacked are added. 0002 then brings everything to §9.1.

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _public_schema() -> sa.MetaData:
    """The public relay's column set (its original types; 0002 widens them)."""
    meta = sa.MetaData()
    sa.Table(
        "mining_results", meta,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("miner_hotkey", sa.String(48), nullable=False),
        sa.Column("task_id", sa.Text, nullable=False),
        sa.Column("algorithm_result", sa.Text, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("timestamp", sa.DateTime, nullable=False),
        sa.Column("validator_verified", sa.String(48)),
        sa.Column("signature", sa.Text),
        sa.Column("timestamp_message", sa.Text),
    )
    sa.Table(
        "test_submissions", meta,
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("submitter_hotkey", sa.String(48), nullable=False, index=True),
        sa.Column("task_id", sa.Text, nullable=False),
        sa.Column("algorithm_result", sa.Text, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("claimed_at", sa.DateTime, index=True),
        sa.Column("claimed_by", sa.String(48), index=True),
        sa.Column("signature", sa.Text),
        sa.Column("timestamp_message", sa.Text),
    )
    sa.Table(
        "blacklist_votes", meta,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("miner_hotkey", sa.String(48), nullable=False, index=True),
        sa.Column("validator_hotkey", sa.String(48), nullable=False),
        sa.Column("timestamp", sa.DateTime, nullable=False),
    )
    sa.Table(
        "invitation_codes", meta,
        sa.Column("id", sa.String(8), primary_key=True),
        sa.Column("miner_hotkey", sa.String(48), unique=True),
        sa.Column("coldkey_address", sa.String(48)),
        sa.Column("timestamp", sa.DateTime, nullable=False),
    )
    sa.Table(
        "sota_cache", meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("task_type", sa.String(64), nullable=False, unique=True),
        sa.Column("sota_value", sa.Float, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    sa.Table(
        "sota_votes", meta,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("validator_hotkey", sa.String(48), nullable=False),
        sa.Column("miner_hotkey", sa.String(48), nullable=False),
        sa.Column("score_int", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("result_id", sa.String(64)),
        sa.Column("seen_block", sa.Integer, nullable=False, server_default="0"),
        sa.Column("timestamp", sa.DateTime, nullable=False),
        sa.UniqueConstraint("validator_hotkey", name="uq_sota_votes_validator_round"),
    )
    sa.Table(
        "sota_events", meta,
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("miner_hotkey", sa.String(48), nullable=False, index=True),
        sa.Column("score_int", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("result_id", sa.String(64)),
        sa.Column("decision_block", sa.Integer, nullable=False),
        sa.Column("start_block", sa.Integer, nullable=False, index=True),
        sa.Column("end_block", sa.Integer, nullable=False),
        sa.Column("alignment_mod", sa.Integer, nullable=False),
        sa.Column("t2_blocks", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("miner_hotkey", "score_int", name="uq_sota_events_candidate"),
    )
    return meta


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    for table in _public_schema().sorted_tables:
        if table.name not in existing:
            table.create(bind)
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in present:
                op.add_column(table.name, _addable(column))


def _addable(column: sa.Column) -> sa.Column:
    """A copy of `column` that can be added to a table with rows: NOT NULL only with a server default."""
    default = getattr(column.server_default, "arg", None)  # a DefaultClause; None when there is none
    return sa.Column(column.name, column.type, nullable=column.nullable or default is None, server_default=default)
