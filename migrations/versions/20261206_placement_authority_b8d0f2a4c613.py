"""placement authority per record

`interviews.placement_authority`: the document's `child.placement_authority` as last submitted,
indexed, so the host authority's restricted view (`app.record.visibility.placed_in`) finds the
records of children placed in its area without reading every document. Filled here from each
record's document; a returned record (being changed, not yet submitted again) from the version
last submitted, which is what the host authority may see.

Revision ID: b8d0f2a4c613
Revises: a5c7e9f1b346
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = 'b8d0f2a4c613'
down_revision: str | None = 'a5c7e9f1b346'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from the models: a migration must keep meaning what it meant.
_JSON = sa.JSON().with_variant(JSONB(), 'postgresql')
interviews = sa.table('interviews', sa.column('id', sa.Uuid()), sa.column('status', sa.String()),
                      sa.column('version', sa.Integer()), sa.column('document', _JSON),
                      sa.column('placement_authority', sa.String()))
versions = sa.table('interview_versions', sa.column('interview_id', sa.Uuid()),
                    sa.column('version', sa.Integer()), sa.column('document', _JSON))


def _placement(document: Any) -> Any:
    return document['child']['placement_authority'].as_string()


def upgrade() -> None:
    # Not a batch: on SQLite a batch would copy `interviews`, which other tables refer to.
    op.add_column('interviews', sa.Column('placement_authority', sa.String(length=64),
                                          nullable=True))
    op.create_index('ix_interviews_placement_authority', 'interviews', ['placement_authority'])
    op.execute(interviews.update().where(interviews.c.status != 'returned')
               .values(placement_authority=_placement(interviews.c.document)))
    submitted = (sa.select(_placement(versions.c.document))
                 .where(versions.c.interview_id == interviews.c.id,
                        versions.c.version == interviews.c.version)
                 .scalar_subquery())
    op.execute(interviews.update().where(interviews.c.status == 'returned')
               .values(placement_authority=submitted))


def downgrade() -> None:
    # SQLite 3.35 and later drop a column in place.
    op.drop_index('ix_interviews_placement_authority', table_name='interviews')
    op.drop_column('interviews', 'placement_authority')
