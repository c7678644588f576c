"""`python -m app.feed.rebuild`: project every submitted record into the feed again.

For a database that held records before the feed projection existed, or after a release that
changes what the feed record holds. Safe to run at any time: a row whose content is unchanged
is left as it is, so analysts' incremental pulls only see what really changed.
"""

from __future__ import annotations

import sys

from sqlalchemy.orm import Session

from app.core.db import get_engine
from app.feed.projection import rebuild


def main() -> int:
    with Session(get_engine(), expire_on_commit=False) as session:
        written = rebuild(session)
        session.commit()
    sys.stdout.write(f"Feed projection rebuilt: {written} row{'s' if written != 1 else ''} "
                     "written\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
