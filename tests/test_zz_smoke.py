from tests.builders import *
def test_smoke(client, db):
    make_org(db, "801", "Test Council B")
    u = make_person(db)
    csrf = sign_in(client, u)
    r = client.post("/interviews/new", data={"csrf_token": csrf}, follow_redirects=False)
    print(r.status_code, r.headers.get("location"), r.text[:300])
    loc = r.headers["location"]
    r = client.get(loc); print(r.status_code); 
    assert r.status_code == 200, r.text[:2000]
    r = client.post(loc, data={"csrf_token": csrf, "child-given_name": "Alex", "child-date_of_birth-day": "31", "child-date_of_birth-month": "2", "child-date_of_birth-year": "2011"}, follow_redirects=False)
    print(r.status_code); import re; print(re.findall(r'govuk-error-summary__list.*?</ul>', r.text, re.S))
    print(re.search(r'<title>(.*?)</title>', r.text, re.S).group(1))
    r = client.post(loc, data={"csrf_token": csrf, "child-given_name": "Alex"}, headers={"HX-Request": "true"})
    print(r.status_code, r.text)
    base = loc.rsplit("/",1)[0]
    for s in ["episodes","offer","interview","voice","actions","check"]:
        r = client.get(f"{base}/{s}"); assert r.status_code == 200, (s, r.text[:3000])
    r = client.post(f"{base}/episodes", data={"csrf_token": csrf, "episodes-count": "0", "action": "add-episodes"}, follow_redirects=False)
    print(r.status_code, r.headers.get("location"))
    r = client.get(f"{base}/episodes"); assert "Episode 1" in r.text
    r = client.get(base); assert r.status_code == 200, r.text[:3000]
