"""Workbooks built to exhaust the server are refused by what they declare, before they
are unpacked or read: sizes and compression ratio of the zip, the rows of a sheet, the
length of a cell; and a file with thousands of bad rows stops at 1,000 listed errors.
Every file is generated here and is small on disk."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import Workbook

from sanpi.core.imports import ImportRejected
from sanpi.core.workbooks import WorkbookUnreadable, open_book
from sanpi.projects.io import ledger_import
from sanpi.projects.models import Project
from sanpi.projects.tests.ledger_files import row, workbook


def _with_member(name: str, data: bytes) -> bytes:
    """A real .xlsx with one more, highly compressible, member."""
    wb = Workbook()
    wb.active.append(["项目名称"])
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr(name, data)
    return out.getvalue()


def test_a_zip_that_unpacks_beyond_the_limit_is_refused_unopened(settings):
    settings.SANPI_UPLOAD_MAX_UNPACKED_MB = 2
    data = _with_member("xl/media/junk.bin", b"\0" * (3 * 1024 * 1024))
    assert len(data) < 100 * 1024  # a few kilobytes on disk
    with pytest.raises(WorkbookUnreadable) as info:
        open_book(data, "台账.xlsx")
    assert "文件解压后有3.0MB，超过2MB的上限" in str(info.value)


def test_a_zip_bomb_member_is_refused_by_its_ratio(settings):
    settings.SANPI_UPLOAD_MAX_UNPACKED_MB = 200
    data = _with_member("xl/sharedStrings2.xml", b"A" * (12 * 1024 * 1024))
    with pytest.raises(WorkbookUnreadable) as info:
        open_book(data, "台账.xlsx")
    assert "压缩比异常" in str(info.value) and "恶意" in str(info.value)


@pytest.mark.django_db
def test_a_sheet_declaring_a_million_rows_is_refused_before_they_are_read(world, settings):
    settings.SANPI_IMPORT_MAX_ROWS = 100_000
    wb = Workbook()
    ws = wb.active
    ws.title = "项目台账"
    data_row = row(1)
    ws.append(list(data_row))
    ws.append(list(data_row.values()))
    ws.cell(row=1_048_575, column=1, value="x")  # Excel's last row: the sheet says so
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRejected) as info:
        ledger_import(by=world.user("city_office"), data=buf.getvalue())
    assert info.value.lines == [
        "工作表“项目台账”超过100,000行的上限，未导入：请拆分为几个文件分别导入"
        "（或删除表格下方多余的空行、格式行）"
    ]
    assert not Project.objects.filter(name="新材料项目1").exists()


@pytest.mark.django_db
def test_rows_beyond_the_limit_are_refused_while_reading(world, settings):
    settings.SANPI_IMPORT_MAX_ROWS = 5
    with pytest.raises(ImportRejected) as info:
        ledger_import(by=world.user("city_office"), data=workbook([row(i) for i in range(1, 8)]))
    assert any("超过5行的上限" in line for line in info.value.lines)
    assert Project.objects.count() == 2  # the world's two: nothing written


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["data", "header"])
def test_a_cell_longer_than_excel_allows_is_refused(world, where):
    """openpyxl (like Excel) never writes more than 32,767 characters in a cell: the file
    is patched by hand, as an attacker would, in a data row or among the rows searched
    for the header."""
    if where == "data":
        plain = workbook([row(1, 项目名称="PLACEHOLDER")])
    else:
        plain = workbook([], headers=["PLACEHOLDER"])  # the one row, searched for a header
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            content = src.read(item)
            dst.writestr(item, content.replace(b"PLACEHOLDER", ("项" * 40_000).encode()))
    with pytest.raises(ImportRejected) as info:
        ledger_import(by=world.user("city_office"), data=out.getvalue())
    line = 2 if where == "data" else 1
    assert any(f"第{line}行有一个单元格超过32,767个字符" in x for x in info.value.lines), (
        info.value.lines
    )


@pytest.mark.django_db
def test_errors_stop_at_the_limit_with_a_note(world):
    """A file with more bad rows than the error list keeps, through the import a clerk's
    file goes through: the first 1,000 errors and a note come back, and reading stopped
    there."""
    from sanpi.core.xlsx import MAX_ERRORS

    bad = [row(i, 产业类别="煤炭") for i in range(1, MAX_ERRORS + 51)]
    with pytest.raises(ImportRejected) as info:
        ledger_import(by=world.user("city_office"), data=workbook(bad))
    rejected = info.value
    assert len(rejected.errors) == MAX_ERRORS
    assert rejected.lines[-1] == "还有更多错误未列出（只列出前1000处，未再往下检查）"
    assert rejected.message == "文件有超过1000处错误，未导入任何数据，请改正后重新导入。"
    assert rejected.details["rows"] < len(bad)  # reading stopped once the list was full
    assert not Project.objects.filter(name="新材料项目1").exists()


@pytest.mark.django_db
def test_a_job_that_runs_out_of_memory_fails_with_a_clear_message_and_nothing_else():
    from sanpi.core import jobs
    from sanpi.core.models import Job

    job = jobs.job_start(user=None, kind="core.ping", params={"megabytes": 10**9})  # 1 PB
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert job.message == jobs.OUT_OF_MEMORY
    after = jobs.job_start(user=None, kind="core.ping")
    after.refresh_from_db()
    assert after.status == Job.Status.DONE  # the next job runs as usual


def test_the_worker_caps_its_own_memory():
    import subprocess
    import sys

    script = (
        "from sanpi.core.management.commands.worker import apply_memory_limit\n"
        "apply_memory_limit(400)\n"
        "try:\n"
        "    bytearray(800 * 1024 * 1024)\n"
        "    print('allocated')\n"
        "except MemoryError:\n"
        "    print('refused')\n"
        "bytearray(50 * 1024 * 1024)\n"
        "print('still working')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()
    assert out == ["refused", "still", "working"]


@pytest.mark.django_db
def test_a_refused_upload_leaves_an_audit_row(world, settings):
    """Bad input → what it gets: a zip bomb uploaded as a ledger is refused by its job, and
    the audit log says who sent which file and why it was not taken."""
    from sanpi.core import jobs
    from sanpi.core.models import AuditLog, Job
    from sanpi.projects.jobs import LEDGER_IMPORT

    settings.SANPI_UPLOAD_MAX_UNPACKED_MB = 200
    user = world.user("city_office")
    data = _with_member("xl/sharedStrings2.xml", b"A" * (12 * 1024 * 1024))
    job = jobs.job_start(user=user, kind=LEDGER_IMPORT, filename="炸弹.xlsx", source=data)
    job.refresh_from_db()
    assert job.status == Job.Status.REJECTED
    row = AuditLog.objects.get(action="import", object_type="core.job", object_id=str(job.pk))
    assert (row.username, row.object_repr) == (user.username, "炸弹.xlsx")
    assert row.after == {"status": "rejected", "kind": LEDGER_IMPORT, "dry_run": False}
    assert row.message.startswith("台账导入被拒绝：炸弹.xlsx：文件有1处错误")
    assert "首个错误：" in row.message and "压缩比异常" in row.message
