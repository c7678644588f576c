"""The service navigation: the links a signed-in person's role may use, the one place they are
decided. layout.html draws them with the GOV.UK service navigation component on every page.

The link of the page you are on is `current` (`aria-current="page"`); on a page within a link's
part of the service (an episode, under "Returns and missing episodes") it is `active`
(`aria-current="true"`). Nobody signed in, or signed in without their second factor yet, gets
no links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Link:
    href: str
    text: str
    # Paths under this link's part of the service, besides its own `href + "/"`.
    within: tuple[str, ...] = ()


YOUR_WORK: Final = Link("/", "Your work")
MINE: Final = Link("/episodes/mine", "Returns allocated to you")
START: Final = Link("/interviews/new", "Start an interview")
SEARCH: Final = Link("/search", "Search", within=("/children/",))
EPISODES: Final = Link("/episodes", "Returns and missing episodes",
                       within=("/children/differences",))
PLACED: Final = Link("/placed-in-our-area", "Children placed in our area")
REPORT: Final = Link("/reports/quarterly", "Quarterly report")
AUDIT: Final = Link("/audit", "Audit log")

LINKS: Final[dict[str, tuple[Link, ...]]] = {
    "interviewer": (YOUR_WORK, MINE, START, SEARCH, PLACED),
    "placement_team": (YOUR_WORK, MINE, START, SEARCH, PLACED),
    "manager": (YOUR_WORK, EPISODES, SEARCH, PLACED, REPORT, AUDIT),
    "analyst": (REPORT,),
    "admin": (Link("/", "Administration"), Link("/admin/people", "People"),
              Link("/admin/api-keys", "API keys"), Link("/admin/organisations", "Organisations"),
              AUDIT),
}


def _reach(link: Link, path: str) -> int:
    """How closely `path` falls within the link's part of the service (0: not at all)."""
    prefixes = (*((link.href + "/",) if link.href != "/" else ()), *link.within)
    return max((len(prefix) for prefix in prefixes if path.startswith(prefix)), default=0)


def service_navigation(user: object, path: str) -> list[dict[str, object]]:
    """The navigation items for `govukServiceNavigation`: `user` is the page's `current_user`
    (anything with `role` and `second_factor_pending`, or None), `path` the request's path."""
    if user is None or getattr(user, "second_factor_pending", False):
        return []
    links = LINKS.get(str(getattr(user, "role", "")), ())
    current = next((link for link in links if link.href == path), None)
    reach = {link.href: _reach(link, path) for link in links}
    closest = max(links, key=lambda link: reach[link.href], default=None)
    active = closest if current is None and closest and reach[closest.href] else None
    return [{"href": link.href, "text": link.text, "current": link is current,
             "active": link is active} for link in links]
