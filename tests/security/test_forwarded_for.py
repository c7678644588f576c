"""A client cannot choose the address the service sees: `X-Forwarded-For` is believed only from
the proxies `RHI_TRUSTED_PROXIES` names (none by default), so the sign-in throttle and the audit
log see the real address. Against a real `rhi serve`, as a client on the same machine as the
server (where uvicorn, left to itself, would believe any such header)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlmodel import col

from app.audit.models import AuditEntry
from tests.durability.scratch import scratch_database
from tests.durability.server import running

pytestmark = pytest.mark.slow
HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[^"]+)" value="(?P<value>[^"]*)">')


def test_a_forged_forwarded_for_neither_escapes_the_throttle_nor_reaches_the_audit_log(
        tmp_path: Path) -> None:
    with scratch_database("rhi_xff") as url, running(url, tmp_path / "serve.log") as server, \
            httpx.Client(base_url=server.base_url, timeout=30) as client:
        statuses = []
        for attempt in range(22):
            page = client.get("/login")
            fields = {m["name"]: m["value"] for m in HIDDEN.finditer(page.text)}
            answer = client.post("/login", data={
                **fields, "email": "nobody@example.org", "password": "not the password"},
                headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"})
            statuses.append(answer.status_code)
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                addresses = set(conn.execute(select(col(AuditEntry.address)).where(
                    col(AuditEntry.action) == "sign_in_failed")).scalars())
        finally:
            engine.dispose()

    assert statuses[:20] == [422] * 20
    assert statuses[20:] == [429, 429]  # the 21st try from one address is throttled
    assert addresses == {"127.0.0.1"}
