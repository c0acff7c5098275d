"""Statistics: the entry a question was answered with, daily roll-ups and their people keys

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:50:00

The statistics page counts questions per city, day and dimension (topic, language, outcome,
hour) in `question_days`, sealed once a day is over (bot/storage/question_days.py). For the
"fewer than 5 people" rule a roll-up cell keeps up to 5 `question_day_people`: random keys
(`users.stats_key`), never a user id; erasing a user deletes their keys. `questions.entry` is
the entry an answer showed first, for the 👍/👎 per entry.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entry', sa.String(length=128), nullable=True))
        batch_op.create_index('ix_questions_city_created_at', ['city', 'created_at'], unique=False)
        batch_op.create_index(
            'ix_questions_feedback', ['city', 'created_at'], unique=False,
            sqlite_where=sa.text('helpful IS NOT NULL'),
            postgresql_where=sa.text('helpful IS NOT NULL'),
        )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_city_created_at', ['city', 'created_at'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stats_key', sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f('ix_users_stats_key'), ['stats_key'], unique=False)
    # Every user already there gets a random key of their own.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("UPDATE users SET stats_key = replace(gen_random_uuid()::text, '-', '')")
    else:
        op.execute('UPDATE users SET stats_key = lower(hex(randomblob(16)))')
    op.create_table(
        'question_days',
        sa.Column('city', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=128), nullable=False),
        sa.Column('questions', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('city', 'day', 'dimension', 'value', name=op.f('pk_question_days')),
    )
    op.create_table(
        'question_day_people',
        sa.Column('city', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('dimension', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=128), nullable=False),
        sa.Column('person', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('city', 'day', 'dimension', 'value', 'person', name=op.f('pk_question_day_people')),
    )
    with op.batch_alter_table('question_day_people', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_day_people_person'), ['person'], unique=False)
    op.create_table(
        'question_days_sealed',
        sa.Column('city', sa.String(length=64), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('sealed_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.PrimaryKeyConstraint('city', 'day', name=op.f('pk_question_days_sealed')),
    )


def downgrade() -> None:
    op.drop_table('question_days_sealed')
    with op.batch_alter_table('question_day_people', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_day_people_person'))
    op.drop_table('question_day_people')
    op.drop_table('question_days')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_stats_key'))
        batch_op.drop_column('stats_key')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_city_created_at')
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index('ix_questions_feedback')
        batch_op.drop_index('ix_questions_city_created_at')
        batch_op.drop_column('entry')
