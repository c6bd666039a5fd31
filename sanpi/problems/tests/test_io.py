"""The joint meeting's problem ledger (.xlsx, a background job) and a problem's 督办通知
(.docx) as people open them: in LibreOffice, formula-like text kept as typed."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from sanpi.core import jobs
from sanpi.core.errors import NotFound, PermissionDenied, ValidationFailed
from sanpi.core.models import AuditLog, Job
from sanpi.core.tests import office
from sanpi.problems import services
from sanpi.problems.io import (
    LEDGER_EXPORT,
    LEDGER_HEADERS,
    ledger_export,
    notice_docx,
    notice_refusal,
)
from sanpi.problems.models import Problem
from sanpi.problems.selectors import ProblemFilter
from sanpi.problems.tests.factories import make_problem, problems_state

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","点我")'
HEADERS = [h for h, _ in LEDGER_HEADERS]


@pytest.fixture
def ledger(world):
    """Problem A (in progress, a formula-like description and feedback), problem B in
    county B, and an unassigned problem on project A."""
    s = problems_state(world)
    Problem.objects.filter(pk=s.a.pk).update(description=FORMULA)
    services.problem_move(
        by=world.user("department"), problem=s.a, move="feedback", text="+86 已协调供电公司"
    )
    raised = make_problem(world, description="@环评批复未下达", category="assessment")
    return s, raised


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).worksheets[0]


def test_the_ledger_in_the_joint_meetings_columns(world, ledger):
    s, raised = ledger
    doc = ledger_export(by=world.user("city_office"))
    assert doc.count == 3 and doc.filename.startswith("项目建设问题台账-")
    ws = _sheet(doc.data)
    assert ws["A1"].value == "项目建设问题台账"
    assert "范围：全市" in ws["A2"].value
    assert [c.value for c in ws[3]] == HEADERS
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    # By county (离石区 before 孝义市), then as raised.
    assert [r[1] for r in rows] == ["离石区", "离石区", "孝义市"]
    a = rows[0]
    assert a[0] == 1 and a[2] == "甲新材料项目" and a[3] == "山西甲材料有限公司"
    assert a[4] == "水电气暖配套" and a[5] == FORMULA and a[6] == "县级"
    assert a[7] == "吕梁经开区行政审批局" and a[8] == "王副县长"
    assert a[9] == str(world.user("department")) and a[10] == "协调办理"
    assert a[11] == f"{timezone.localdate() + dt.timedelta(days=10):%Y-%m-%d}"
    assert a[12] == "办理中" and a[13] == "否"
    assert a[14] == f"{timezone.localdate():%Y-%m-%d}：+86 已协调供电公司"
    # Not yet assigned: the five 到位 are empty.
    assert rows[1][5] == "@环评批复未下达" and rows[1][7:12] == [None] * 5
    assert rows[1][12] == "已提出" and rows[1][14] is None
    # Formula-like texts are text cells, never formulas.
    for cell in (ws["F4"], ws["F5"]):
        assert cell.data_type == "s" and cell.quotePrefix
    assert ws["O4"].data_type == "s"
    entry = AuditLog.objects.get(action="export", object_type="problems.ledger")
    assert entry.after == {"filters": {}, "count": 3}


def test_the_ledger_follows_the_scope_and_the_filters(world, ledger):
    s, raised = ledger
    doc = ledger_export(by=world.user("county"))
    names = [r[2].value for r in _sheet(doc.data).iter_rows(min_row=4)]
    assert (
        names == ["甲新材料项目", "甲新材料项目"] and "范围：离石区" in _sheet(doc.data)["A2"].value
    )
    doc = ledger_export(by=world.user("city_office"), filters=ProblemFilter(state="raised"))
    assert doc.count == 1
    # Overdue: a clock ran out at some point, or red now.
    Problem.objects.filter(pk=s.b.pk).update(light="red")
    rows = list(_sheet(ledger_export(by=world.user("leader")).data).iter_rows(min_row=4))
    assert [r[13].value for r in rows] == ["否", "否", "是"]


@pytest.mark.parametrize("role", ["enterprise", "department", "admin", "auditor", "agent"])
def test_the_ledger_is_for_the_city_leaders_counties_and_zones(world, ledger, role):
    with pytest.raises(PermissionDenied):
        ledger_export(by=world.user(role))


def test_the_ledger_runs_as_a_background_job(world, ledger):
    job = jobs.job_start(
        user=world.user("zone"), kind=LEDGER_EXPORT, params={"filters": {"state": "open"}}
    )
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.message
    assert job.message == "已导出2个问题" and job.result_name.endswith(".xlsx")
    assert _sheet(bytes(job.result_file))["C4"].value == "甲新材料项目"


@office.needs_soffice
def test_the_ledger_and_the_notice_open_in_libreoffice(world, ledger):
    s, _ = ledger
    data = ledger_export(by=world.user("city_office")).data
    (csv,) = office.to_csv_many([data])
    rows = office.rows(csv)
    assert rows[2] == HEADERS
    assert rows[3][5] == FORMULA  # kept as typed, not computed
    assert rows[3][14].endswith("：+86 已协调供电公司")
    assert rows[4][5] == "@环评批复未下达"

    doc = notice_docx(by=world.user("county"), problem=Problem.objects.get(pk=s.a.pk))
    assert doc.filename.startswith("督办通知-甲新材料项目-问题")
    pdf = office.convert(doc.data, suffix="docx", to="pdf")
    assert pdf.startswith(b"%PDF")
    text = office.docx_text(doc.data)
    lines = text.splitlines()
    assert lines[0] == "督办通知"
    assert "吕梁经开区行政审批局：" in lines
    deadline = timezone.localdate() + dt.timedelta(days=10)
    assert f"于{deadline:%Y年%m月%d日}前办结" in text
    assert "按照“" in text and "的时限要求，现予督办" in text
    for label in ("一、问题情况", "二、五到位", "三、办理时限"):
        assert label in lines
    for five in ("责任单位", "责任领导", "王副县长", "责任人", "解决措施", "协调办理", "完成时限"):
        assert five in lines
    assert FORMULA in text
    # The clocks: deployed and first feedback met today, the solve clock running.
    assert "当日部署" in lines and "首次反馈" in lines and "办结" in lines
    assert text.count("按时完成（") == 2 and "剩余" in text
    assert lines[-1].startswith("生成日期：")


def test_no_notice_before_assignment_nor_after_the_end(world, ledger):
    s, raised = ledger
    with pytest.raises(ValidationFailed) as exc:
        notice_docx(by=world.user("city_office"), problem=raised)
    assert exc.value.message == "该问题尚未交办（五到位未落实），不能生成督办通知；请先研判交办"
    closed = make_problem(world, state="closed")
    assert notice_refusal(closed) == "该问题已销号，无需督办"
    assert notice_refusal(s.a) == ""
    before = AuditLog.objects.filter(action="export").count()
    notice_docx(by=world.user("department"), problem=s.a)
    assert AuditLog.objects.filter(action="export").count() == before + 1


def test_no_notice_of_a_problem_outside_the_scope_whoever_calls(world, ledger):
    # The page reads the problem within the scope first; the notice itself refuses too,
    # for any other caller handing it a problem.
    s, _ = ledger
    before = AuditLog.objects.filter(action="export").count()
    for role in ("county", "zone", "enterprise", "department"):
        with pytest.raises(NotFound):
            notice_docx(by=world.user(role), problem=s.b)
    assert AuditLog.objects.filter(action="export").count() == before
