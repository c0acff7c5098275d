"""durable inbox and the journal of what was sent

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 21:00:00

`inbox` holds every incoming update until it is handled; `sent_calls` numbers what handling
an update sent, so that an update handled again after a crash sends nothing twice; a question
names the update it came from (`origin`, unique), so that it is logged once. Only CREATE
TABLE, ADD COLUMN and CREATE INDEX: SQLite's batch mode does not rebuild `questions`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=True),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('owner', sa.String(length=64), nullable=True),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('update_id', name=op.f('pk_inbox')),
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_done_at'), ['done_at'], unique=False)
        batch_op.create_index(
            'ix_inbox_waiting', ['done_at', 'chat_id', 'update_id'], unique=False
        )
    op.create_table(
        'sent_calls',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('method', sa.String(length=64), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('answer', sa.LargeBinary(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('update_id', 'seq', name=op.f('pk_sent_calls')),
    )
    with op.batch_alter_table('sent_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sent_calls_at'), ['at'], unique=False)
    with op.batch_alter_table('questions', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('origin', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_questions_origin'), ['origin'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_origin'))
        batch_op.drop_column('origin')
    op.drop_table('sent_calls')
    op.drop_table('inbox')
