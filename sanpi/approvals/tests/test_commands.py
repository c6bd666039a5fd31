"""`sanpi approvals scan` and `sanpi approvals overdue`, as commands."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sanpi.approvals.models import Commitment, CreditRecord
from sanpi.core.models import AuditLog


def _run(*args) -> str:
    out = StringIO()
    call_command("approvals", *args, stdout=out)
    return out.getvalue()


def test_the_scan_is_idempotent_and_audited_as_the_operator(world, aw):
    assert "新记入信用记录0条" in _run("scan", "--date", "2021-12-31")
    out = _run("scan", "--date", "2022-01-01")
    assert "新记入信用记录2条" in out and "山西甲材料有限公司" in out
    assert CreditRecord.objects.count() == 2
    count = AuditLog.objects.count()
    assert "新记入信用记录0条" in _run("scan", "--date", "2022-01-01")
    assert "新记入信用记录0条" in _run("scan", "--date", "2023-01-01")
    assert AuditLog.objects.count() == count and CreditRecord.objects.count() == 2
    rows = AuditLog.objects.filter(object_type="approvals.creditrecord")
    assert {r.source for r in rows} == {"cli"} and all(r.username.startswith("cli:") for r in rows)
    assert set(Commitment.objects.values_list("status", flat=True)) == {"broken"}


def test_the_scan_as_a_county_account(world, aw):
    out = _run("scan", "--date", "2022-01-01", "--user", world.user("county").username)
    assert "新记入信用记录1条" in out
    with pytest.raises(CommandError, match="没有账号“nobody”"):
        _run("scan", "--user", "nobody")
    with pytest.raises(CommandError, match="日期“2022-13-01”无效"):
        _run("scan", "--date", "2022-13-01")
    with pytest.raises(CommandError, match="您没有权限执行此操作"):
        _run("scan", "--user", world.user("leader").username)


def test_the_overdue_list(world, aw):
    out = _run("overdue", "--date", "2021-12-01")
    assert (
        "甲新材料项目\t建筑工程施工许可证核发\t吕梁经开区行政审批局\t期限2021-09-27\t超期43个工作日"
        in out
    )
    assert "超期未办结1项" in out
