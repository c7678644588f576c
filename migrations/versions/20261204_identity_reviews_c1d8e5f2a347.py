"""identity reviews

`identity_reviews`: the responsible authority's decision (accepted or rejected) on a date of
birth another organisation gave for its child differently, on a record or a notification; and
`register_episodes.stated_date_of_birth`, the date a notification gave. Both empty on upgrade:
existing differences are found from the records and shown for a decision.

Revision ID: c1d8e5f2a347
Revises: b4e7a2c9d013
Create Date: 2026-12-04 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c1d8e5f2a347'
down_revision: str | None = 'b4e7a2c9d013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'identity_reviews',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('interview_id', sa.Uuid(), nullable=True),
        sa.Column('episode_id', sa.Uuid(), nullable=True),
        sa.Column('field', sa.String(length=32), nullable=False),
        sa.Column('proposed', sa.String(length=200), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['children.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('interview_id', 'field'),
        sa.UniqueConstraint('episode_id', 'field'),
    )
    with op.batch_alter_table('identity_reviews', schema=None) as batch_op:
        for column in ('child_id', 'interview_id', 'episode_id'):
            batch_op.create_index(batch_op.f(f'ix_identity_reviews_{column}'), [column],
                                  unique=False)
    with op.batch_alter_table('register_episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stated_date_of_birth', sa.Date(), nullable=True))


def downgrade() -> None:
    # Not a batch (on SQLite a batch copies the table, and `episodes.register_id` refers to
    # it): SQLite 3.35 and later drop a column in place.
    op.drop_column('register_episodes', 'stated_date_of_birth')
    with op.batch_alter_table('identity_reviews', schema=None) as batch_op:
        for column in ('child_id', 'interview_id', 'episode_id'):
            batch_op.drop_index(batch_op.f(f'ix_identity_reviews_{column}'))
    op.drop_table('identity_reviews')
