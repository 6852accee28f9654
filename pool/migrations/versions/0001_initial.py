"""Initial schema: the tables of pool.md §4.2.

Revision ID: 0001_initial
"""

import sqlalchemy as sa
from alembic import op

revision = '0001_initial'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('algorithms',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('task_type', sa.String(length=32), nullable=False),
    sa.Column('input_dim', sa.Integer(), nullable=False),
    sa.Column('algorithm_dsl', sa.Text(), nullable=False),
    sa.Column('dsl_hash', sa.CHAR(length=64), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('author_hotkey', sa.String(length=64), nullable=True),
    sa.Column('source_assignment_id', sa.String(length=36), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('eval_target', sa.Integer(), nullable=False),
    sa.Column('evaluation_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('consensus_score', sa.Float(precision=53), nullable=True),
    sa.Column('baseline_score', sa.Float(precision=53), nullable=True),
    sa.Column('created_ts', sa.Float(precision=53), nullable=False),
    sa.Column('created_window', sa.BigInteger(), nullable=False),
    sa.Column('verified_ts', sa.Float(precision=53), nullable=True),
    sa.Column('submitted_to_relay_ts', sa.Float(precision=53), nullable=True),
    sa.Column('relay_status', sa.String(length=24), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('task_type', 'dsl_hash', name='uq_algorithms_task_type_dsl_hash')
    )
    with op.batch_alter_table('algorithms', schema=None) as batch_op:
        batch_op.create_index('ix_algorithms_status_count', ['status', 'evaluation_count'], unique=False)
        batch_op.create_index('ix_algorithms_task_status_score', ['task_type', 'status', 'consensus_score'], unique=False)

    op.create_table('balances',
    sa.Column('miner_hotkey', sa.String(length=64), nullable=False),
    sa.Column('pending_rao', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('total_earned_rao', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('updated_ts', sa.Float(precision=53), nullable=False),
    sa.PrimaryKeyConstraint('miner_hotkey')
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('ts', sa.Float(precision=53), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=True),
    sa.Column('algorithm_id', sa.BigInteger(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_ts', ['ts'], unique=False)

    op.create_table('miners',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=False),
    sa.Column('registered_ts', sa.Float(precision=53), nullable=False),
    sa.Column('last_seen_ts', sa.Float(precision=53), nullable=False),
    sa.Column('reputation', sa.Float(precision=53), server_default='0', nullable=False),
    sa.Column('evaluations_submitted', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('evaluations_agreed', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('evaluations_disagreed', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('evolutions_submitted', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('evolutions_improved', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('is_banned', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('miner_hotkey')
    )
    op.create_table('pool_meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('reputation_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=False),
    sa.Column('window_number', sa.BigInteger(), nullable=False),
    sa.Column('delta', sa.Float(precision=53), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('algorithm_id', sa.BigInteger(), nullable=True),
    sa.Column('created_ts', sa.Float(precision=53), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reputation_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_reputation_ledger_window_miner', ['window_number', 'miner_hotkey'], unique=False)

    op.create_table('windows',
    sa.Column('window_number', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('start_ts', sa.Float(precision=53), nullable=False),
    sa.Column('end_ts', sa.Float(precision=53), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('closed_ts', sa.Float(precision=53), nullable=True),
    sa.Column('budget_rao', sa.BigInteger(), nullable=False),
    sa.Column('fee', sa.Float(precision=53), nullable=False),
    sa.Column('total_reputation', sa.Float(precision=53), nullable=True),
    sa.Column('distributed_rao', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('window_number')
    )
    op.create_table('algorithm_parents',
    sa.Column('child_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('parent_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['algorithms.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['algorithms.id'], ),
    sa.PrimaryKeyConstraint('child_id', 'parent_id')
    )
    op.create_table('assignments',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('task_type', sa.String(length=32), nullable=False),
    sa.Column('input_dim', sa.Integer(), nullable=False),
    sa.Column('window_number', sa.BigInteger(), nullable=False),
    sa.Column('created_ts', sa.Float(precision=53), nullable=False),
    sa.Column('timeout_ts', sa.Float(precision=53), nullable=False),
    sa.Column('closed_ts', sa.Float(precision=53), nullable=True),
    sa.Column('evolve_budget', sa.SmallInteger(), server_default='0', nullable=False),
    sa.Column('generations', sa.Integer(), nullable=True),
    sa.Column('iterations', sa.BigInteger(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['miner_hotkey'], ['miners.miner_hotkey'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index('ix_assignments_closed_ts', ['closed_ts'], unique=False)
        batch_op.create_index('ix_assignments_created_ts', ['created_ts'], unique=False)
        batch_op.create_index('ix_assignments_status_timeout', ['status', 'timeout_ts'], unique=False)
        batch_op.create_index('uq_assignments_one_active', ['miner_hotkey'], unique=True,
                              postgresql_where=sa.text("status = 'active'"), sqlite_where=sa.text("status = 'active'"))

    op.create_table('relay_submissions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('algorithm_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('relay_url', sa.Text(), nullable=False),
    sa.Column('score', sa.Float(precision=53), nullable=False),
    sa.Column('local_score', sa.Float(precision=53), nullable=True),
    sa.Column('http_status', sa.Integer(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=False),
    sa.Column('relay_result_id', sa.String(length=32), nullable=True),
    sa.Column('created_ts', sa.Float(precision=53), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('relay_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_relay_submissions_algorithm_id', ['algorithm_id'], unique=False)

    op.create_table('sota_history',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('task_type', sa.String(length=32), nullable=False),
    sa.Column('algorithm_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('score', sa.Float(precision=53), nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=True),
    sa.Column('window_number', sa.BigInteger(), nullable=False),
    sa.Column('created_ts', sa.Float(precision=53), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sota_history', schema=None) as batch_op:
        batch_op.create_index('ix_sota_history_task_id', ['task_type', 'id'], unique=False)

    op.create_table('window_rewards',
    sa.Column('window_number', sa.BigInteger(), nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=False),
    sa.Column('reputation', sa.Float(precision=53), nullable=False),
    sa.Column('share', sa.Float(precision=53), nullable=False),
    sa.Column('activity', sa.Integer(), nullable=False),
    sa.Column('reward_rao', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['window_number'], ['windows.window_number'], ),
    sa.PrimaryKeyConstraint('window_number', 'miner_hotkey')
    )
    op.create_table('assignment_items',
    sa.Column('assignment_id', sa.String(length=36), nullable=False),
    sa.Column('algorithm_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], ),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ),
    sa.PrimaryKeyConstraint('assignment_id', 'algorithm_id', 'role')
    )
    with op.batch_alter_table('assignment_items', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_items_algorithm_role', ['algorithm_id', 'role'], unique=False)

    op.create_table('evaluations',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('algorithm_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('assignment_id', sa.String(length=36), nullable=False),
    sa.Column('miner_hotkey', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Float(precision=53), nullable=True),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.Column('verdict', sa.String(length=8), nullable=True),
    sa.Column('window_number', sa.BigInteger(), nullable=False),
    sa.Column('created_ts', sa.Float(precision=53), nullable=False),
    sa.ForeignKeyConstraint(['algorithm_id'], ['algorithms.id'], ),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignments.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('algorithm_id', 'miner_hotkey', name='uq_evaluations_algorithm_miner')
    )
    with op.batch_alter_table('evaluations', schema=None) as batch_op:
        batch_op.create_index('ix_evaluations_miner_window', ['miner_hotkey', 'window_number'], unique=False)
