"""organisation sso

Single sign-on through an organisation's OpenID Connect provider: on `organisations`, the
provider's issuer URL, the client id, the name of the environment variable holding the client
secret (the secret itself is never stored), the ID token claim carrying the email address
(`email` unless told), and whether its people must sign in that way. Every existing
organisation keeps password and TOTP sign-in.

Revision ID: e6a3f1b8c950
Revises: c1d8e5f2a347
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e6a3f1b8c950'
down_revision: str | None = 'c1d8e5f2a347'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ('sso_issuer', 'sso_client_id', 'sso_secret_env', 'sso_email_claim', 'sso_required')


def upgrade() -> None:
    # Not a batch: on SQLite a batch would copy `organisations`, which other tables refer to.
    op.add_column('organisations', sa.Column('sso_issuer', sa.String(length=500), nullable=True))
    op.add_column('organisations', sa.Column('sso_client_id', sa.String(length=200),
                                             nullable=True))
    op.add_column('organisations', sa.Column('sso_secret_env', sa.String(length=100),
                                             nullable=True))
    op.add_column('organisations', sa.Column('sso_email_claim', sa.String(length=100),
                                             nullable=False, server_default='email'))
    op.add_column('organisations', sa.Column('sso_required', sa.Boolean(), nullable=False,
                                             server_default=sa.false()))


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place.
    for column in reversed(COLUMNS):
        op.drop_column('organisations', column)
