"""A finished job's file is downloaded by its owner with the type its name says."""

from __future__ import annotations

import pytest

from sanpi.core.models import Job
from sanpi.core.word import DOCX_CONTENT_TYPE
from sanpi.core.xlsx import XLSX_CONTENT_TYPE

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("通报.docx", DOCX_CONTENT_TYPE),
        ("台账.xlsx", XLSX_CONTENT_TYPE),
        ("其他.bin", "application/octet-stream"),
    ],
)
def test_a_result_file_is_sent_with_its_type(world, login, name, content_type):
    user = world.user("city_office")
    job = Job.objects.create(
        user=user, kind="core.ping", status="done", result_file=b"data", result_name=name
    )
    response = login(user).get(f"/jobs/{job.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert b"".join(response.streaming_content) == b"data"
    assert login(world.user("county")).get(f"/jobs/{job.pk}/download/").status_code == 404
