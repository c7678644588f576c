"""notifications

`notifications`: the outbox of email notices (app/notify/). Each row is written in the
transaction of the change that causes it and sent after commit: kind, the organisation it goes
to and the address, what it says (no child's name, case id or date of birth: counts, dates and
a link), a key that makes the same message twice one row, and how sending went (status,
attempts, the last error in the service's own words, the times). Empty on upgrade: changes made
before this revision are not announced.

`organisations.notify_email`: where an organisation's notices go, set by its administrator on
/admin/organisations. Empty for every existing organisation: nothing is sent until it is set.

Revision ID: f4b6d8e0a235
Revises: e3a5c7d9f124
Create Date: 2026-12-05 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = 'f4b6d8e0a235'
down_revision: str | None = 'e3a5c7d9f124'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Not a batch: on SQLite a batch would copy `organisations`, which other tables refer to.
    op.add_column('organisations', sa.Column('notify_email', sa.String(length=254),
                                             nullable=True))
    json = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    op.create_table(
        'notifications',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('organisation', sa.String(length=64), nullable=False),
        sa.Column('recipient', sa.String(length=320), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('body', sa.String(length=4000), nullable=False),
        sa.Column('link', sa.String(length=500), nullable=False),
        sa.Column('details', json, nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=200), nullable=True),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_due', ['status', 'next_attempt_at'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_notifications_organisation'), ['organisation'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notifications_organisation'))
        batch_op.drop_index(batch_op.f('ix_notifications_kind'))
        batch_op.drop_index('ix_notifications_due')
    op.drop_table('notifications')
    # SQLite 3.35 and later drop a column in place.
    op.drop_column('organisations', 'notify_email')
