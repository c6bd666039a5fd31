"""A bank's officer through the JSON API: every operation of the OpenAPI document, read and
write, aimed at objects of the city's ledger (their bank's signed project A among them).
A bank account holds no ledger capability and the API has no 政银企 endpoints, so every
answer is a refusal (403, or 404 where the object is looked up in scope first, or 400 for
a body refused before either) and nothing is written: the working-day calendar alone,
open to every account, answers. The operations come from the document itself, so a new
endpoint is walked without editing this file."""

from __future__ import annotations

import pytest

from sanpi.core.models import AuditLog
from sanpi.core.tests.api import BASE, ApiClient, openapi_document

pytestmark = pytest.mark.django_db

# Open to every signed-in account by design (core/tests/test_calendar_api.py): reading the
# official calendar and counting working days.
OPEN_TO_ALL = {
    ("GET", "/calendar/workdays/add"),
    ("GET", "/calendar/workdays/between"),
    ("GET", "/calendar/days"),
    ("GET", "/calendar/years"),
}


def _ids(world) -> dict[str, int]:
    """An id for each kind of path parameter: project A (signed by the officer's bank),
    its county's objects."""
    from sanpi.core.tests.test_views import _meeting

    _meeting(world)  # the walk's bank signed with project A
    return {"id": world.project_a.pk, "code": world.county_a.code}


def _walk(world, client) -> dict[tuple[str, str], int]:
    """Every operation once, as `client`: (method, path) → status."""
    document = openapi_document(world.user("leader"))
    ids = _ids(world)
    out = {}
    for path, item in document["paths"].items():
        path = path.removeprefix(BASE)
        for method in item:
            method = method.upper()
            if method not in {"GET", "POST", "PATCH", "PUT", "DELETE"}:
                continue
            url = path
            for name, value in ids.items():
                url = url.replace("{" + name + "}", str(value))
            if "{" in url:  # any other parameter: the first object there is
                url = url.split("{")[0] + "1" + url.split("}", 1)[1]
            if method == "DELETE":
                response = client.client.delete(BASE + url, headers=client._headers())
            else:
                response = client.request(method, url, {} if method != "GET" else None)
            out[(method, path)] = response.status_code
    return out


def test_every_api_operation_refuses_a_bank_officer_and_writes_nothing(world):
    client = ApiClient(world.user("bank"))
    before = AuditLog.objects.exclude(object_type="accounts.apitoken").count()
    statuses = _walk(world, client)
    assert len(statuses) > 60  # the whole document, not a sample
    answered = [
        f"{method} {path}: {status}"
        for (method, path), status in statuses.items()
        if (method, path) not in OPEN_TO_ALL and status not in (400, 403, 404, 405)
    ]
    assert not answered, "\n".join(answered)
    assert all(statuses[op] < 500 for op in OPEN_TO_ALL)
    # Nothing written (the token's own creation aside).
    assert AuditLog.objects.exclude(object_type="accounts.apitoken").count() == before


def test_the_same_walk_answers_a_leader(world):
    """The walk reaches real endpoints: a leader reads project A and the ledger's lists."""
    statuses = _walk(world, ApiClient(world.user("leader")))
    readable = [op for op, status in statuses.items() if op[0] == "GET" and status == 200]
    assert ("GET", "/projects/{id}") in readable and len(readable) >= 15, readable
