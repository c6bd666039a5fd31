"""How much a request may carry: ordinary forms keep Django's 2.5MB body limit, workbook
uploads have their own (SANPI_UPLOAD_MAX_BYTES), field lengths are enforced, and every
refusal is a Chinese page or message, never a 500."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadhandler import load_handler
from django.http.multipartparser import MultiPartParser
from django.test import Client
from django.urls import reverse

from sanpi.core import uploads
from sanpi.core.models import AuditLog, Job
from sanpi.core.tests.test_settings import _settings
from sanpi.projects.models import Project

MB = 2**20


def test_limits_default_and_come_from_the_environment(tmp_path):
    expr = "s.DATA_UPLOAD_MAX_MEMORY_SIZE, s.SANPI_UPLOAD_MAX_BYTES, hasattr(s, 'SANPI_IMPORT_MAX_BYTES')"

    def limits(**env) -> str:
        return _settings(tmp_path, expr, **env).stdout.strip()

    # Django's default for forms; 20MB for workbooks; one setting, not two.
    assert limits() == f"2621440 {20 * MB} False"
    assert limits(SANPI_UPLOAD_MAX_BYTES="1048576") == "2621440 1048576 False"


# --- ordinary forms ---------------------------------------------------------------------


def test_an_oversize_form_post_gets_a_chinese_413_page(world, login):
    """Bad input → what it gets: a 3MB form post (over 2.5MB) → 413 and a page in Chinese
    saying the limit and what to do; nothing is read or saved. Too many fields → 413 too."""
    client = login(world.user("city_office"))
    count = Project.objects.count()
    started = time.monotonic()
    response = client.post(
        reverse("projects:create"), {"name": "项" * MB, "county": world.county_a.pk}
    )
    html = response.content.decode()
    assert response.status_code == 413
    assert "提交的内容太大（413）" in html and "不能超过2.5MB" in html and "20MB" in html
    assert "三批 · 开发区项目平台" in html and len(html) < 50_000
    assert time.monotonic() - started < 5
    assert Project.objects.count() == count

    fields = "&".join(f"f{i}=1" for i in range(1500))
    response = client.post(
        reverse("projects:create"), fields, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413 and "提交的项目太多" in response.content.decode()


def test_an_oversize_login_post_is_a_413_page_not_a_500(db):
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": "a" * (3 * MB)})
    assert response.status_code == 413
    assert "提交的内容太大" in response.content.decode()


def test_an_oversize_api_body_is_a_413_in_the_apis_error_shape(world, client):
    """Bad input → what it gets: a 3MB JSON body → 413 {"error": {"code": "too_large", …}}
    in Chinese (it was a 500 "服务器内部错误")."""
    import json

    from sanpi.accounts.services import api_token_create

    _, key = api_token_create(by=world.user("city_office"), name="接口")
    response = client.post(
        "/api/v1/projects",
        json.dumps({"name": "项" * MB}, ensure_ascii=False),
        content_type="application/json",
        headers={"authorization": f"Bearer {key}"},
    )
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "请求体太大：不能超过2.5MB，本次请求未处理",
        "fields": {},
    }


def test_other_bad_requests_still_get_the_chinese_400_page(db):
    response = Client().get("/", headers={"host": "evil.example"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "请求有误（400）" in html and "请返回上一页重试" in html


@pytest.mark.parametrize(
    ("url", "field", "limit"),
    [
        ("projects:create", "name", 200),
        ("regions:enterprise_create", "name", None),
    ],
)
def test_a_long_value_is_refused_quickly_and_not_echoed(world, login, url, field, limit):
    """Bad input → what it gets: a 1,000,000-character value (under the body limit) in a
    field of a few hundred characters → the form again, at once, with the length message,
    the value cut to the field's length in the input (not a megabyte echoed back)."""
    client = login(world.user("city_office"))
    count = Project.objects.count()
    started = time.monotonic()
    response = client.post(reverse(url), {field: "a" * 1_000_000, "county": world.county_a.pk})
    elapsed = time.monotonic() - started
    html = response.content.decode()
    assert response.status_code == 200
    assert "目前字符数 1000000" in html  # Django's Chinese max_length message
    assert len(html) < 100_000 and "a" * 1001 not in html
    assert elapsed < 2
    assert Project.objects.count() == count
    if limit:
        assert f'maxlength="{limit}"' in html and "a" * limit in html


def test_audit_filter_and_login_refuse_overlong_values_without_echo(world, login):
    client = login(world.user("auditor"))
    html = client.get(reverse("core:audit_log"), {"username": "x" * 5000}).content.decode()
    assert "用户：确保该变量包含不超过 150 字符" in html and "x" * 151 not in html
    html = client.get(reverse("core:audit_log"), {"object_id": "1" * 41}).content.decode()
    assert "对象编号：确保该变量包含不超过 40 字符" in html

    response = Client().post(
        reverse("accounts:login"), {"username": "u" * 100_000, "password": "x"}
    )
    html = response.content.decode()
    assert "u" * 151 not in html and len(html) < 50_000


# --- workbook uploads ----------------------------------------------------------------------


def _multipart(content: bytes, boundary: str = "sanpiboundary") -> tuple[dict, bytes]:
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="note"\r\n\r\n'
            "台账\r\n"
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="台账.xlsx"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    meta = {
        "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
        "CONTENT_LENGTH": str(len(body)),
    }
    return meta, body


def _parse(content: bytes, settings):
    meta, body = _multipart(content)
    handlers = [load_handler(h) for h in settings.FILE_UPLOAD_HANDLERS]
    return MultiPartParser(meta, io.BytesIO(body), handlers, "utf-8").parse()


def test_upload_handler_keeps_nothing_of_an_oversize_file(settings):
    """A file over SANPI_UPLOAD_MAX_BYTES arrives as an OversizeUpload: its name and size,
    no bytes; a file within the limit arrives whole; other fields are unaffected."""
    settings.SANPI_UPLOAD_MAX_BYTES = 100 * 1024
    post, files = _parse(b"x" * (300 * 1024), settings)
    upload = files["file"]
    assert isinstance(upload, uploads.OversizeUpload)
    assert (upload.name, upload.size, upload.read()) == ("台账.xlsx", 300 * 1024, b"")
    assert post["note"] == "台账"
    post, files = _parse(b"y" * (100 * 1024), settings)
    assert not isinstance(files["file"], uploads.OversizeUpload)
    assert files["file"].read() == b"y" * (100 * 1024)


def test_an_oversize_workbook_is_refused_before_it_is_parsed(world, login, settings, monkeypatch):
    """Bad input → what it gets: a workbook over SANPI_UPLOAD_MAX_BYTES → the upload page
    again with "文件太大：不能超过…（此文件…）" and what to do; the file is never opened (no
    job, no import, no reading of its bytes)."""
    from sanpi.core import workbooks
    from sanpi.projects import jobs as project_jobs

    def never(*args, **kwargs):
        raise AssertionError("an oversize upload must not be parsed")

    monkeypatch.setattr(project_jobs, "ledger_import", never)
    monkeypatch.setattr(workbooks, "open_book", never)
    settings.SANPI_UPLOAD_MAX_BYTES = 64 * 1024
    client = login(world.user("city_office"))
    upload = io.BytesIO(b"PK\x03\x04" + b"\0" * (200 * 1024))
    upload.name = "台账.xlsx"
    response = client.post(reverse("ledger:import"), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "文件太大：不能超过64KB（此文件200KB），未导入" in html
    assert "删去文件中无关的工作表" in html
    assert not Job.objects.exists()
    # The refusal is audited: who sent which file, where, how large.
    row = AuditLog.objects.get(action="import", object_type="upload")
    assert row.username == world.user("city_office").username
    assert row.object_repr == "台账.xlsx"
    assert row.after == {"status": "refused", "size": 200 * 1024 + 4, "path": "/ledger/import/"}
    assert "上传被拒绝：台账.xlsx：文件太大" in row.message


def test_size_text():
    assert uploads.size_text(20 * MB) == "20MB"
    assert uploads.size_text(int(2.5 * MB)) == "2.5MB"
    assert uploads.size_text(64 * 1024) == "64KB"
    assert uploads.size_text(100) == "100字节"
