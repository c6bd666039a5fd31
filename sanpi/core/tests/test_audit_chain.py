"""The audit log's hash chain: a row rewritten with the triggers switched off, a row
deleted, or the whole chain rewritten is found by `sanpi audit verify`, on SQLite and
PostgreSQL alike; the audit administrators are told."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from sanpi.accounts.tests.factories import UserFactory
from sanpi.core import audit, audit_chain, sm3
from sanpi.core.audit import audit_context
from sanpi.core.models import AuditLog, AuditSeal
from sanpi.core.tests.test_audit import _fire_deferred_constraints
from sanpi.core.tests.triggers import audit_triggers_suspended
from sanpi.notifications.models import Notification

pytestmark = pytest.mark.django_db


def _rows(n: int) -> list[AuditLog]:
    with audit_context("cli"):
        return [
            audit.record(
                user=None, username="tester", action="update", message=f"第{i}条",
                before={"金额": "100.00"}, after={"金额": f"{i}.00", "b": [1, 2]},
            )
            for i in range(n)
        ]  # fmt: skip


def _verify(*heads: str) -> str:
    out = io.StringIO()
    args = [a for h in heads for a in ("--head", h)]
    call_command("audit", "verify", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _tamper(sql: str, params: list) -> None:
    """What the table's owner can do: switch the triggers off, write, switch them on."""
    _fire_deferred_constraints()
    with audit_triggers_suspended(["default"]), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_rows_are_sealed_in_order_and_the_chain_verifies():
    rows = _rows(5)
    assert audit_chain.seal_pending() == 5
    assert audit_chain.seal_pending() == 0  # nothing twice
    seals = list(AuditSeal.objects.order_by("seq"))
    assert [s.seq for s in seals] == [1, 2, 3, 4, 5]
    assert [s.entry_id for s in seals] == [r.pk for r in rows]
    assert seals[0].prev == audit_chain.GENESIS
    assert all(b.prev == a.hash for a, b in zip(seals, seals[1:], strict=False))
    out = _verify()
    assert "审计链：逐条重算一致" in out
    head = audit_chain.head()
    # verify itself writes no audit row, so the head printed is the last seal.
    assert f"链头 {head.seq}:{head.hash}" in out


def test_a_row_rewritten_with_the_triggers_off_is_found():
    rows = _rows(3)
    audit_chain.seal_pending()
    _tamper("UPDATE core_auditlog SET message = %s WHERE id = %s", ["改过的说明", rows[1].pk])
    with pytest.raises(CommandError) as exc:
        _verify()
    assert f"审计记录编号{rows[1].pk}（审计链第2号）的内容与封存时不一致：已被改写" in str(
        exc.value
    )
    # The audit administrators are told.
    auditor = UserFactory(role="auditor")
    with pytest.raises(CommandError):
        _verify()
    told = Notification.objects.get(recipient=auditor, kind="audit_tampered")
    assert told.title == "审计日志校验未通过" and told.level == "urgent"


def test_a_deleted_row_and_its_seal_leave_a_gap():
    rows = _rows(3)
    audit_chain.seal_pending()
    _tamper("DELETE FROM core_auditseal WHERE entry_id = %s", [rows[1].pk])
    _tamper("DELETE FROM core_auditlog WHERE id = %s", [rows[1].pk])
    with pytest.raises(CommandError) as exc:
        _verify()
    assert "审计链缺号：第2至2号封存记录不见了" in str(exc.value)


def test_a_whole_rewritten_chain_is_found_against_an_earlier_head(tmp_path):
    rows = _rows(4)
    audit_chain.seal_pending()
    earlier = audit_chain.head()
    head_file = tmp_path / "backup.dump.audit-head.json"
    head_file.write_text(json.dumps(earlier.as_dict()), encoding="utf-8")
    # Rewrite row 2 and re-seal everything after it, as a careful attacker would.
    _tamper("UPDATE core_auditlog SET message = %s WHERE id = %s", ["重写", rows[1].pk])
    _tamper("DELETE FROM core_auditseal WHERE seq >= %s", [2])
    audit_chain.seal_pending()
    assert "逐条重算一致" in _verify()  # self-consistent again…
    with pytest.raises(CommandError) as exc:
        _verify(str(head_file))  # …but not with the head written down before
    assert "审计链第4号的哈希与先前记下的链头不同" in str(exc.value)
    with pytest.raises(CommandError) as exc:
        _verify(f"{earlier.seq}:{earlier.hash}")
    assert "链从此处或更早被整体重写" in str(exc.value)


def test_a_truncated_chain_is_found_against_an_earlier_head():
    _rows(3)
    audit_chain.seal_pending()
    earlier = audit_chain.head()
    _tamper("DELETE FROM core_auditseal WHERE seq = %s", [3])
    _tamper("DELETE FROM core_auditlog WHERE id = (SELECT max(id) FROM core_auditlog)", [])
    with pytest.raises(CommandError) as exc:
        _verify(f"{earlier.seq}:{earlier.hash}")
    assert "先前记下的链头第3号在审计链中不存在：链被截断" in str(exc.value)


def test_a_long_list_of_problems_stops_and_does_not_call_unread_heads_missing():
    _rows(audit_chain.MAX_LISTED + 5)
    audit_chain.seal_pending()
    later = audit_chain.head()
    _tamper("UPDATE core_auditlog SET message = message || %s", ["（改）"])
    report = audit_chain.verify(against=[later])
    assert len(report.problems) == audit_chain.MAX_LISTED + 2
    assert report.problems[-1] == "问题过多，其余未列出"
    assert not any("链被截断" in p for p in report.problems)  # the head was not reached


def test_a_bad_head_is_refused_with_the_expected_form():
    with pytest.raises(CommandError) as exc:
        _verify("abc")
    assert "链头应为 序号:哈希" in str(exc.value)


def test_head_command_prints_the_chain_head_as_json():
    _rows(2)
    out = io.StringIO()
    call_command("audit", "head", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed == {"seq": 2, "hash": AuditSeal.objects.get(seq=2).hash}


def test_the_same_content_hashes_the_same_whatever_the_database_returns():
    (row,) = _rows(1)
    audit_chain.seal_pending()
    values = AuditLog.objects.filter(pk=row.pk).values(*audit_chain.FIELDS).get()
    seal = AuditSeal.objects.get(entry=row)
    assert audit_chain.seal_hash(seal.prev, values) == seal.hash
    text = audit_chain.canonical(values).decode()
    assert '"金额"' in text and text.count("Z") >= 1  # UTC, Chinese kept as is


def test_verify_warns_when_the_database_account_could_switch_the_triggers_off():
    err = io.StringIO()
    call_command("audit", "verify", stdout=io.StringIO(), stderr=err)
    warning = err.getvalue()
    if connection.vendor == "postgresql":  # the suite's own server: the app owns its tables
        assert "可以停用审计表的触发器" in warning or "可以停用其触发器" in warning
    else:
        assert "SQLite：能写数据库文件的操作系统账号可以删除触发器" in warning


def test_the_audit_administrator_downloads_the_chain_head_and_that_is_audited(world, login):
    _rows(2)
    audit_chain.seal_pending()  # as the schedule does: the page reads the last seal
    response = login(world.user("auditor")).get("/audit/chain-head.json")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = json.loads(response.content)
    sealed = AuditSeal.objects.order_by("-seq").first()
    assert (body["seq"], body["hash"], body["algorithm"]) == (sealed.seq, sealed.hash, "sha256")
    row = AuditLog.objects.get(object_type="core.auditchain")
    assert row.action == "export" and row.after == {"seq": body["seq"], "hash": body["hash"]}
    # Nobody else may take it (the page walk covers every role).
    assert login(world.user("admin")).get("/audit/chain-head.json").status_code == 403


# --- SM3 (国密): SANPI_AUDIT_HASH=sm3 ----------------------------------------------------------


def test_an_sm3_chain_is_sealed_with_sm3_and_verifies(settings):
    settings.SANPI_AUDIT_HASH = "sm3"
    (row, *_) = _rows(3)
    audit_chain.seal_pending()
    seals = list(AuditSeal.objects.order_by("seq"))
    assert {s.algorithm for s in seals} == {"sm3"}
    values = AuditLog.objects.filter(pk=row.pk).values(*audit_chain.FIELDS).get()
    data = audit_chain.GENESIS.encode() + b"\n" + audit_chain.canonical(values)
    assert seals[0].hash == sm3.hexdigest(data) != hashlib.sha256(data).hexdigest()
    assert "逐条重算一致" in _verify()


def test_a_chain_that_switched_to_sm3_midway_verifies_and_still_finds_a_rewrite(settings):
    sha_rows = _rows(2)
    audit_chain.seal_pending()
    settings.SANPI_AUDIT_HASH = "sm3"
    sm3_rows = _rows(2)
    audit_chain.seal_pending()
    assert list(AuditSeal.objects.order_by("seq").values_list("algorithm", flat=True)) == [
        "sha256", "sha256", "sm3", "sm3",
    ]  # fmt: skip
    settings.SANPI_AUDIT_HASH = "sha256"  # and back: every seal keeps its own algorithm
    _rows(1)
    audit_chain.seal_pending()
    assert "逐条重算一致" in _verify()
    _tamper("UPDATE core_auditlog SET message = %s WHERE id = %s", ["改", sm3_rows[1].pk])
    _tamper("UPDATE core_auditlog SET message = %s WHERE id = %s", ["改", sha_rows[0].pk])
    with pytest.raises(CommandError) as exc:
        _verify()
    assert f"审计记录编号{sm3_rows[1].pk}（审计链第4号）的内容与封存时不一致" in str(exc.value)
    assert f"审计记录编号{sha_rows[0].pk}（审计链第1号）的内容与封存时不一致" in str(exc.value)


def test_a_seal_of_an_unknown_algorithm_is_reported():
    _rows(1)
    audit_chain.seal_pending()
    _tamper("UPDATE core_auditseal SET algorithm = %s", ["md5"])
    with pytest.raises(CommandError, match="审计链第1号的算法“md5”不可识别"):
        _verify()


def test_the_chain_head_file_names_the_newest_seals_algorithm(world, login, settings):
    settings.SANPI_AUDIT_HASH = "sm3"
    _rows(1)
    audit_chain.seal_pending()
    body = json.loads(login(world.user("auditor")).get("/audit/chain-head.json").content)
    assert body["algorithm"] == "sm3"
