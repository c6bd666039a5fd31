"""The application error type and its one shape.

Services raise `ServiceError` (or `ValidationFailed` for field errors). Views turn it
into a message on the page; the API turns it into
``{"error": {"code": ..., "message": ..., "fields": {field: [messages]}}}``.
Messages are Chinese, written for the person who made the mistake.
"""

from __future__ import annotations

from collections.abc import Mapping


class ServiceError(Exception):
    """A request that the rules refuse. Carries a code, a Chinese message and field errors."""

    status = 400
    code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: Mapping[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields: dict[str, list[str]] = {k: list(v) for k, v in (fields or {}).items()}

    def as_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "fields": self.fields}}


class ValidationFailed(ServiceError):
    code = "validation_failed"

    @classmethod
    def of(cls, field: str, message: str) -> ValidationFailed:
        return cls(message, fields={field: [message]})


class PermissionDenied(ServiceError):
    status = 403
    code = "permission_denied"

    def __init__(self, message: str = "您没有权限执行此操作") -> None:
        super().__init__(message)


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, message: str = "对象不存在或不在您的权限范围内") -> None:
        super().__init__(message)


class Conflict(ServiceError):
    status = 409
    code = "conflict"
