"""Sign-in failures spread over two servers (three processes) lock an account and throttle an
address exactly as they do on one: the counts live in the database, not in a process. And an
authenticator's code sent to both at once works once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle

import httpx
import pyotp
import pytest
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.service import ACCOUNT_LOCK_AFTER, ADDRESS_FAILURE_LIMIT
from app.core.db import make_engine
from tests.durability import server as real
from tests.scale.servers import KINDS, TwoServers, two_servers

pytestmark = pytest.mark.slow

PASSWORD = "a long synthetic passphrase"


@pytest.fixture(scope="module", params=KINDS)
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[TwoServers]:
    with two_servers(request.param, tmp_path_factory.mktemp("servers")) as both:
        engine = make_engine(both.url)
        try:
            with Session(engine) as session:
                accounts.create_organisation(session, "803", "Synthetic Council",
                                             "local_authority")
                for name in ("one", "two", "three"):
                    accounts.create_user(session, f"{name}@example.org", name.title(), "803",
                                         "analyst", PASSWORD)
                # An interviewer signs in with a second factor.
                accounts.create_user(session, "four@example.org", "Four", "803", "interviewer",
                                     PASSWORD)
                session.commit()
        finally:
            engine.dispose()
        yield both


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


def password_step(client: httpx.Client, email: str, password: str) -> httpx.Response:
    form = client.get("/login")
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": hidden(form.text, "csrf_token"),
                                       "next": "/"})


def sign_in(server: real.Server, email: str, password: str, address: str) -> int:
    """The status of a sign-in from `address` (as a trusted proxy tells the server)."""
    with httpx.Client(base_url=server.base_url, timeout=60,
                      headers={"X-Forwarded-For": address}) as client:
        return password_step(client, email, password).status_code


def test_wrong_passwords_on_either_server_lock_the_account_at_the_same_count(
        servers: TwoServers) -> None:
    turns = cycle(servers.both)
    for _ in range(ACCOUNT_LOCK_AFTER - 1):
        assert sign_in(next(turns), "one@example.org", "wrong", "203.0.113.1") == 422
    assert sign_in(next(turns), "one@example.org", PASSWORD, "203.0.113.1") == 303  # not yet
    for _ in range(ACCOUNT_LOCK_AFTER):
        assert sign_in(next(turns), "one@example.org", "wrong", "203.0.113.1") == 422
    for server in servers.both:  # locked everywhere: even the right password is refused
        assert sign_in(server, "one@example.org", PASSWORD, "203.0.113.1") == 422


def test_wrong_passwords_sent_to_both_servers_at_once_all_count(servers: TwoServers) -> None:
    targets = [servers.both[n % 2] for n in range(ACCOUNT_LOCK_AFTER)]
    with ThreadPoolExecutor(len(targets)) as pool:
        answers = list(pool.map(
            lambda server: sign_in(server, "two@example.org", "wrong", "203.0.113.2"), targets))
    assert answers == [422] * ACCOUNT_LOCK_AFTER
    for server in servers.both:
        assert sign_in(server, "two@example.org", PASSWORD, "203.0.113.2") == 422


def test_failures_from_one_address_on_either_server_throttle_it_at_the_same_count(
        servers: TwoServers) -> None:
    turns = cycle(servers.both)
    for n in range(ADDRESS_FAILURE_LIMIT):
        assert sign_in(next(turns), f"nobody{n}@example.org", "wrong", "203.0.113.3") == 422
    for server in servers.both:  # throttled everywhere, even with the right password
        assert sign_in(server, "three@example.org", PASSWORD, "203.0.113.3") == 429
    # Another address is not: the count is the address's, wherever it was made.
    assert sign_in(servers.one, "three@example.org", PASSWORD, "203.0.113.4") == 303


def test_an_authenticator_code_sent_to_both_servers_at_once_works_once(
        servers: TwoServers) -> None:
    clients = [httpx.Client(base_url=server.base_url, timeout=60,
                            headers={"X-Forwarded-For": "203.0.113.5"})
               for server in servers.both * 3]
    try:
        first = clients[0]
        assert password_step(first, "four@example.org", PASSWORD).status_code == 303
        enrolling = first.get("/login/two-factor").text
        secret = re.search(r'data-secret="([A-Z2-7]+)"', enrolling)
        assert secret, enrolling
        totp = pyotp.TOTP(secret.group(1))
        enrolled = first.post("/login/two-factor", data={
            "csrf_token": hidden(enrolling, "csrf_token"), "next": "/",
            "enrol_token": hidden(enrolling, "enrol_token"), "code": totp.now()})
        assert enrolled.status_code == 200  # the recovery codes
        forms = []
        for client in clients:  # half signed in, three times on each server
            client.cookies.clear()
            assert password_step(client, "four@example.org", PASSWORD).status_code == 303
            forms.append(client.get("/login/two-factor").text)
        # The next code (accepted a step early, for a phone's clock), not yet used.
        code = totp.at(time.time() + totp.interval)
        start = threading.Barrier(len(clients), timeout=60)

        def send(pair: tuple[httpx.Client, str]) -> int:
            client, form = pair
            start.wait()
            return client.post("/login/two-factor", data={
                "csrf_token": hidden(form, "csrf_token"), "next": "/", "code": code}
            ).status_code

        with ThreadPoolExecutor(len(clients)) as pool:
            answers = sorted(pool.map(send, zip(clients, forms, strict=True)))
    finally:
        for client in clients:
            client.close()
    assert answers == [303] + [422] * (len(clients) - 1)
