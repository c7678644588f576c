"""The single Jinja2 environment used for every HTML page.

Templates are loaded from ``<project root>/templates`` first, then from the
govuk-frontend-jinja package under the ``govuk_frontend_jinja/`` prefix, so
project templates import the GOV.UK macros like this::

    {% from "govuk_frontend_jinja/components/input/macro.html" import govukInput %}

Globals available in every template:

* ``govuk_frontend_version``: version of the vendored GOV.UK Frontend
  (assets in ``static/govuk-frontend-<version>/``);
* ``htmx_file``: file name of the vendored htmx build in ``static/``;
* ``static_url(path)``: ``"/static/" + path``;
* ``service_navigation(current_user, path)``: the service navigation's links for the
  signed-in person's role (``app/core/navigation.py``);
* ``url_for``: added by Starlette.

Filters:

* ``london``: a UTC instant as "2 March 2026 at 2:05pm" in Europe/London;
* ``london_time``: a UTC instant as "14:02" in Europe/London;
* ``seconds_from_now``: whole seconds until a UTC instant (the session's timeout warning).

When ``scripts/vendor-assets.sh`` vendors new versions, update the version
constants below (and the govuk-frontend import path in ``static/app/rhi.js``).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, PrefixLoader
from jinja2.filters import do_indent
from markupsafe import Markup

from app.core.london import LONDON
from app.core.navigation import service_navigation
from app.core.settings import get_settings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = PROJECT_ROOT / "templates"
STATIC_DIR = PROJECT_ROOT / "static"

GOVUK_FRONTEND_VERSION = "6.3.0"
HTMX_VERSION = "2.0.11"
HTMX_FILE = f"htmx-{HTMX_VERSION}.min.js"
SWAGGER_UI_VERSION = "5.35.0"
SWAGGER_UI_DIR = f"swagger-ui-{SWAGGER_UI_VERSION}"  # under static/: the API docs page
AXE_CORE_VERSION = "4.14.1"
AXE_CORE_PATH = f"axe-core-{AXE_CORE_VERSION}/axe.min.js"  # relative to static/; tests only


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    """The URL of a file under ``static/``, with a hash of its content in the query.

    Static files are cached for a year as immutable, so a changed file must get a new URL:
    the vendored folders carry their version in the path, and the hash covers our own files.
    """
    clean = path.lstrip("/")
    try:
        digest = hashlib.sha256((STATIC_DIR / clean).read_bytes()).hexdigest()[:12]
    except OSError:
        return "/static/" + clean
    return f"/static/{clean}?v={digest}"


def _to_london(value: datetime | str) -> datetime:
    """Convert a UTC instant to Europe/London local time.

    Accepts an aware datetime, or an ISO 8601 string (``Z`` or an offset).
    Naive datetimes and strings without an offset are taken to be UTC, because
    some database drivers (SQLite) drop the time zone of stored UTC values.
    """
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        value = datetime.fromisoformat(text)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(LONDON)


def _clock_12h(local: datetime) -> str:
    """GOV.UK style 12-hour time: "2:05pm", "2pm", "midday", "midnight"."""
    if local.minute == 0:
        if local.hour == 0:
            return "midnight"
        if local.hour == 12:
            return "midday"
    hour = local.hour % 12 or 12
    suffix = "am" if local.hour < 12 else "pm"
    if local.minute == 0:
        return f"{hour}{suffix}"
    return f"{hour}:{local.minute:02d}{suffix}"


def format_london(value: datetime | str | None) -> str:
    """Format a UTC instant in Europe/London as "2 March 2026 at 2:05pm".

    Follows the GOV.UK style guide for times: "2pm" on the hour, "midday" and
    "midnight". Returns "" for ``None``.
    """
    if value is None:
        return ""
    local = _to_london(value)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year} at {_clock_12h(local)}"


def format_london_time(value: datetime | str | None) -> str:
    """Format a UTC instant as a 24-hour Europe/London time, e.g. "14:02"."""
    if value is None:
        return ""
    return _to_london(value).strftime("%H:%M")


def seconds_from_now(value: datetime) -> int:
    """Whole seconds from now until a UTC instant (0 when it has passed)."""
    return max(0, int((value - datetime.now(UTC)).total_seconds()))


def indent(value: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja's `indent` filter, the same output, without a Markup object per line.

    The GOV.UK macros indent every nested component's HTML, so a form section calls this
    thousands of times; on Markup, Jinja's own version escapes and wraps each line. The
    indentation is marked safe there anyway, so indenting the plain text and marking the result
    safe gives the same string.
    """
    if isinstance(value, Markup):
        # Safe already: the same text, with spaces (or the given, trusted, indentation) added.
        return Markup(do_indent(str(value), width, first, blank))  # noqa: S704  # nosec B704
    return do_indent(value, width, first, blank)


def _build_environment() -> Environment:
    loader = ChoiceLoader(
        [
            FileSystemLoader(TEMPLATES_DIR),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
        ]
    )
    # Templates are compiled once per process: no stat() of every template and imported macro
    # file on every render (restart the server to see an edited template, as for code).
    env = Environment(loader=loader, autoescape=True, auto_reload=False)
    env.globals.update(
        govuk_frontend_version=GOVUK_FRONTEND_VERSION,
        htmx_file=HTMX_FILE,
        static_url=static_url,
        service_navigation=service_navigation,
    )
    env.filters["indent"] = indent
    env.filters["london"] = format_london
    env.filters["london_time"] = format_london_time
    env.filters["seconds_from_now"] = seconds_from_now
    env.globals["session_warning_seconds"] = lambda: get_settings().session_warning_seconds
    return env


templates = Jinja2Templates(env=_build_environment())
