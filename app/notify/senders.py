"""Two ways to deliver an email, behind one small interface: an SMTP relay (`smtplib`), or
GOV.UK Notify (its Python client). `configured()` gives the one the settings name, or None.

A sender answers with an `Outcome`: sent; not sent and safe to try again (nothing was handed
over, or the other side said "try later"); or failed, not to be tried again (refused for good,
or handed over with no answer, when trying again could deliver it twice: the outbox sends a
message at most once). An outcome's error is the service's own words and a status code, never
what a server said (which can echo an address).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Final, Protocol
from uuid import UUID

from notifications_python_client.errors import APIError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from app.core.settings import Settings, get_settings
from app.core.types import utcnow
from app.notify.models import DAILY_DIGEST, HOST_AUTHORITY, RECORD_RETURNED

TIMEOUT_SECONDS: Final = 10.0


@dataclass(frozen=True)
class Outgoing:
    """One message as a sender needs it (read from its outbox row)."""

    id: UUID
    kind: str
    recipient: str
    subject: str
    body: str
    personalisation: dict[str, str | int] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    sent: bool
    retry: bool = False  # not sent, and safe to send again later
    error: str | None = None


SENT: Final = Outcome(sent=True)


def _again(error: str) -> Outcome:
    return Outcome(sent=False, retry=True, error=error)


def _failed(error: str) -> Outcome:
    return Outcome(sent=False, retry=False, error=error)


class Sender(Protocol):
    name: str

    def send(self, message: Outgoing) -> Outcome:
        """Deliver one message; never raises for a failure to deliver."""


def _refused(what: str, code: int) -> Outcome:
    # SMTP: 4xx is "not now", 5xx is "never".
    return _again(f"{what} ({code})") if 400 <= code < 500 else _failed(f"{what} ({code})")


class SmtpSender:
    """Through an SMTP relay, in steps, so that a failure is known to be before the message
    was handed over (tried again) or after (not tried again: it may have arrived)."""

    name = "smtp"

    def __init__(self, host: str, port: int, sender: str, *, starttls: bool = False,
                 user: str = "", password: str = "",
                 timeout: float = TIMEOUT_SECONDS) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.starttls, self.user, self.password = starttls, user, password
        self.timeout = timeout

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage(policy=SMTP)
        domain = self.sender.rpartition("@")[2] or "rhi.invalid"
        email["From"] = self.sender
        email["To"] = message.recipient
        email["Subject"] = message.subject
        email["Date"] = format_datetime(utcnow())
        email["Message-ID"] = f"<{message.id}@{domain}>"
        email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
        email.set_content(message.body)
        return email

    def send(self, message: Outgoing) -> Outcome:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (OSError, smtplib.SMTPException):
            return _again("could not connect to the mail server")
        try:
            return self._deliver(smtp, message)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()

    def _deliver(self, smtp: smtplib.SMTP, message: Outgoing) -> Outcome:
        try:
            smtp.ehlo()
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if self.user:
                smtp.login(self.user, self.password)
            code, _ = smtp.mail(self.sender)
            if code != 250:
                return _refused("the mail server refused the sender", code)
            code, _ = smtp.rcpt(message.recipient)
            if code not in (250, 251):
                return _refused("the mail server refused the recipient", code)
        except smtplib.SMTPAuthenticationError:
            return _failed("the mail server refused the user name or password")
        except smtplib.SMTPNotSupportedError:
            return _failed("the mail server does not offer STARTTLS or login")
        except (OSError, smtplib.SMTPException):
            return _again("the connection to the mail server failed before the message was "
                          "handed over")
        try:
            code, _ = smtp.data(self.compose(message).as_bytes())
        except smtplib.SMTPDataError as refused:
            return _refused("the mail server refused the message", refused.smtp_code)
        except (OSError, smtplib.SMTPException):
            return _failed("the connection was lost while the message was handed over: not "
                           "sent again, in case it arrived")
        if code != 250:
            return _refused("the mail server refused the message", code)
        return SENT


def _never_connected(error: BaseException) -> bool:
    """Whether the request failed before a connection was made (so nothing was sent)."""
    seen: set[int] = set()
    waiting: list[BaseException] = [error]
    while waiting:
        problem = waiting.pop()
        if id(problem) in seen:
            continue
        seen.add(id(problem))
        if isinstance(problem, NewConnectionError | ConnectTimeoutError):
            return True
        waiting += [found for found in (problem.__cause__, problem.__context__,
                                        getattr(problem, "reason", None), *problem.args)
                    if isinstance(found, BaseException)]
    return False


class NotifySender:
    """Through GOV.UK Notify's API: a template per kind of message, filled with the
    message's personalisation (docs/notifications.md), and the outbox row's id as the
    reference."""

    name = "notify"

    def __init__(self, api_key: str, templates: Mapping[str, str], *,
                 base_url: str | None = None, timeout: float = TIMEOUT_SECONDS) -> None:
        self.api_key, self.templates = api_key, dict(templates)
        self.base_url, self.timeout = base_url, timeout

    def send(self, message: Outgoing) -> Outcome:
        template = self.templates.get(message.kind, "").strip()
        if not template:
            return _failed(f"no Notify template is set for {message.kind} messages")
        # A client each time: it is not thread-safe, and the after-request sender is a thread.
        # The client has no annotations (hence the ignores); it posts to /v2/notifications/email.
        client = (NotificationsAPIClient(  # type: ignore[no-untyped-call]
            self.api_key, base_url=self.base_url, timeout=self.timeout) if self.base_url
            else NotificationsAPIClient(  # type: ignore[no-untyped-call]
                self.api_key, timeout=self.timeout))
        try:
            client.send_email_notification(  # type: ignore[no-untyped-call]
                email_address=message.recipient, template_id=template,
                personalisation=message.personalisation, reference=str(message.id))
        except InvalidResponse:
            return SENT  # accepted (2xx), with an answer that is not JSON
        except APIError as refused:
            if refused.response is None:
                if _never_connected(refused):
                    return _again("could not reach GOV.UK Notify")
                return _failed("the connection to GOV.UK Notify was lost after the message "
                               "was sent: not sent again, in case it arrived")
            status = refused.status_code
            if status == 429 or status >= 500:
                return _again(f"GOV.UK Notify could not take the message now ({status})")
            return _failed(f"GOV.UK Notify refused the message ({status})")
        finally:
            client.request_session.close()
        return SENT


def configured(settings: Settings | None = None) -> Sender | None:
    """The sender the settings name: Notify when its key is set, else SMTP when its host is,
    else None (messages are kept as "not sent: no email configured")."""
    settings = settings or get_settings()
    if key := settings.notify_api_key.get_secret_value():
        return NotifySender(key, {
            HOST_AUTHORITY: settings.notify_template_host_authority,
            RECORD_RETURNED: settings.notify_template_record_returned,
            DAILY_DIGEST: settings.notify_template_daily_digest,
        }, base_url=settings.notify_base_url or None)
    if settings.smtp_host:
        return SmtpSender(settings.smtp_host, settings.smtp_port, settings.smtp_from.strip(),
                          starttls=settings.smtp_starttls, user=settings.smtp_user,
                          password=settings.smtp_password.get_secret_value())
    return None


def is_configured(settings: Settings | None = None) -> bool:
    settings = settings or get_settings()
    return bool(settings.notify_api_key.get_secret_value() or settings.smtp_host)
