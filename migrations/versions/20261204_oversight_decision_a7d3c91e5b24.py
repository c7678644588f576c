"""oversight decision

A manager's decision on a record is kept, with their oversight note (required to approve and to
return): `interviews.oversight_note`, the approving manager's note beside `approved_by` and
`approved_at` (a return's note stays in `returned_comment`, which the interviewer sees); and on
`interview_versions`, the decision on each version (`decision`: approved or returned,
`decided_by`, `decided_at`, `oversight_note`). Empty (NULL) on every existing record and version:
decisions made before this revision kept no note, and the audit log still holds who approved or
returned what.

Revision ID: a7d3c91e5b24
Revises: e6a3f1b8c950
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a7d3c91e5b24'
down_revision: str | None = 'e6a3f1b8c950'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not a batch: on SQLite a batch would copy `interviews`, which other tables refer to.
    op.add_column('interviews', sa.Column('oversight_note', sa.String(length=10000),
                                          nullable=True))
    with op.batch_alter_table('interview_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('decided_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('oversight_note', sa.String(length=10000),
                                      nullable=True))
        batch_op.create_foreign_key('fk_interview_versions_decided_by_users', 'users',
                                    ['decided_by'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('interview_versions', schema=None) as batch_op:
        batch_op.drop_constraint('fk_interview_versions_decided_by_users', type_='foreignkey')
        for column in ('oversight_note', 'decided_at', 'decided_by', 'decision'):
            batch_op.drop_column(column)
    # SQLite 3.35 and later drop a column in place.
    op.drop_column('interviews', 'oversight_note')
