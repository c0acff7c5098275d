"""NGO coordinators: a staff member may belong to one organisation of the support network

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:30:00

A coordinator sees their organisation's volunteers and its anonymous ticket figures in the
console (`staff_members.organisation_id`). An organisation that goes leaves the person with
nothing to see (SET NULL), their audit lines kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_staff_members_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_staff_members_organisation_id_organisations'), 'organisations', ['organisation_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('staff_members', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_staff_members_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_staff_members_organisation_id'))
        batch_op.drop_column('organisation_id')
