"""feed projection

`feed_rows`: one row per submitted, returned or approved interview, holding its pseudonymised
feed record (JSON and CSV text, precomputed when the record is written) and the plain columns
the feed filters on and the summary counts. `feed_pending_findings`: the deadline of each
pending finding, so one that has passed is served and counted as `not_met`.

Both are filled as records are written. A database holding records already fills them with
`python -m app.feed.rebuild` after this migration.

Revision ID: 76c9ec273308
Revises: 33356be76837
Create Date: 2026-11-29 13:37:34.133783
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '76c9ec273308'
down_revision: str | None = '33356be76837'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('feed_rows',
    sa.Column('interview_id', sa.Uuid(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recorded_by_org', sa.String(length=64), nullable=False),
    sa.Column('responsible_authority', sa.String(length=64), nullable=True),
    sa.Column('placement_authority', sa.String(length=64), nullable=True),
    sa.Column('out_of_area', sa.Boolean(), nullable=False),
    sa.Column('legal_status', sa.String(length=32), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('age_band', sa.String(length=16), nullable=True),
    sa.Column('child_key', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('episode_count', sa.Integer(), nullable=False),
    sa.Column('latest_returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('period_date', sa.Date(), nullable=True),
    sa.Column('period_month', sa.String(length=7), nullable=True),
    sa.Column('period_quarter', sa.String(length=7), nullable=True),
    sa.Column('offered_within_72h', sa.Boolean(), nullable=False),
    sa.Column('completed_within_72h', sa.Boolean(), nullable=False),
    sa.Column('push_factors', sa.String(length=1000), nullable=False),
    sa.Column('pull_factors', sa.String(length=1000), nullable=False),
    sa.Column('risk_indicators', sa.String(length=1000), nullable=False),
    sa.Column('action_types', sa.String(length=1000), nullable=False),
    sa.Column('standard_results', sa.String(length=64), nullable=False),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('json_line', sa.Text(), nullable=False),
    sa.Column('csv_row', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('interview_id')
    )
    with op.batch_alter_table('feed_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_rows_period_date'), ['period_date'], unique=False)
        batch_op.create_index('ix_feed_rows_updated_at_interview_id', ['updated_at', 'interview_id'], unique=False)

    op.create_table('feed_pending_findings',
    sa.Column('interview_id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['feed_rows.interview_id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('interview_id', 'code')
    )
    with op.batch_alter_table('feed_pending_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_pending_findings_due_at'), ['due_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feed_pending_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_pending_findings_due_at'))

    op.drop_table('feed_pending_findings')
    with op.batch_alter_table('feed_rows', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_rows_updated_at_interview_id')
        batch_op.drop_index(batch_op.f('ix_feed_rows_period_date'))

    op.drop_table('feed_rows')
