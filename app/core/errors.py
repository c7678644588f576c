"""One domain error hierarchy: problem documents in the API, pages or inline messages on the web."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class FieldError:
    """One thing wrong with one field: a JSON Pointer into the body, a stable code, and advice."""

    pointer: str
    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"pointer": self.pointer, "code": self.code, "message": self.message}


class DomainError(Exception):
    status = 400
    type = "/problems/bad-request"
    title = "The request could not be understood"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status,
                                "detail": self.detail}
        body.update(self.extra)
        return body


class BadRequest(DomainError):
    pass


class Unauthorized(DomainError):
    status = 401
    type = "/problems/unauthorized"
    title = "A valid API key or sign-in is needed"
    sign_in_path = "/login"


class SecondFactorRequired(Unauthorized):
    title = "Enter the code from your authenticator app to continue"
    sign_in_path = "/login/two-factor"


class Forbidden(DomainError):
    status = 403
    type = "/problems/forbidden"
    title = "You are not allowed to do this"


class NotFound(DomainError):
    status = 404
    type = "/problems/not-found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    type = "/problems/conflict"
    title = "This conflicts with a record that already exists"


class PreconditionFailed(DomainError):
    status = 412
    type = "/problems/stale"
    title = "The record has changed since you read it"


class PayloadTooLarge(DomainError):
    status = 413
    type = "/problems/too-large"
    title = "The request body is too large"


class UnsupportedMediaType(DomainError):
    status = 415
    type = "/problems/unsupported-media-type"
    title = "The request body must be JSON"


class PreconditionRequired(DomainError):
    status = 428
    type = "/problems/precondition-required"
    title = "An If-Match header is needed to change a record"


class TooManyRequests(DomainError):
    status = 429
    type = "/problems/too-many-requests"
    title = "Too many attempts"


class ServiceBusy(DomainError):
    status = 503
    type = "/problems/busy"
    title = "The service is busy"


class ValidationFailed(DomainError):
    status = 422
    type = "/problems/validation"
    title = "The interview is not valid"

    def __init__(self, errors: list[FieldError], title: str | None = None) -> None:
        count = len(errors)
        super().__init__(f"{count} field{'s' if count != 1 else ''} need{'s' if count == 1 else ''}"
                         " attention")
        if title:
            self.title = title
        self.errors = errors

    def problem(self) -> dict[str, Any]:
        body = super().problem()
        body["errors"] = [e.to_json() for e in self.errors]
        return body
