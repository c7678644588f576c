"""legal hold and append-only audit

`interviews.legal_hold` keeps a record past its retention period. On PostgreSQL a trigger makes
`audit_entries` refuse UPDATE and TRUNCATE (the hash chain already shows any change; the trigger
stops it happening). DELETE is not refused yet: tests that share the PostgreSQL test database
remove the entries they committed. SQLite has no equivalent worth its cost; there the chain and
`rhi audit verify` are the protection.

Revision ID: 33356be76837
Revises: d2821e8a7871
Create Date: 2026-11-29 13:32:21.787639
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '33356be76837'
down_revision: str | None = 'd2821e8a7871'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFUSE_CHANGES = """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('legal_hold', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(REFUSE_CHANGES)
        op.execute("CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
                   "FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()")
        op.execute("CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER audit_entries_no_truncate ON audit_entries")
        op.execute("DROP TRIGGER audit_entries_no_update ON audit_entries")
        op.execute("DROP FUNCTION audit_entries_append_only()")

    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_column('legal_hold')
