"""retention decisions

`retention_decisions`: a records manager's decision on a record whose retention period has ended
but which is not purged automatically (an exploitation record): `destroy`, or `keep_until` a
date, with the reason, who decided and when (`rhi retention decide`). Empty on upgrade: no
decision was ever recorded before this revision, so every exploitation record past its period
waits for one. The rows go with their record (ON DELETE CASCADE); the audit log keeps the fact.

Revision ID: e3a5c7d9f124
Revises: d2f4a6b8c013
Create Date: 2026-12-05 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e3a5c7d9f124'
down_revision: str | None = 'd2f4a6b8c013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'retention_decisions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('interview_id', sa.Uuid(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('keep_until', sa.Date(), nullable=True),
        sa.Column('reason', sa.String(length=2000), nullable=False),
        sa.Column('decided_by', sa.String(length=200), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('retention_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_decisions_interview_id'),
                              ['interview_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('retention_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_decisions_interview_id'))
    op.drop_table('retention_decisions')
