"""board pack columns

`feed_rows` gains what the board pack (app/feed/board_pack.py) and the summary's new groupings
count: `ethnicity`, `disability_or_send`, `uasc`, `placement_type` (the child's, as in the feed
record), `decline_reason_given` (a declined offer with a reason written down; never the reason),
`found_districts` (each episode's found district, one per episode), `location_districts` (the
places' districts) and `action_states` (each action's status, type, due moment and whether an
outcome is written; never its text). The summary index is rebuilt with the new columns but
`action_states` (unbounded), so the summary still reads the index, never the wide rows.

Existing rows get empty values here: `python -m app.feed.rebuild` fills them from the records
(a row whose feed record does not change keeps its `updated_at`, so analysts' incremental pulls
see nothing new).

Revision ID: a5c7e9f1b346
Revises: f4b6d8e0a235
Create Date: 2026-12-05 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a5c7e9f1b346'
down_revision: str | None = 'f4b6d8e0a235'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from the model: a migration must keep meaning what it meant.
BEFORE = [
    'period_quarter', 'responsible_authority', 'recorded_by_org', 'period_month', 'period_date',
    'out_of_area', 'legal_status', 'gender', 'age_band', 'child_key', 'outcome',
    'episode_count', 'offered_within_72h', 'completed_within_72h', 'standard_results',
    'push_factors', 'pull_factors', 'risk_indicators', 'action_types', 'latest_returned_at',
    'updated_at', 'interview_id',
]
AFTER = [
    *BEFORE, 'ethnicity', 'disability_or_send', 'uasc', 'placement_type',
    'decline_reason_given', 'found_districts', 'location_districts',
]


def upgrade() -> None:
    # Not a batch: on SQLite a batch would copy `feed_rows` (5 KB a row); adding columns is in
    # place on both databases.
    op.add_column('feed_rows', sa.Column('ethnicity', sa.String(length=8), nullable=True))
    op.add_column('feed_rows', sa.Column('disability_or_send', sa.String(length=16),
                                         nullable=True))
    op.add_column('feed_rows', sa.Column('uasc', sa.Boolean(), nullable=True))
    op.add_column('feed_rows', sa.Column('placement_type', sa.String(length=32), nullable=True))
    op.add_column('feed_rows', sa.Column('decline_reason_given', sa.Boolean(), nullable=False,
                                         server_default=sa.false()))
    op.add_column('feed_rows', sa.Column('found_districts', sa.String(length=1000),
                                         nullable=False, server_default=';'))
    op.add_column('feed_rows', sa.Column('location_districts', sa.String(length=1000),
                                         nullable=False, server_default=';'))
    op.add_column('feed_rows', sa.Column('action_states', sa.Text(), nullable=False,
                                         server_default=';'))
    op.drop_index('ix_feed_rows_summary', table_name='feed_rows')
    op.create_index('ix_feed_rows_summary', 'feed_rows', AFTER, unique=False)


def downgrade() -> None:
    op.drop_index('ix_feed_rows_summary', table_name='feed_rows')
    op.create_index('ix_feed_rows_summary', 'feed_rows', BEFORE, unique=False)
    # SQLite 3.35 and later drop a column in place.
    for column in ('action_states', 'location_districts', 'found_districts',
                   'decline_reason_given', 'placement_type', 'uasc', 'disability_or_send',
                   'ethnicity'):
        op.drop_column('feed_rows', column)
