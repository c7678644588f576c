"""The feed projection: one row per submitted interview, holding its pseudonymised feed record.

Written when a record is written (`projection.refresh`), so that a pull is one indexed scan of
precomputed bytes and a summary is SQL aggregation over plain columns: no per-row queries, no
per-row JSON building, no document parsing at read time.

The code lists (`push_factors`, `risk_indicators`, ...) are kept as delimited text in a canonical
order, `;a;b;`, so that one `LIKE '%;b;%'` filters on a code and `GROUP BY` on the column counts
every combination at once (`summary.py` expands the combinations). `standard_results` holds
one letter per standard, as stored (`record.results_letters`); `feed_pending_findings` holds the
deadline of each
pending finding, so that a deadline that passed since the record was written is served, filtered
and counted as `not_met` without waiting for `rhi standards evaluate`.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import Column, ForeignKey, Index, Text, Uuid, false
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime

# Every column the summary and the feed's fingerprint read, so that they scan this narrow index
# (about 250 bytes a row) instead of the table, whose rows carry `json_line` and `csv_row`
# (about 5 KB, mostly in overflow pages); the feed itself still reads the table in keyset
# order, and the database keeps the two in step. Quarter and authority lead, so the usual
# grouping (the quarterly report; `group_by=quarter,responsible_authority`) is read in index
# order with no sort. Not usable for visibility's OR, so it does not tempt the planner away
# from the keyset index for pages.
SUMMARY_INDEX = "ix_feed_rows_summary"
SUMMARY_INDEX_COLUMNS = (
    "period_quarter", "responsible_authority", "recorded_by_org", "period_month", "period_date",
    "out_of_area", "legal_status", "gender", "age_band", "child_key", "outcome",
    "episode_count", "offered_within_72h", "completed_within_72h", "standard_results",
    "push_factors", "pull_factors", "risk_indicators", "action_types", "latest_returned_at",
    "updated_at", "interview_id",
    # The board pack's (`board_pack.py`): the summary's newer groupings, and places.
    "ethnicity", "disability_or_send", "uasc", "placement_type", "decline_reason_given",
    "found_districts", "location_districts",
)


class FeedRow(SQLModel, table=True):
    __tablename__ = "feed_rows"
    __table_args__ = (Index("ix_feed_rows_updated_at_interview_id", "updated_at", "interview_id"),
                      Index(SUMMARY_INDEX, *SUMMARY_INDEX_COLUMNS))

    interview_id: UUID = Field(sa_column=Column(
        Uuid(), ForeignKey("interviews.id", ondelete="CASCADE"), primary_key=True))
    # When the feed record last changed: the record's `updated_at`, or later when only what is
    # derived from it changed (a deadline passed, another record of the same child arrived).
    updated_at: datetime = Field(sa_type=UTCDateTime)
    version: int
    status: str = Field(max_length=16)
    # Not indexed on their own, on purpose: visibility is an OR of these two, and an index on
    # either tempts the planner away from the keyset index, into sorting every visible row for
    # each page.
    recorded_by_org: str = Field(max_length=64)
    responsible_authority: str | None = Field(default=None, max_length=64)
    placement_authority: str | None = Field(default=None, max_length=64)
    out_of_area: bool = False
    legal_status: str | None = Field(default=None, max_length=32)
    gender: str | None = Field(default=None, max_length=16)
    age_band: str | None = Field(default=None, max_length=16)
    child_key: str | None = Field(default=None, max_length=64)
    outcome: str | None = Field(default=None, max_length=16)
    episode_count: int = 0
    latest_returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The Europe/London date that places the record in a reporting period: the latest return,
    # or the latest start while the child is still missing.
    period_date: date | None = Field(default=None, index=True)
    period_month: str | None = Field(default=None, max_length=7)  # "2026-03"
    period_quarter: str | None = Field(default=None, max_length=7)  # "2026-Q1"
    offered_within_72h: bool = False
    completed_within_72h: bool = False
    push_factors: str = Field(default=";", max_length=1000)
    pull_factors: str = Field(default=";", max_length=1000)
    risk_indicators: str = Field(default=";", max_length=1000)
    action_types: str = Field(default=";", max_length=1000)
    standard_results: str = Field(default="", max_length=64)
    # For the board pack (`board_pack.py`) and the summary's groupings; filled by
    # `record.project`, and for rows written before them by `python -m app.feed.rebuild`.
    ethnicity: str | None = Field(default=None, max_length=8)
    disability_or_send: str | None = Field(default=None, max_length=16)
    uasc: bool | None = None
    placement_type: str | None = Field(default=None, max_length=32)
    # A declined offer with a reason written down (never the reason: it is free text).
    decline_reason_given: bool = Field(default=False,
                                       sa_column_kwargs={"server_default": false()})
    # Each episode's found district, sorted, one per episode (`;BS16;BS16;BS5;`), so that
    # counting them counts episodes; the places' districts as a set, like the code lists.
    found_districts: str = Field(default=";", max_length=1000,
                                 sa_column_kwargs={"server_default": ";"})
    location_districts: str = Field(default=";", max_length=1000,
                                    sa_column_kwargs={"server_default": ";"})
    # Each action as `status|type|due_at|outcome`, `;`-separated (`;planned|safety_plan|` then
    # the due moment as the feed writes it, then `|`, then `y` when an outcome is written, never
    # its text): a planned action past its due date is overdue at the moment of the report.
    # Unbounded (a record holds up to 100 actions), so not in the summary index: the board
    # pack reads it for one quarter's rows only.
    action_states: str = Field(default=";", sa_type=Text,
                               sa_column_kwargs={"server_default": ";"})
    # The earliest deadline among the pending findings: past it, the row is patched when served.
    next_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    json_line: str = Field(sa_type=Text)
    csv_row: str = Field(sa_type=Text)


class FeedPendingFinding(SQLModel, table=True):
    """A pending finding's deadline, so a passed one can be found in SQL."""

    __tablename__ = "feed_pending_findings"

    interview_id: UUID = Field(sa_column=Column(
        Uuid(), ForeignKey("feed_rows.interview_id", ondelete="CASCADE"), primary_key=True))
    code: str = Field(max_length=64, primary_key=True)
    due_at: datetime = Field(sa_type=UTCDateTime, index=True)
