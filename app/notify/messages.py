"""What each email says: built from links, counts and dates only, so that no message can name
a child, give a case id or a date of birth, whatever the record holds. The reader signs in,
through the link, to see more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Final
from uuid import UUID

from app.core.settings import get_settings
from app.notify.models import DAILY_DIGEST, HOST_AUTHORITY, RECORD_RETURNED

# Where links point when RHI_PUBLIC_URL is not set (dev and test): `make run`'s address.
DEV_BASE_URL: Final = "http://127.0.0.1:8000"
FOOTER: Final = ("This email never names a child: sign in to the Return Interview Service to "
                 "see more.\nYou get it because this address is set for your organisation in "
                 "the service; your administrator can change it.")


@dataclass(frozen=True)
class Message:
    """An email's words: the subject, the plain-text body (which holds the link), the link
    alone, and the counts and dates a Notify template may show."""

    kind: str
    subject: str
    body: str
    link: str
    details: dict[str, str | int] = field(default_factory=dict)

    def personalisation(self) -> dict[str, str | int]:
        """What a Notify template's placeholders are filled with (docs/notifications.md)."""
        return {"subject": self.subject, "body": self.body, "link": self.link, **self.details}


def service_url(path: str) -> str:
    """An address in the service, on RHI_PUBLIC_URL (never a request's Host header)."""
    base = get_settings().public_url.strip().rstrip("/") or DEV_BASE_URL
    return f"{base}{path}"


def _day(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def host_authority(interview_id: UUID) -> Message:
    """To the authority a child is placed in by another: a record was submitted."""
    link = service_url(f"/placed-in-our-area/{interview_id}")
    subject = "A return interview was recorded for a child placed in your area"
    body = (f"{subject}.\n\n"
            "The child's responsible authority placed them in your area. Sign in to see what "
            "it shares with you as the host authority: the episode, the places and the "
            f"risks.\n\n{link}\n\n{FOOTER}\n")
    return Message(HOST_AUTHORITY, subject, body, link)


def record_returned(interview_id: UUID) -> Message:
    """To the interviewer who started a record: a manager returned it."""
    link = service_url(f"/interviews/{interview_id}")
    subject = "A return interview record was returned to you by a manager"
    body = ("A manager returned a return interview record you started, with a comment saying "
            "what to change. Sign in to read the comment, change the record and submit it "
            f"again.\n\n{link}\n\n{FOOTER}\n")
    return Message(RECORD_RETURNED, subject, body, link)


def daily_digest(organisation_name: str, day: date, until: date, *, findings: int,
                 records: int, waiting: int) -> Message:
    """To a responsible authority's managers, once a day: practice standard deadlines about
    to pass on its records, and returns whose 72 hours end soon with no offer yet."""
    queue, work_list = service_url("/"), service_url("/episodes")
    lines: list[str] = [f"For {organisation_name}, on {_day(day)}:", ""]
    if findings:
        lines += [f"{_count(findings, 'practice standard deadline')} on "
                  f"{_count(records, 'record')} "
                  f"{'falls' if findings == 1 else 'fall'} due by the end of {_day(until)}. "
                  "See them in your queue:",
                  queue, ""]
    if waiting:
        lines += [f"{_count(waiting, 'return')} {'is' if waiting == 1 else 'are'} waiting "
                  "for the offer of a return interview, and the 72 hours end within the "
                  "next 24 hours. See them in the work list:", work_list, ""]
    subject = f"Return interviews: deadlines and offers due, {_day(day)}"
    return Message(DAILY_DIGEST, subject, "\n".join([*lines, FOOTER]) + "\n",
                   queue if findings else work_list,
                   {"day": day.isoformat(), "until": until.isoformat(), "findings": findings,
                    "records": records, "waiting": waiting, "queue_link": queue,
                    "work_list_link": work_list})


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" + ("" if n == 1 else "s")
