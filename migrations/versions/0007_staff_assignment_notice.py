"""staff assignments are told to the volunteers

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 00:00:00

`tickets assign` runs outside the bot: it records when staff gave a ticket to a volunteer and
whom they took it from, and the bot's timers tell them both once (`assign_told_at`). Only ADD
COLUMN: SQLite's batch mode does not rebuild `tickets` (a rebuild would cascade deletes to its
messages and offers).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('assigned_from', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assign_told_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('assign_told_at')
        batch_op.drop_column('assigned_from')
        batch_op.drop_column('assigned_at')
