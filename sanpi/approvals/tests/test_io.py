"""Exports people can open: the approval ledger, the credit records (.xlsx) and the
one-time materials notice (.xlsx and .docx), in Chinese, scoped and audited."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import openpyxl
from django.urls import reverse
from docx import Document

from sanpi.approvals import io, selectors, services
from sanpi.core.models import AuditLog

D = dt.date


def _sheet(data: bytes):
    return openpyxl.load_workbook(BytesIO(data)).active


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_the_approval_ledger_is_scoped_and_audited(world, aw):
    export = io.ledger_export(by=world.user("county"))
    ws = _sheet(export.data)
    rows = _rows(ws)
    assert rows[0] == ["审批事项台账"] + [None] * (len(io.LEDGER_HEADERS) - 1)
    header = rows[1]
    assert header[:6] == ["项目名称", "项目单位", "县(市、区)", "开发区", "事项清单", "审批事项"]
    body = rows[2:]
    assert {r[5] for r in body} == {"建筑工程施工许可证核发", "建设用地规划许可证"}
    permit = next(r for r in body if r[5] == "建筑工程施工许可证核发")
    assert permit[header.index("办结期限")].date() == D(2021, 9, 27)
    assert permit[header.index("状态")] == "已超期"
    assert export.count == 2 and export.filename.startswith("审批事项台账-")
    row = AuditLog.objects.get(action="export", object_type="approvals.ledger")
    assert row.after == {"filters": {}, "count": 2}
    # The department officer's export holds their item only.
    assert io.ledger_export(by=world.user("department")).count == 1


def test_the_materials_notice_in_excel_and_word(world, aw):
    items = list(selectors.catalogue_items(user=world.user("city_office"), track=aw.full))
    notice = selectors.notice_for(items)
    ws = _sheet(io.notice_xlsx("一般工业项目“全代办”一次性告知清单", notice))
    rows = _rows(ws)
    assert rows[0][0] == "一般工业项目“全代办”一次性告知清单"
    assert (
        rows[1][0]
        == "共21种基础材料，一次提交、各事项共享：各事项分别提交需288份，一次性告知后21份。"
    )
    assert rows[2][:4] == ["序号", "材料名称", "原件/复印件", "份数"]
    assert len(rows) == 3 + 21
    assert rows[3][1] == "营业执照（统一社会信用代码证）"
    doc = Document(BytesIO(io.notice_docx("全代办一次性告知清单", notice)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "全代办一次性告知清单" in text and "各事项分别提交需288份，一次性告知后21份" in text
    table = doc.tables[0]
    assert [c.text for c in table.rows[0].cells][:2] == ["序号", "材料名称"]
    assert len(table.rows) == 22


def test_the_notices_download_from_the_pages(world, aw, login):
    client = login(world.user("agent"))
    response = client.get(
        reverse("approvals:project_notice", kwargs={"pk": world.project_a.pk, "fmt": "docx"})
    )
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    doc = Document(BytesIO(b"".join(response.streaming_content)))
    assert "甲新材料项目 一次性告知清单" in doc.paragraphs[0].text
    response = client.get(
        reverse("approvals:track_notice", kwargs={"pk": aw.low.pk, "fmt": "xlsx"})
    )
    rows = _rows(_sheet(b"".join(response.streaming_content)))
    assert rows[0][0] == "社会投资简易低风险工程建设项目 一次性告知清单"


def test_credit_records_export(world, aw, login):
    services.commitments_scan(by=world.user("city_office"), on=D(2022, 1, 1))
    export = io.credit_export(by=world.user("county"))
    rows = _rows(_sheet(export.data))
    assert rows[1][:3] == ["企业名称", "统一社会信用代码", "县(市、区)"]
    assert [r[0] for r in rows[2:]] == ["山西甲材料有限公司"]
    response = login(world.user("city_office")).get(reverse("approvals:credit_export"))
    rows = _rows(_sheet(b"".join(response.streaming_content)))
    assert sorted(r[0] for r in rows[2:]) == ["山西乙装备有限公司", "山西甲材料有限公司"]
