"""knowledge regions: a layer between country and city

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 00:00:00

Regions (Brussels-Capital, Flanders, ...) hold the services that only their own cities should
list. Their entries are stored in `kb_entries` with scope 'region'; the next `kb import` fills
the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('kb_regions',
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('slug', name=op.f('pk_kb_regions'))
    )
    with op.batch_alter_table('kb_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kb_regions_country'), ['country'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kb_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_regions_country'))
    op.drop_table('kb_regions')
