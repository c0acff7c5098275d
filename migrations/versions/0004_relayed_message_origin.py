"""relayed messages' origin

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 20:40:00

A relayed message of any kind (voice, sticker, location...) is copied from the sender's chat
by its message id; a migrant's message kept while nobody holds the ticket needs that id later.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ticket_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_message_id', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ticket_messages', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('origin_message_id')
