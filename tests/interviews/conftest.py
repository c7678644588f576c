"""The interview form's fixtures: an interviewer of organisation 803 signed in."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_org, make_user, sign_in


@pytest.fixture
def csrf(client: TestClient, db: Session) -> str:
    make_org(db, "801")
    return sign_in(client, make_user(db, "interviewer", org="803"))
