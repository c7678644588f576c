"""episode register

`register_episodes`: every missing or away episode as a row of its own, notified by partner
systems, entered by the co-ordinator, or registered by a record that covers it; and
`episodes.register_id`, which links a record's episodes to the register.

The data migration registers every episode of every submitted record (submitted, returned or
approved): one register row per child and start (the same episode on two records is one
episode), its offer and outcome from the latest record covering it, and links every record's
episode rows (drafts too, where a submitted record registered the same episode). Records, their
versions and findings are not touched. The register's ids are made from the child and the
start (uuid5), so the same database always migrates to the same register.

Revision ID: b4e7a2c9d013
Revises: 5f2a8c4d1e96
Create Date: 2026-12-04 14:00:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

import sqlalchemy as sa
from alembic import op

revision: str = 'b4e7a2c9d013'
down_revision: str | None = '5f2a8c4d1e96'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGISTER_NAMESPACE = uuid5(NAMESPACE_URL, "urn:rhi:register-episode")


def upgrade() -> None:
    op.create_table(
        'register_episodes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('child_id', sa.Integer(), nullable=False),
        sa.Column('responsible_authority', sa.String(length=64), nullable=False),
        sa.Column('notified_by_org', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('created_by_user_id', sa.Integer(), nullable=True),
        sa.Column('created_by_api_key_id', sa.String(length=32), nullable=True),
        sa.Column('duplicate_of', sa.Uuid(), nullable=True),
        sa.Column('type', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('found_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reported_by', sa.String(length=32), nullable=True),
        sa.Column('police_reference', sa.String(length=50), nullable=True),
        sa.Column('police_risk_grade', sa.String(length=32), nullable=True),
        sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('legal_status', sa.String(length=32), nullable=True),
        sa.Column('placement_authority', sa.String(length=64), nullable=True),
        sa.Column('allocated_org', sa.String(length=64), nullable=True),
        sa.Column('allocated_user_id', sa.Integer(), nullable=True),
        sa.Column('allocated_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('interview_id', sa.Uuid(), nullable=True),
        sa.Column('offer_outcome', sa.String(length=16), nullable=True),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('conducted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('shared_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('body_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['child_id'], ['children.id']),
        sa.ForeignKeyConstraint(['created_by_user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['created_by_api_key_id'], ['api_keys.id']),
        sa.ForeignKeyConstraint(['duplicate_of'], ['register_episodes.id']),
        sa.ForeignKeyConstraint(['allocated_user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('register_episodes', schema=None) as batch_op:
        for column in ('child_id', 'responsible_authority', 'notified_by_org', 'duplicate_of',
                       'returned_at', 'allocated_org', 'allocated_user_id', 'interview_id',
                       'updated_at'):
            batch_op.create_index(batch_op.f(f'ix_register_episodes_{column}'), [column],
                                  unique=False)
        batch_op.create_index('ix_register_child_start', ['child_id', 'started_at'],
                              unique=False)
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('register_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_episodes_register_id'), ['register_id'],
                              unique=False)
        batch_op.create_foreign_key('fk_episodes_register_id', 'register_episodes',
                                    ['register_id'], ['id'])
    _register_existing_episodes()


def downgrade() -> None:
    with op.batch_alter_table('episodes', schema=None) as batch_op:
        batch_op.drop_constraint('fk_episodes_register_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_episodes_register_id'))
        batch_op.drop_column('register_id')
    op.drop_table('register_episodes')


# --- the data migration ---------------------------------------------------------------------------

def _aware(value: Any) -> datetime | None:
    """A stored or document timestamp as an aware UTC datetime (SQLite keeps naive UTC)."""
    if value is None or value == "":
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _stored(value: datetime | None, sqlite: bool) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=None) if sqlite else value


def _register_id(child_id: int, started_at: datetime) -> UUID:
    return uuid5(REGISTER_NAMESPACE, f"{child_id}/{started_at.isoformat()}")


def _register_existing_episodes() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    interviews = sa.table(
        'interviews', sa.column('id', sa.Uuid()), sa.column('status', sa.String()),
        sa.column('recorded_by_org', sa.String()), sa.column('child_id', sa.Integer()),
        sa.column('document', sa.JSON()), sa.column('submitted_at', sa.DateTime(True)),
        sa.column('updated_at', sa.DateTime(True)))
    episodes = sa.table(
        'episodes', sa.column('id', sa.Integer()), sa.column('interview_id', sa.Uuid()),
        sa.column('child_id', sa.Integer()), sa.column('position', sa.Integer()),
        sa.column('type', sa.String()), sa.column('started_at', sa.DateTime(True)),
        sa.column('returned_at', sa.DateTime(True)), sa.column('register_id', sa.Uuid()))
    children = sa.table('children', sa.column('id', sa.Integer()),
                        sa.column('responsible_authority', sa.String()))
    moment, text = sa.DateTime(True), sa.String()
    register = sa.table(
        'register_episodes', sa.column('id', sa.Uuid()), sa.column('child_id', sa.Integer()),
        *(sa.column(name, text) for name in (
            'responsible_authority', 'notified_by_org', 'source', 'type', 'police_reference',
            'police_risk_grade', 'legal_status', 'placement_authority', 'offer_outcome',
            'body_hash')),
        *(sa.column(name, moment) for name in (
            'started_at', 'returned_at', 'offered_at', 'conducted_at', 'shared_at',
            'created_at', 'updated_at')),
        sa.column('interview_id', sa.Uuid()), sa.column('version', sa.Integer()))
    authority = {child_id: code for child_id, code in bind.execute(
        sa.select(children.c.id, children.c.responsible_authority))}
    rows = bind.execute(
        sa.select(episodes.c.id, episodes.c.child_id, episodes.c.position, episodes.c.type,
                  episodes.c.started_at, episodes.c.returned_at, interviews.c.id,
                  interviews.c.status, interviews.c.recorded_by_org, interviews.c.document,
                  interviews.c.submitted_at, interviews.c.updated_at)
        .join(interviews, interviews.c.id == episodes.c.interview_id)
        .where(episodes.c.child_id.is_not(None), episodes.c.started_at.is_not(None))
    ).all()
    # Per child and start: every episode row, and the latest submitted record covering it.
    groups: dict[tuple[int, datetime], list[Any]] = {}
    for row in rows:
        groups.setdefault((row[1], _aware(row[4])), []).append(row)  # type: ignore[arg-type]
    links: list[dict[str, Any]] = []
    for (child_id, started), members in groups.items():
        submitted = [m for m in members if m[7] != "draft"]
        if not submitted:
            continue  # a draft's episode is provisional: registered when it is submitted
        latest = max(submitted, key=lambda m: (_aware(m[10] or m[11]), str(m[6])))
        document = latest[9] or {}
        entry = (document.get("episodes") or [{}] * (latest[2] + 1))[latest[2]] or {}
        offer = document.get("offer") or {}
        content = document.get("interview") or {}
        child = document.get("child") or {}
        shared = sorted(s for s in (_aware(x.get("at")) for x in document.get("sharing") or []
                                    if isinstance(x, dict)) if s is not None)
        register_id = _register_id(child_id, started)
        first = min(_aware(m[10] or m[11]) for m in submitted)  # type: ignore[type-var]
        bind.execute(register.insert().values(
            id=register_id, child_id=child_id,
            responsible_authority=authority.get(child_id) or child.get("responsible_authority"),
            notified_by_org=latest[8], source="record", type=latest[3] or "missing",
            started_at=_stored(started, sqlite),
            returned_at=_stored(_aware(latest[5]), sqlite),
            police_reference=entry.get("police_reference"),
            police_risk_grade=entry.get("police_risk_grade"),
            legal_status=child.get("legal_status"),
            placement_authority=child.get("placement_authority"),
            interview_id=latest[6], offer_outcome=offer.get("outcome"),
            offered_at=_stored(_aware(offer.get("offered_at")), sqlite),
            conducted_at=_stored(_aware(content.get("conducted_at"))
                                 if offer.get("outcome") == "completed" else None, sqlite),
            shared_at=_stored(shared[0] if shared else None, sqlite),
            version=1, body_hash="", created_at=_stored(first, sqlite),
            updated_at=_stored(_aware(latest[11]), sqlite)))
        links += [{"episode_id": m[0], "register": register_id} for m in members]
    if links:
        bind.execute(
            episodes.update().where(episodes.c.id == sa.bindparam("episode_id"))
            .values(register_id=sa.bindparam("register")), links)
