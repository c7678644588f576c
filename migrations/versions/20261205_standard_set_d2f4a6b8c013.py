"""standard set per record

Each record is judged under one standard set: `interviews.standard_set`, set at its first
submission to the set then in force and kept for its life, so findings made under 2026.1 keep
their meaning when 2027.1 is published. Every record already submitted was judged under 2026.1,
so it gets "2026.1"; drafts (never submitted) stay empty and are judged by the set in force.

`interviews.open_action_due_at`: the earliest due date of the record's follow-up actions still
planned, so the manager's queue finds an approved record whose plan is due or overdue with one
indexed comparison. Empty on every existing record: actions had no due date before this.

Revision ID: d2f4a6b8c013
Revises: a7d3c91e5b24
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd2f4a6b8c013'
down_revision: str | None = 'a7d3c91e5b24'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not a batch: on SQLite a batch would copy `interviews`, which other tables refer to.
    op.add_column('interviews', sa.Column('standard_set', sa.String(length=16), nullable=True))
    op.execute("UPDATE interviews SET standard_set = '2026.1' WHERE submitted_at IS NOT NULL "
               "OR status <> 'draft'")
    op.add_column('interviews', sa.Column('open_action_due_at', sa.DateTime(timezone=True),
                                          nullable=True))
    op.create_index('ix_interviews_open_action_due_at', 'interviews', ['open_action_due_at'])


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place.
    op.drop_index('ix_interviews_open_action_due_at', table_name='interviews')
    op.drop_column('interviews', 'open_action_due_at')
    op.drop_column('interviews', 'standard_set')
