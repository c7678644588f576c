"""rejected input

`interviews.rejected_input`: what a person typed into a section of a draft that could not be
saved into the record (31 February, a word in a number field), kept as typed, by section, so the
form shows it again with its error and nothing typed is lost. Empty (NULL) on every existing
record, and cleared when the record is submitted.

Revision ID: 7c2f4e9a1b30
Revises: 5b0e3c1d9a47
Create Date: 2026-12-04 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '7c2f4e9a1b30'
down_revision: str | None = '5b0e3c1d9a47'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'rejected_input', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
            nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_column('rejected_input')
