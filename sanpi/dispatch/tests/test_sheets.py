"""The month sheet: downloaded pre-filled, filled in as clerks do, uploaded; all or
nothing, each error with its row, column and reason."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from sanpi.core.imports import ImportRejected
from sanpi.core.models import Job
from sanpi.core.tests.jobs import job_file
from sanpi.dispatch import sheets
from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.models import Project

YEAR, MONTH = 2026, 10


@pytest.fixture
def two(world):
    Project.objects.filter(pk__in=[world.project_a.pk, world.project_b.pk]).update(
        stage="started", signed_date=dt.date(2026, 1, 5), started_date=dt.date(2026, 3, 1)
    )
    return world


def _rows(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data), read_only=True)[sheets.SHEET]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _filled(rows, **by_name) -> bytes:
    """The downloaded sheet with a title row added above and the given cells filled."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheets.SHEET
    ws.append(["离石区2026年10月项目月报"])
    header = rows[0]
    ws.append(header)
    for row in rows[1:]:
        values = dict(zip(header, row, strict=True)) | by_name.get(row[1], {})
        ws.append([values[h] for h in header])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_county_downloads_fills_and_uploads_its_month(two, login):
    county = two.user("county")
    client = login(county)
    data = b"".join(job_file(client, f"/dispatch/{YEAR}/{MONTH}/sheet.xlsx").streaming_content)
    rows = _rows(data)
    assert rows[0][:2] == ["项目代码", "项目名称"] and [r[1] for r in rows[1:]] == [
        two.project_a.name
    ]
    upload = _filled(
        rows,
        **{
            two.project_a.name: {
                "本月完成投资(万元)": "1,200.5万元",
                "形象进度(%)": 40,
                "用工人数": 80,
            }
        },
    )
    response = client.post(f"/dispatch/{YEAR}/{MONTH}/sheet/upload/", {"file": _file(upload)})
    job = Job.objects.get(kind=sheets.KIND)
    assert response.status_code == 302 and job.status == "done", job.errors
    assert job.message == "已报送2026年10月月报1份"
    report = MonthlyReport.objects.get()
    assert (report.status, report.investment_wan, report.progress_percent, report.jobs) == (
        "submitted",
        Decimal("1200.50"),
        40,
        80,
    )


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("月报.xlsx", data)


def test_any_bad_row_refuses_the_whole_sheet(two):
    city = two.user("city_office")
    rows = _rows(sheets.month_sheet(by=city, year=YEAR, month=MONTH).data)
    upload = _filled(
        rows,
        **{
            two.project_a.name: {"本月完成投资(万元)": "100", "形象进度(%)": 30},
            two.project_b.name: {"本月完成投资(万元)": "12,5", "形象进度(%)": 130},
        },
    )
    with pytest.raises(ImportRejected) as exc:
        sheets.month_sheet_import(by=city, year=YEAR, month=MONTH, data=upload)
    lines = exc.value.lines
    assert any(
        line.startswith("第4行 本月完成投资(万元)（G列）: ") and "12,5" in line for line in lines
    ), lines
    assert any(line.startswith("第4行 形象进度(%)（H列）: ") for line in lines), lines
    assert not MonthlyReport.objects.exists()  # project A's good row was not kept either


def test_a_project_not_owing_the_month_is_named(two):
    city = two.user("city_office")
    rows = _rows(sheets.month_sheet(by=city, year=YEAR, month=MONTH).data)
    rows.append(["", "不存在的项目", "", "", "", None, 10, 10, "", None, None, None, ""])
    filled = {"本月完成投资(万元)": 1, "形象进度(%)": 1}
    upload = _filled(rows, **{two.project_a.name: filled, two.project_b.name: filled})
    with pytest.raises(ImportRejected) as exc:
        sheets.month_sheet_import(by=city, year=YEAR, month=MONTH, data=upload)
    assert exc.value.lines == [
        "第5行 项目名称（B列）: “不存在的项目”不是您本月需要填报的项目"
        "（不在权限范围内，或不处于签约、开工、投产阶段）"
    ]
    assert not MonthlyReport.objects.exists()
