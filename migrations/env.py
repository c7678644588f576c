"""Alembic environment: the URL comes from the caller (`upgrade_database`) or the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, text

import app.registry  # noqa: F401  (registers every table on the metadata)
from app.core.db import make_engine, metadata
from app.core.settings import get_settings

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # One transaction for the whole upgrade on SQLite too (its DDL is transactional), so
        # that it begins with BEGIN IMMEDIATE and reads the version inside it.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        # Servers starting at once on one database migrate one after the other; the second
        # then finds nothing to do.
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(727275)"))
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("database_url") or get_settings().sqlalchemy_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `rhi db upgrade`")
run_migrations_online()
