"""Signed checkpoints of the audit chain, kept outside its table.

A hash chain shows an entry changed, or removed from the middle; it cannot show entries cut off
its end, or the whole table emptied or rebuilt. A checkpoint records how many entries there
were, the last one's id and its hash, signed (HMAC-SHA256) with RHI_AUDIT_KEY, one JSON line
appended to a file (RHI_AUDIT_CHECKPOINT_FILE; by default in var/, named after the database;
put it on another store than the database's). `rhi audit checkpoint` writes one (run it from a
timer), and so does every `rhi audit verify` that passes; `verify` checks the log against every
checkpoint: the entry each names must be there, with its hash, and as many entries up to it.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path

import orjson
from sqlalchemy.orm import Session

from app.audit.service import ChainProblem, Verification, audit_key
from app.core.settings import VAR_DIR, get_settings
from app.core.types import utcnow


@dataclass(frozen=True)
class Checkpoint:
    count: int
    last_id: int | None
    head: str
    at: str


def path_for(session: Session) -> Path:
    configured = get_settings().audit_checkpoint_file
    if configured:
        return Path(configured)
    return default_path(session.get_bind().engine.url.render_as_string(hide_password=True))


def default_path(database_url: str) -> Path:
    """The checkpoint file of a database when none is configured: var/, named after it."""
    name = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return VAR_DIR / f"audit-checkpoints-{name}.jsonl"


def _signature(body: bytes) -> str:
    return hmac.new(audit_key(), b"audit-checkpoint:" + body, hashlib.sha256).hexdigest()


def append(path: Path, verification: Verification) -> Checkpoint:
    """Add a checkpoint of a chain just verified (flushed to disk before it returns)."""
    checkpoint = Checkpoint(count=verification.count, last_id=verification.last_id,
                            head=verification.last_hash,
                            at=utcnow().isoformat().replace("+00:00", "Z"))
    body = orjson.dumps({"count": checkpoint.count, "last_id": checkpoint.last_id,
                         "head": checkpoint.head, "at": checkpoint.at},
                        option=orjson.OPT_SORT_KEYS)
    line = orjson.dumps({"checkpoint": orjson.Fragment(body), "signature": _signature(body)})
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as file:
        file.write(line + b"\n")
        file.flush()
        os.fsync(file.fileno())
    return checkpoint


def read(path: Path) -> tuple[list[Checkpoint], list[str]]:
    """The checkpoints whose signature holds, and a problem for each line that does not."""
    if not path.exists():
        return [], []
    good: list[Checkpoint] = []
    problems: list[str] = []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            outer = orjson.loads(line)
            body = orjson.dumps(outer["checkpoint"], option=orjson.OPT_SORT_KEYS)
            fields = outer["checkpoint"]
            signed = hmac.compare_digest(_signature(body), str(outer["signature"]))
            checkpoint = Checkpoint(count=int(fields["count"]), last_id=fields["last_id"],
                                    head=str(fields["head"]), at=str(fields["at"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            problems.append(f"checkpoint line {number} cannot be read")
            continue
        if not signed:
            problems.append(f"checkpoint line {number} is not signed with the audit key")
            continue
        good.append(checkpoint)
    return good, problems


def check(checkpoints: list[Checkpoint], verification: Verification) -> list[ChainProblem]:
    """Where the log disagrees with a checkpoint: entries cut off, removed, or rewritten."""
    problems: list[ChainProblem] = []
    for checkpoint in checkpoints:
        if checkpoint.last_id is None:
            continue  # a checkpoint of an empty log
        found = verification.at_anchor.get(checkpoint.last_id)
        if found is None:
            problems.append(ChainProblem(
                checkpoint.last_id,
                f"missing: the checkpoint of {checkpoint.at} ends at this entry "
                f"({checkpoint.count} entries); the log has {verification.count}"))
        elif found[0] != checkpoint.count:
            problems.append(ChainProblem(
                checkpoint.last_id,
                f"the checkpoint of {checkpoint.at} counted {checkpoint.count} entries up to "
                f"here; the log has {found[0]}"))
        elif not hmac.compare_digest(found[1], checkpoint.head):
            problems.append(ChainProblem(
                checkpoint.last_id,
                f"this entry's hash is not the one the checkpoint of {checkpoint.at} recorded: "
                "the log was rewritten"))
    return problems
