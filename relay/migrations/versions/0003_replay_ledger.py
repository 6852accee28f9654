"""The replay ledger: spent signatures live in the database, shared by every relay process and kept across restarts.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
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
