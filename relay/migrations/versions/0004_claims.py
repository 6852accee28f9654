"""The duplicate memory and the rate-limit times of /submit_solution move into the database, shared by every relay
process.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recent_claims",
        sa.Column("solution_hash", sa.String(64), primary_key=True),
        sa.Column("seen_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_recent_claims_seen_at", "recent_claims", ["seen_at"])
    op.create_table(
        "submission_times",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("miner_hotkey", sa.String(48), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
    )
    op.create_index("ix_submission_times_miner_hotkey", "submission_times", ["miner_hotkey"])


def downgrade() -> None:
    op.drop_table("submission_times")
    op.drop_table("recent_claims")
