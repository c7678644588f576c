"""The placement team's home lists its authority's children placed out of area, each once with
the latest record, and nothing of another authority's children."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_org, make_user, record, sign_in


def test_the_placement_team_sees_its_children_placed_elsewhere(client: TestClient,
                                                               db: Session) -> None:
    make_org(db, "801")
    make_org(db, "802")
    away = record(db, "801", child__placement_authority="801", child__given_name="Alys",
                  child__family_name="Away")
    again = record(db, "801", child__local_id=away.document["child"]["local_id"],
                   child__placement_authority="801", child__given_name="Alys",
                   child__family_name="Away", episodes__0__started_at="2026-02-10T18:00:00Z",
                   episodes__0__returned_at="2026-02-11T09:00:00Z")
    record(db, "803", child__given_name="Hana", child__family_name="Home")
    record(db, "801", child__responsible_authority="802", child__placement_authority="801",
           child__given_name="Other", child__family_name="Authority")
    sign_in(client, make_user(db, "placement_team", org="803"))

    page = client.get("/").text
    placed = page.split('id="placed"')[1].split('id="drafts"')[0]

    assert "Alys Away" in placed and placed.count("Alys Away") == 1
    assert f"/interviews/{again.id}" in placed  # the latest record of the child
    assert "Hana Home" not in placed
    assert "Other Authority" not in page
