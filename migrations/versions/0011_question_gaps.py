"""Gaps: staff decide what an unanswered question was (out of scope, phrased, entry asked)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 18:40:00

The gaps page clusters the questions Guichet could not answer. A cluster that staff act on
marks its questions (`questions.gap`), so that it leaves the page and the decision is kept
with the counts once the texts are erased.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gap', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('gap')
