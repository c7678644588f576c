"""A database of a test's own, for what the shared, rolled-back test database cannot show:
a server in another process, real commits, the whole audit chain.

SQLite: a fresh file in a temporary directory. PostgreSQL (when `RHI_DATABASE_URL` names one):
a new database `rhi_scratch_<random>` on the same server, made and dropped through the `postgres`
maintenance database, so the main test database (and its schema) is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import uuid4

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.audit.checkpoints import default_path
from app.core.db import upgrade_database
from app.core.settings import PROJECT_ROOT, get_settings

RHI = str(Path(sys.executable).with_name("rhi"))


@contextmanager
def scratch_database(prefix: str = "rhi_scratch", kind: str | None = None) -> Iterator[str]:
    """The URL of a new, migrated database, of the test database's kind unless `kind` says
    ("sqlite" or "postgresql", the latter only when the tests run on PostgreSQL); removed
    afterwards."""
    main_url = make_url(get_settings().sqlalchemy_url)
    if (kind or main_url.get_backend_name()) == "postgresql":
        name = f"{prefix}_{uuid4().hex[:10]}"
        maintenance = create_engine(main_url.set(database="postgres"),
                                    isolation_level="AUTOCOMMIT")
        try:
            with maintenance.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = main_url.set(database=name).render_as_string(hide_password=False)
            try:
                upgrade_database(url)
                yield url
            finally:
                _forget_checkpoints(url)
                with maintenance.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            maintenance.dispose()
        return
    directory = Path(tempfile.mkdtemp(prefix=f"{prefix}-"))
    try:
        url = f"sqlite:///{directory / 'scratch.sqlite3'}"
        upgrade_database(url)
        yield url
    finally:
        _forget_checkpoints(f"sqlite:///{directory / 'scratch.sqlite3'}")
        shutil.rmtree(directory, ignore_errors=True)


def _forget_checkpoints(url: str) -> None:
    """The audit checkpoints `rhi audit verify` wrote for the scratch database, in var/."""
    checkpoint_file = default_path(make_url(url).render_as_string(hide_password=True))
    checkpoint_file.unlink(missing_ok=True)


def environment(url: str) -> dict[str, str]:
    """The environment of an `rhi` process using the database at `url`."""
    return {**os.environ, "RHI_DATABASE_URL": url, "RHI_ENV": "test"}


def rhi(url: str, *args: str, stdin: str | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the real `rhi` command against the database at `url`."""
    return subprocess.run(  # noqa: S603 - our own entry point, fixed arguments
        [RHI, *args], input=stdin, capture_output=True, text=True, timeout=timeout,
        env=environment(url), cwd=PROJECT_ROOT, check=False)
