"""a voice note's transcript kept with a waiting ticket

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 21:20:00

A migrant's voice note on a ticket nobody holds yet waits in `ticket_messages` until a
volunteer takes the ticket; its automatic transcript waits with it, so that the volunteer gets
both, as on a held ticket. It is erased with the message's text (retention, /delete).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_messages', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('transcript', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket_messages', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('transcript')
