"""one ticket per question

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 21:10:00

A ticket names the logged question it was made from, unique, so that a consent tapped twice
(or handled by two processes at once) makes one ticket. Older tickets name none (NULL), which
the unique index allows any number of. Only ADD COLUMN and CREATE INDEX: SQLite's batch mode
does not rebuild the table (a rebuild would cascade deletes to its messages and offers).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('question_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_tickets_question_id'), ['question_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        batch_op.drop_index(batch_op.f('ix_tickets_question_id'))
        batch_op.drop_column('question_id')
