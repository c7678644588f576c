import time
from tests.api.builders import make_document, make_org
from app.interviews.service import Actor, create_from_api

def test_timing(db):
    make_org(db, "803"); make_org(db, "801")
    actor = Actor(label="key:x", organisation_code="803")
    docs = [make_document() for _ in range(300)]
    t = time.perf_counter()
    for doc in docs:
        create_from_api(db, actor, doc)
    db.flush()
    print("per record ms", (time.perf_counter() - t) / 300 * 1000)
