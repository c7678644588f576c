"""audit keyed

`audit_entries.keyed`: entries are now hashed with HMAC-SHA256 under RHI_AUDIT_KEY, kept
outside the database, so rewriting the chain needs the key. Entries written before stay as they
were (plain SHA-256, `keyed` false) and verify as before.

Revision ID: 5f2a8c4d1e96
Revises: 9a1d6c2e5b87
Create Date: 2026-12-04 11:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5f2a8c4d1e96'
down_revision: str | None = '9a1d6c2e5b87'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # On PostgreSQL a trigger refuses UPDATE on this table; adding a column with a default
    # updates no row.
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keyed', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_column('keyed')
