"""The feeds as Parquet (`format=parquet`): the same rows as NDJSON, in typed columns.

A Parquet pull streams the very NDJSON lines the NDJSON pull would send (the same query, the
same visibility, the same patch of a finding whose deadline has passed) and turns them into
columns with Arrow's JSON reader against an explicit schema (below: never inferred from the
data, so an empty pull and a full one have the same columns, and a column never changes type
from one pull to the next). Every `ROW_GROUP_ROWS` records become a row group, written to the
answer as soon as it is made: memory holds one row group, never the whole file (`make bench`,
#1e: the server's peak is the same, about 175 MB above idle, for 20,000 records as for
100,000; a pull is about a quarter as fast as NDJSON's, which sends stored bytes as they are,
for a seventeenth of the bytes).

Types (`docs/analysts.md`, "Parquet"):
- timestamps: `timestamp[us, tz=UTC]` (the JSON's `...Z` text, to the microsecond);
- yes/no fields: `bool`; counts and categories: `int32`; hours: `float64` (`double`);
- codes: `string`; code lists (`push_factors`, ...): `list<string>`;
- `episodes`, `standards` and `actions`: lists of structs with the fields of the JSON objects.
Neither feed has a date-only field; a date would be `date32`.

pyarrow is imported when a Parquet pull starts, not with the app: it adds about 40 MB to a
process, which a server that never serves Parquet should not carry.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any, Final

MEDIA_TYPE: Final = "application/vnd.apache.parquet"
ROW_GROUP_ROWS: Final = 10_000
# Snappy: the codec every Parquet reader has (Power BI's and Excel's included); zstd would make
# files about a fifth smaller but is not read everywhere.
COMPRESSION: Final = "snappy"


def _arrow() -> Any:
    import pyarrow  # type: ignore[import-untyped]  # noqa: PLC0415 - see the module's note

    return pyarrow


@cache
def interview_schema() -> Any:
    """The interview feed's columns: the feed record's fields (`data-dictionary.md`), in its
    order, each with its type."""
    pa = _arrow()
    text, flag, whole, hours = pa.string(), pa.bool_(), pa.int32(), pa.float64()
    moment = pa.timestamp("us", tz="UTC")
    codes = pa.list_(text)
    episode = pa.struct([
        ("type", text), ("started_at", moment), ("returned_at", moment),
        ("duration_hours", hours), ("reported_to_police", flag), ("police_risk_grade", text),
        ("found_district", text), ("brought_back_by", text),
        ("prevention_interview_at", moment),
    ])
    finding = pa.struct([
        ("code", text), ("set_version", text), ("result", text), ("due_at", moment),
        ("evidence_at", moment), ("detail", text),
    ])
    action = pa.struct([("type", text), ("status", text), ("due_at", moment), ("at", moment)])
    return pa.schema([
        pa.field("interview_id", text, nullable=False),
        ("version", whole),
        ("status", text),
        ("updated_at", moment),
        ("submitted_at", moment),
        ("approved_at", moment),
        ("recorded_by_org", text),
        ("responsible_authority", text),
        ("placement_authority", text),
        ("out_of_area", flag),
        ("child_key", text),
        ("age_at_return", whole),
        ("gender", text),
        ("ethnicity", text),
        ("legal_status", text),
        ("episodes", pa.list_(episode)),
        ("outcome", text),
        ("offered_at", moment),
        ("conducted_at", moment),
        ("hours_to_offer", hours),
        ("hours_to_interview", hours),
        ("mode", text),
        ("interviewer_role", text),
        ("interviewer_independent", flag),
        ("push_factors", codes),
        ("pull_factors", codes),
        ("risk_indicators", codes),
        ("harm_disclosed", text),
        ("seraf_category", whole),
        ("location_districts", codes),
        ("action_types", codes),
        ("shared_with", codes),
        ("episodes_in_last_90_days", whole),
        ("standards", pa.list_(finding)),
        ("standard_set", text),
        ("uasc", flag),
        ("disability_or_send", text),
        ("placement_type", text),
        ("interviewer_relationship", text),
        ("afraid_of_anyone", text),
        ("safety_information_given", flag),
        ("views_on_sharing", text),
        ("lawful_basis", text),
        ("shared_against_wishes", flag),
        ("child_told_of_sharing", flag),
        ("actions", pa.list_(action)),
    ])


@cache
def episode_schema() -> Any:
    """The episode feed's columns (`analysts.md`, "The episode feed"), in its order."""
    pa = _arrow()
    text, flag, moment = pa.string(), pa.bool_(), pa.timestamp("us", tz="UTC")
    return pa.schema([
        pa.field("episode_id", text, nullable=False),
        ("child_key", text),
        ("responsible_authority", text),
        ("notified_by_org", text),
        ("type", text),
        ("started_at", moment),
        ("found_at", moment),
        ("returned_at", moment),
        ("reported_by", text),
        ("police_risk_grade", text),
        ("notified_at", moment),
        ("legal_status", text),
        ("placement_authority", text),
        ("out_of_area", flag),
        ("state", text),
        ("allocated_org", text),
        ("offer_outcome", text),
        ("offered_at", moment),
        ("conducted_at", moment),
        ("shared_at", moment),
        ("offer_within_72h", text),
        ("offer_due_at", moment),
        ("interview_within_72h", text),
        ("updated_at", moment),
    ])


class _Sink:
    """Where the writer puts the file: the bytes written since the last `take`, then sent."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.position = 0
        self.closed = False

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.parts.append(chunk)
        self.position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self.position

    def flush(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts = []
        return out


def columns(ndjson: bytes, schema: Any) -> Any:
    """NDJSON lines as an Arrow table of `schema` (a key the schema lacks is left out)."""
    import pyarrow.json as arrow_json  # type: ignore[import-untyped]  # noqa: PLC0415

    table = arrow_json.read_json(
        io.BytesIO(ndjson),
        # One block per chunk, so no line can straddle two blocks, however long; one thread,
        # as a request has: Arrow's pool of threads would take the other requests' cores and
        # about a third more memory, for no faster an answer.
        read_options=arrow_json.ReadOptions(block_size=max(len(ndjson), 1 << 20),
                                            use_threads=False),
        parse_options=arrow_json.ParseOptions(explicit_schema=schema,
                                              unexpected_field_behavior="ignore"))
    # The reader refuses a null id but marks every column nullable: the schema's own marks.
    return table.cast(schema)


def stream(ndjson: Iterable[bytes], schema: Any,
           rows_per_group: int | None = None) -> Iterator[bytes]:
    """A Parquet file of the NDJSON chunks' records, sent a row group (`ROW_GROUP_ROWS`
    records unless told) at a time.

    The file's first bytes go out with the first row group; the footer, which says where every
    row group is, with the last. No records: a file with the schema and no row groups.
    """
    rows_per_group = rows_per_group or ROW_GROUP_ROWS
    pa = _arrow()
    import pyarrow.parquet as arrow_parquet  # type: ignore[import-untyped]  # noqa: PLC0415

    sink = _Sink()
    writer = arrow_parquet.ParquetWriter(sink, schema, compression=COMPRESSION)
    pending: list[Any] = []
    held = 0
    try:
        for chunk in ndjson:
            if not chunk.strip():
                continue
            table = columns(chunk, schema)
            pending.append(table)
            held += table.num_rows
            while held >= rows_per_group:
                whole = pa.concat_tables(pending)
                writer.write_table(whole.slice(0, rows_per_group), row_group_size=rows_per_group)
                rest = whole.slice(rows_per_group)
                pending, held = ([rest] if rest.num_rows else []), rest.num_rows
                yield sink.take()
        if held:
            writer.write_table(pa.concat_tables(pending), row_group_size=rows_per_group)
    finally:
        writer.close()
        pending = []
        # What the pull held goes back to the system, not kept by Arrow for a next pull.
        pa.default_memory_pool().release_unused()
    yield sink.take()
