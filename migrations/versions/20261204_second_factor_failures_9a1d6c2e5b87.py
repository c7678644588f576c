"""second factor failures

`users.second_factor_failures`: wrong second-factor codes counted on their own. They shared
`failed_logins` with wrong passwords, which a right password resets, so a person holding the
password could guess codes without end, four at a time. Every existing user starts at 0.

Revision ID: 9a1d6c2e5b87
Revises: 3e8b5d1c7f42
Create Date: 2026-12-04 11:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9a1d6c2e5b87'
down_revision: str | None = '3e8b5d1c7f42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('second_factor_failures', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('second_factor_failures')
