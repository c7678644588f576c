"""A real OpenID Connect provider on a local port, for the single sign-on tests:
`oidc-provider-mock` (a Flask app built on authlib's authorization server) served by werkzeug on a
thread, as the package's own `run_server_in_thread` does, with one addition: `answer_for`, which
makes the provider take this service's client id for another's, so the ID token it signs names
another audience (an app registration mixed up at the provider).

The provider answers any client id and secret, and signs ID tokens (RS256) whose `exp` is its
token lifetime after now: `running_provider(token_lifetime=timedelta(seconds=-300))` is a real
provider whose tokens have already expired.

Tests that use it need `PROVIDER_WARNINGS` (pytest runs with warnings as errors, and the mock
calls an authlib hook that authlib marks deprecated: in the provider's thread, that would be a
500 from the provider).
"""

from __future__ import annotations

import base64
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import werkzeug.serving

with warnings.catch_warnings():
    # The mock imports authlib.jose, which authlib marks deprecated (and authlib's first import
    # puts its own "always" filter in front: the "ignore" goes in front of that).
    import authlib.deprecate  # noqa: F401
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

PROVIDER_WARNINGS = pytest.mark.filterwarnings(
    "ignore:get_jwt_config.*:DeprecationWarning",
    "ignore:authlib.jose module is deprecated:DeprecationWarning",
)


@dataclass
class Swap:
    """WSGI middleware before the provider: while `answer_for` is set, the provider is told
    that the client it talks to is that one."""

    app: Any
    ours: str = ""
    answer_for: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.answer_for and self.ours:
            path = environ.get("PATH_INFO", "")
            if path == "/oauth2/authorize":
                environ["QUERY_STRING"] = environ.get("QUERY_STRING", "").replace(
                    f"client_id={quote(self.ours, safe='')}",
                    f"client_id={quote(self.answer_for, safe='')}")
            elif path == "/oauth2/token":
                basic = environ.get("HTTP_AUTHORIZATION", "")
                if basic.startswith("Basic "):
                    _, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                    text = f"{self.answer_for}:{secret}".encode()
                    environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(text).decode()
        return self.app(environ, start_response)


@dataclass
class Provider:
    issuer: str
    swap: Swap
    users: set[str] = field(default_factory=set)

    def add_user(self, sub: str, **claims: Any) -> None:
        """The person `sub` at the provider, with these claims in their ID token."""
        answer = httpx.put(f"{self.issuer}/users/{quote(sub, safe='')}", json=claims)
        assert answer.status_code == 204, answer.text

    def authorize(self, authorization_url: str, sub: str) -> str:
        """The person signs in at the provider (its form, as a browser posts it): the address
        it sends the browser back to."""
        answer = httpx.post(authorization_url, data={"sub": sub})
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["location"]

    def deny(self, authorization_url: str) -> str:
        """The person refuses at the provider: where it sends the browser back to."""
        answer = httpx.post(authorization_url, data={"action": "deny"})
        assert answer.status_code == 302, answer.text[:500]
        return answer.headers["location"]


@contextmanager
def running_provider(token_lifetime: timedelta = timedelta(hours=1)) -> Iterator[Provider]:
    """A provider listening on a free port of localhost until the block ends."""
    flask_app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=token_lifetime)
    swap = Swap(flask_app.wsgi_app)
    flask_app.wsgi_app = swap  # type: ignore[method-assign]
    server = werkzeug.serving.make_server("localhost", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield Provider(f"http://localhost:{server.server_port}", swap)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
