"""The replay ledger: spent signatures live in the database, shared by every pool process and kept across restarts.

Revision ID: 0002_replay_ledger
Revises: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_replay_ledger"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replay_ledger",
        sa.Column("public_key", sa.LargeBinary(32), primary_key=True),
        sa.Column("signature", sa.LargeBinary(64), primary_key=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
    )
    op.create_index("ix_replay_ledger_expires_at", "replay_ledger", ["expires_at"])


def downgrade() -> None:
    op.drop_table("replay_ledger")
