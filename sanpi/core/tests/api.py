"""Test helpers for the JSON API: a client that speaks through the real HTTP layer with a token."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from sanpi.accounts import two_factor
from sanpi.accounts.services import api_token_create
from sanpi.accounts.tests.factories import totp_code

BASE = "/api/v1"


class ApiClient:
    """Django's test client with ``Authorization: Bearer <key>`` on every request."""

    def __init__(self, user=None, *, key: str | None = None) -> None:
        self.user = user
        self.client = Client()
        if key is None and user is not None:
            if two_factor.required_for(user):
                totp_code(user)  # enrolled, as its role must be before it has a token
            _, key = api_token_create(by=user, name="测试令牌")
        self.key = key

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    def get(self, path: str, params: dict[str, Any] | None = None):
        return self.client.get(BASE + path, params or {}, headers=self._headers())

    def post(self, path: str, data: Any = None, *, raw: bytes | str | None = None):
        body = raw if raw is not None else json.dumps(data)
        return self.client.post(
            BASE + path, body, content_type="application/json", headers=self._headers()
        )

    def patch(self, path: str, data: Any = None, *, raw: bytes | str | None = None):
        body = raw if raw is not None else json.dumps(data)
        return self.client.patch(
            BASE + path, body, content_type="application/json", headers=self._headers()
        )

    def put(self, path: str, data: Any = None, *, raw: bytes | str | None = None):
        body = raw if raw is not None else json.dumps(data)
        return self.client.put(
            BASE + path, body, content_type="application/json", headers=self._headers()
        )

    def request(self, method: str, path: str, data: Any = None, *, raw: bytes | str | None = None):
        if method == "GET":
            return self.get(path, data)
        return getattr(self, method.lower())(path, data, raw=raw)


def assert_error(response, status: int, code: str | None = None, *, field: str | None = None):
    """The one error shape, with a Chinese message; returns the error object."""
    assert response.status_code == status, (response.status_code, response.content.decode())
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    if code is not None:
        assert error["code"] == code, error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"]), error["message"]
    assert isinstance(error["fields"], dict)
    if field is not None:
        assert field in error["fields"], error
        assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for m in error["fields"][field]), (
            error
        )
    return error


def api_clients(world):
    """``as_role("county")``: an API client with a fresh token for that role's world user.

    Test modules wrap it in their own ``api_as`` fixture.
    """
    clients: dict[str, ApiClient] = {}

    def as_role(role: str) -> ApiClient:
        if role not in clients:
            clients[role] = ApiClient(world.user(role))
        return clients[role]

    return as_role


LEDGER_READERS = ("city_office", "leader", "county", "zone", "enterprise")
NO_LEDGER = ("admin", "auditor")  # least privilege: no business data at all
ALL_ROLES = LEDGER_READERS + NO_LEDGER
# The approvals' roles and the banks' officers too: the page walks.
EVERY_ROLE = (*ALL_ROLES, "department", "agent", "bank")


def api_audit_rows(user, obj, action: str | None = None):
    """The audit rows an API request by `user` left for `obj`."""
    from sanpi.core.models import AuditLog

    rows = AuditLog.objects.filter(
        source=AuditLog.Source.API,
        user=user,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
    )
    if action:
        rows = rows.filter(action=action)
    return list(rows)


def assert_api_audit(user, obj, action: str) -> None:
    rows = api_audit_rows(user, obj, action)
    assert len(rows) == 1, rows
    assert rows[0].request_id, "an API audit row carries the request id"


def openapi_document(user) -> dict:
    """The OpenAPI document as a signed-in user reads it (it is not public)."""
    client = Client()
    client.force_login(user)
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200, response.status_code
    return json.loads(response.content)
