"""The manager's queue narrows to a standard, an organisation or exploitation cases; a value
that is not one of the choices is said beside its field and not applied."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_org, make_user, record, sign_in


def _queue(client: TestClient, **params: str) -> str:
    """The oversight queue's part of the home page (which also lists recent records)."""
    answer = client.get("/", params=params)
    assert answer.status_code == 200, answer.text[:300]
    return answer.text.split('id="oversight"', 1)[1].split("<h2", 1)[0]


def test_the_queue_is_filtered_by_standard_organisation_and_exploitation(
        client: TestClient, db: Session) -> None:
    make_org(db, "803")
    make_org(db, "801")
    exploited = record(db, "803", child__given_name="Exploita",
                       interview__risk_indicators=["county_lines"])
    plain = record(db, "803", child__given_name="Plainly")
    # Another organisation's record of a child of 803: the responsible authority sees it.
    theirs = record(db, "801", child__given_name="Neighbouria")
    db.commit()
    sign_in(client, make_user(db, "manager"))

    everything = _queue(client)
    for made in (exploited, plain, theirs):
        assert f"/interviews/{made.id}" in everything
    assert "Filter the queue" in everything

    only_exploitation = _queue(client, exploitation="1")
    assert f"/interviews/{exploited.id}" in only_exploitation
    assert f"/interviews/{plain.id}" not in only_exploitation
    assert "Exploitation: sign-off needed" in only_exploitation

    by_standard = _queue(client, standard="exploitation-response")
    assert f"/interviews/{exploited.id}" in by_standard
    assert f"/interviews/{plain.id}" not in by_standard

    by_org = _queue(client, recorded_by="801")
    assert f"/interviews/{theirs.id}" in by_org
    assert f"/interviews/{plain.id}" not in by_org
    assert "Clear filters" in by_org

    nothing = _queue(client, recorded_by="999")
    assert "Nothing in the queue matches these filters" in nothing


def test_a_value_that_is_not_a_choice_is_said_beside_its_field(
        client: TestClient, db: Session) -> None:
    make_org(db, "803")
    plain = record(db, "803")
    db.commit()
    sign_in(client, make_user(db, "manager"))
    page = _queue(client, standard="no-such-standard", recorded_by="=cmd|x",
                  exploitation="yes\x00")
    assert 'id="filter-standard-error"' in page and "Choose a standard" in page
    assert 'id="filter-recorded_by-error"' in page
    assert 'id="filter-exploitation-error"' in page
    assert f"/interviews/{plain.id}" in page  # nothing was applied
