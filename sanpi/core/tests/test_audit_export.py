"""The audit log's 对象类型 filter, and its .xlsx export for the audit administrator."""

from __future__ import annotations

import io
import urllib.parse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from sanpi.accounts.roles import ROLE_CAPS, Cap, Role
from sanpi.core import audit, audit_export
from sanpi.core.audit import audit_context
from sanpi.core.models import AuditLog
from sanpi.core.tests.jobs import job_file
from sanpi.core.web import object_type_choices

# --- the 对象类型 filter --------------------------------------------------------------------


def test_object_type_filter_names_each_kind_once(world, login):
    """项目 was offered twice (projects.project and approvals' proxy ApprovalProject, both
    "项目"), and the kinds that are no model (the ledgers, the database) not at all: now
    every label is distinct and every kind the log records can be chosen."""
    choices = dict(object_type_choices())
    labels = list(choices.values())
    assert len(labels) == len(set(labels)), sorted(labels)
    assert choices["projects.project"] == "项目"
    assert "approvals.approvalproject" not in choices  # a proxy: audited as projects.project
    assert choices["projects.ledger"] == "项目台账"
    assert choices["approvals.ledger"] == "审批事项台账"
    assert choices["database"] == "数据库"
    assert choices["core.auditlog"] == "审计日志"

    html = login(world.user("auditor")).get(reverse("core:audit_log")).content.decode()
    select = html[
        html.index('name="object_type"') : html.index("</select>", html.index('name="object_type"'))
    ]
    assert select.count(">项目</option>") == 1
    assert '<option value="projects.ledger">项目台账</option>' in select


def test_a_proxy_models_rows_are_recorded_under_its_concrete_model(world):
    """An object read through a proxy (approvals' ApprovalProject) is audited as the
    concrete model, so its history is one list and the filter finds it under 项目."""
    from sanpi.approvals.models import ApprovalProject

    proxy = ApprovalProject.objects.get(pk=world.project_a.pk)
    row = audit.record(user=world.user("city_office"), action="update", obj=proxy)
    assert row.object_type == "projects.project"
    assert row in audit.history_for(world.project_a)
    assert row in audit.history_for(proxy)


# --- the export -----------------------------------------------------------------------------


def _sheet(response):
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(data)).active


def _data_rows(ws) -> list[tuple]:
    return [row for row in ws.iter_rows(min_row=4, values_only=True)]


def test_export_capability_is_the_audit_administrators_alone():
    """三员分立: the system administrator manages the accounts the log records; he neither
    reads nor exports it."""
    assert {r for r, caps in ROLE_CAPS.items() if Cap.EXPORT_AUDIT in caps} == {Role.AUDITOR}
    assert {r for r, caps in ROLE_CAPS.items() if Cap.VIEW_AUDIT in caps} == {Role.AUDITOR}


def test_auditor_exports_the_filtered_log_and_the_export_is_audited(world, login):
    city = world.user("city_office")
    with audit_context("web", ip="10.1.2.3"):
        audit.record(
            user=city,
            action="update",
            obj=world.project_a,
            object_repr='=HYPERLINK("http://x.invalid","点我")',
            before={"name": "旧名称", "county": world.county_a.pk},
            after={"name": "新名称", "county": world.county_b.pk},
            message="+1 由市项目办改名",
        )
        audit.record(user=city, action="create", obj=world.enterprise_a, message="不在筛选内")
    client = login(world.user("auditor"))

    html = client.get(reverse("core:audit_log"), {"action": "update", "page": "1"}).content.decode()
    assert 'href="/audit/export/?action=update"' in html  # the page's filters, not its page

    response = job_file(
        client, reverse("core:audit_export"), {"action": "update", "username": "city"}
    )
    ws = _sheet(response)
    assert ws["A1"].value == "审计日志"
    note = ws["A2"].value
    assert (
        "筛选条件：用户=city，操作=修改" in note and "共1条" in note and "导出人：auditor" in note
    )
    assert [c.value for c in ws[3]][:7] == [
        "时间（北京时间）", "用户名", "姓名", "来源", "IP地址", "操作", "对象类型",
    ]  # fmt: skip
    rows = _data_rows(ws)
    assert len(rows) == 1
    (row,) = rows
    assert row[1:9] == (
        "city", city.full_name, "网页", "10.1.2.3", "修改", "项目", str(world.project_a.pk),
        '=HYPERLINK("http://x.invalid","点我")',
    )  # fmt: skip
    assert "项目名称：旧名称 → 新名称" in row[9] and "离石区 → 孝义市" in row[9]
    assert row[10] == "+1 由市项目办改名"
    # Texts that look like formulas are texts in the file (core.xlsx).
    assert ws.cell(row=4, column=9).data_type == "s" and ws.cell(row=4, column=9).quotePrefix
    assert ws.cell(row=4, column=11).data_type == "s"

    exported = AuditLog.objects.get(action="export", object_type="core.auditlog")
    assert exported.user == world.user("auditor")
    assert exported.after == {"filters": {"action": "update", "username": "city"}, "count": 1}
    assert exported.message == "导出审计日志1条（筛选：用户=city，操作=修改）"
    stamp = timezone.localtime(exported.at)
    assert urllib.parse.quote(f"审计日志-{stamp:%Y%m%d}.xlsx") in response["Content-Disposition"]

    # Unfiltered: every row, newest first; the export's own row is not in its file.
    before = AuditLog.objects.count()
    ws = _sheet(job_file(client, reverse("core:audit_export")))
    assert "筛选条件：无（全部记录）" in ws["A2"].value
    assert len(_data_rows(ws)) == before
    assert _data_rows(ws)[0][5] == "导出"  # the first export, newest first
    assert AuditLog.objects.filter(action="export", object_type="core.auditlog").count() == 2


@pytest.mark.parametrize("role", ["admin", "city_office", "leader", "county", "department"])
def test_no_one_else_may_export_the_log(world, login, role):
    """Bad input → what it gets: any role but 审计管理员 → 403, nothing exported or audited."""
    response = login(world.user(role)).get(reverse("core:audit_export"))
    assert response.status_code == 403
    assert not AuditLog.objects.filter(action="export").exists()
    html = login(world.user(role)).get("/").content.decode()
    assert "/audit/export/" not in html


def test_export_refuses_bad_filters_and_too_many_rows(world, login, monkeypatch):
    """Bad input → what it gets: an invalid date → back to the log with "筛选条件有误，未导出";
    more rows than MAX_ROWS → back with "超过单次导出的上限…请缩小日期范围"; no file, no
    export row."""
    client = login(world.user("auditor"))
    response = client.get(reverse("core:audit_export"), {"date_from": "不是日期"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0] == "/audit/?date_from=%E4%B8%8D%E6%98%AF%E6%97%A5%E6%9C%9F"
    assert "筛选条件有误，未导出" in html and "输入一个有效的日期" in html

    for _ in range(3):
        audit.record(user=world.user("city_office"), action="update", obj=world.project_a)
    monkeypatch.setattr(audit_export, "MAX_ROWS", 2)
    response = client.get(reverse("core:audit_export"), follow=True)
    html = response.content.decode()
    assert response.redirect_chain[0][0] == "/audit/"
    assert "超过单次导出的上限2条，未导出" in html and "请缩小日期范围" in html
    assert not AuditLog.objects.filter(action="export").exists()


def test_export_streams_in_a_constant_number_of_queries(
    world, login, django_assert_max_num_queries, monkeypatch
):
    """Rows come from the database through .iterator() a chunk at a time; the queries
    (one per chunk to name the changes' foreign keys) do not grow with the rows."""
    from django.db.models.query import QuerySet

    used = []
    iterator = QuerySet.iterator

    def spy(self, *args, **kwargs):
        if self.model is AuditLog:
            used.append(kwargs.get("chunk_size"))
        return iterator(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    client = login(world.user("auditor"))
    city = world.user("city_office")

    def add(n):
        for _ in range(n):
            audit.record(
                user=city,
                action="update",
                obj=world.project_a,
                before={"zone": world.zone_a.pk, "enterprise": world.enterprise_a.pk},
                after={"zone": world.zone_b.pk, "enterprise": world.enterprise_b.pk},
            )

    add(3)
    with CaptureQueriesContext(connection) as few:  # the export job, its page, its file
        _sheet(job_file(client, reverse("core:audit_export")))
    add(80)
    with django_assert_max_num_queries(len(few.captured_queries)):
        ws = _sheet(job_file(client, reverse("core:audit_export")))
    assert used == [audit_export.CHUNK_SIZE, audit_export.CHUNK_SIZE]
    rows = _data_rows(ws)
    assert len(rows) >= 83 and "开发区：吕梁经济技术开发区 → 孝义经济开发区" in rows[1][9]
