"""csv formula neutralised

Every CSV cell the service writes now has a leading `'` when it starts with `=`, `+`, `-`, `@`, a
tab or a carriage return (and is not a number), so a spreadsheet shows it as text instead of
running it (CSV injection). The feed keeps each record's CSV line in `feed_rows.csv_row`; this
rewrites the lines written before, cell by cell, with the same rule. A line with no such cell is
left exactly as it was. Downgrading leaves the neutralised lines as they are (they are safe).

Revision ID: 3e8b5d1c7f42
Revises: 7c2f4e9a1b30
Create Date: 2026-12-04 11:30:00.000000
"""

import csv
import io
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '3e8b5d1c7f42'
down_revision: str | None = '7c2f4e9a1b30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out, not imported from the application: a migration must keep meaning what it meant.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
BATCH = 2000


def _neutralise(cell: str) -> str:
    if cell.startswith(FORMULA_STARTS) and not NUMBER.match(cell):
        return "'" + cell
    return cell


def _rewritten(line: str) -> str:
    cells = next(csv.reader(io.StringIO(line)), [])
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_neutralise(c) for c in cells])
    return buffer.getvalue()


def upgrade() -> None:
    bind = op.get_bind()
    rows = sa.table('feed_rows', sa.column('interview_id', sa.Uuid()),
                    sa.column('csv_row', sa.Text()))
    last = None
    while True:
        query = sa.select(rows.c.interview_id, rows.c.csv_row).order_by(rows.c.interview_id)
        if last is not None:
            query = query.where(rows.c.interview_id > last)
        batch = bind.execute(query.limit(BATCH)).all()
        if not batch:
            break
        for interview_id, line in batch:
            fixed = _rewritten(line)
            if fixed != line:
                bind.execute(rows.update().where(rows.c.interview_id == interview_id)
                             .values(csv_row=fixed))
        last = batch[-1][0]


def downgrade() -> None:
    pass
