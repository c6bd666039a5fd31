"""Audit retention (core.audit_archive): rows past retention archived to a signed file,
verified, and only then purged; `sanpi audit verify` starts from the archived boundary and
still finds a rewritten row; the database refuses any other delete. SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from sanpi.accounts.actors import cli_actor
from sanpi.accounts.roles import ROLE_CAPS, Cap, Role
from sanpi.core import audit, audit_archive, audit_chain
from sanpi.core.audit import audit_context
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.models import AuditArchive, AuditLog, AuditPurge, AuditSeal
from sanpi.core.tests.test_audit import _fire_deferred_constraints
from sanpi.core.tests.test_settings import _settings
from sanpi.core.tests.triggers import audit_triggers_suspended

pytestmark = pytest.mark.django_db


@contextlib.contextmanager
def _days_ago(days: int):
    """Rows written now carry a time ``days`` ago (auto_now_add reads timezone.now)."""
    then = timezone.now() - dt.timedelta(days=days)
    with mock.patch("django.utils.timezone.now", return_value=then):
        yield


def _rows(n: int, *, days_ago: int = 0, label: str = "记录") -> list[AuditLog]:
    with _days_ago(days_ago), audit_context("cli"):
        rows = [
            audit.record(
                user=None, username="tester", action="update", message=f"{label}{i}",
                before={"金额": "1.00"}, after={"金额": f"{i}.00"},
            )
            for i in range(n)
        ]  # fmt: skip
    audit_chain.seal_pending()
    return rows


def _history() -> tuple[list[AuditLog], list[AuditLog]]:
    """Five rows 200 days old, three from today."""
    return _rows(5, days_ago=200, label="旧"), _rows(3, label="新")


def _cmd(*args: str) -> str:
    out = io.StringIO()
    call_command("audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _tamper(sql: str, params: list) -> None:
    """What the table's owner can do: switch the triggers off, write, switch them on."""
    _fire_deferred_constraints()
    with audit_triggers_suspended(["default"]), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _raw(sql: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def _archive(tmp_path: Path, name: str = "a.zip", *extra: str) -> Path:
    target = tmp_path / name
    _cmd("archive", "--out", str(target), *extra)
    return target


def _rewrite_zip(source: Path, target: Path, change) -> None:
    """Copy an archive, passing (manifest, lines) through ``change``."""
    with zipfile.ZipFile(source) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        lines = [json.loads(line) for line in zf.read("rows.jsonl").splitlines()]
    manifest, lines = change(manifest, lines)
    body = "".join(
        json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
        for x in lines
    ).encode()
    with zipfile.ZipFile(target, "w") as zf:
        zf.writestr("rows.jsonl", body)
        zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False))


# --- the whole way: archive, verify, purge, verify ---------------------------------------


@pytest.mark.django_db(transaction=True)  # real commits: the deferred foreign keys are checked
def test_archive_then_purge_then_verify_passes(tmp_path):
    old, new = _history()
    target = _archive(tmp_path)
    record = AuditArchive.objects.get()
    assert (record.first_seq, record.last_seq, record.count) == (1, 5, 5)
    assert (record.first_id, record.last_id) == (old[0].pk, old[-1].pk)
    assert record.head_hash == AuditSeal.objects.get(seq=5).hash
    assert record.filename == "a.zip"
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        lines = zf.read("rows.jsonl").decode().splitlines()
    assert manifest["count"] == 5 and len(lines) == 5
    assert manifest["prev_hash"] == audit_chain.GENESIS
    assert manifest["head_hash"] == record.head_hash
    assert manifest["key_source"] == "SECRET_KEY"
    assert manifest["signature_algorithm"] == "hmac-sha256"
    assert json.loads(lines[0])["row"]["message"] == "旧0"
    assert AuditLog.objects.count() == 9  # archiving deletes nothing (8 rows + its own)

    out = _cmd("archive-verify", str(target))
    assert "归档文件核验通过" in out

    out = _cmd("purge", "--archive", str(target))
    assert "已清除审计链第1至5号，共5条" in out
    assert not AuditLog.objects.filter(pk__in=[r.pk for r in old]).exists()
    assert AuditLog.objects.filter(pk__in=[r.pk for r in new]).count() == 3
    assert not AuditSeal.objects.filter(seq__lte=5).exists()
    purge = AuditPurge.objects.get()
    assert (purge.last_seq, purge.head_hash) == (5, record.head_hash)
    assert audit_chain.boundary() == audit_chain.Head(5, record.head_hash)

    out = _cmd("verify")
    assert "审计链起点：已归档清除至第5号，自第6号起核验" in out
    assert "逐条重算一致" in out
    # The log says what happened: the archive, its verification and the purge.
    actions = list(AuditLog.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-3:] == ["archive", "archive_verify", "purge"]
    assert AuditLog.objects.get(action="purge").username.startswith("cli:")
    # Writing goes on after the boundary; a second purge of the same file is refused.
    _rows(2, label="以后")
    assert "逐条重算一致" in _cmd("verify")
    with pytest.raises(CommandError, match="该归档已于.*清除过"):
        _cmd("purge", "--archive", str(target))


def test_archives_follow_each_other_from_the_boundary(tmp_path):
    _rows(3, days_ago=300)
    _rows(2, days_ago=250)
    _rows(1)
    before = (timezone.localdate() - dt.timedelta(days=270)).isoformat()
    first = _archive(tmp_path, "1.zip", "--before", before)
    assert AuditArchive.objects.get().last_seq == 3
    _cmd("purge", "--archive", str(first))
    second = _archive(tmp_path, "2.zip")
    record = AuditArchive.objects.order_by("-pk").first()
    assert (record.first_seq, record.last_seq) == (4, 5)
    with zipfile.ZipFile(second) as zf:
        assert (
            json.loads(zf.read("manifest.json"))["prev_hash"] == AuditPurge.objects.get().head_hash
        )
    _cmd("purge", "--archive", str(second))
    assert "自第6号起核验" in _cmd("verify")


def test_a_stale_archive_that_no_longer_continues_the_chain_is_refused(tmp_path):
    _rows(3, days_ago=300)
    _rows(2, days_ago=250)
    short = _archive(
        tmp_path, "short.zip", "--before", str(timezone.localdate() - dt.timedelta(days=270))
    )
    full = _archive(tmp_path, "full.zip")
    _cmd("purge", "--archive", str(full))
    with pytest.raises(CommandError, match="不接续在线审计链的起点（第5号之后）"):
        _cmd("purge", "--archive", str(short))


# --- no purge without an archive -------------------------------------------------------------


def test_purge_without_an_archive_is_refused(tmp_path):
    old, _ = _history()
    with pytest.raises(CommandError, match="文件不存在"):
        _cmd("purge", "--archive", str(tmp_path / "none.zip"))
    # A well-signed file this system never recorded (written, not registered).
    stray = tmp_path / "stray.zip"
    plan = audit_archive.archive_plan(by=cli_actor())
    with open(stray, "wb") as fh:
        audit_archive._write(fh, plan, made_by="cli:someone")
    assert "归档文件核验通过" in _cmd("archive-verify", str(stray))
    with pytest.raises(CommandError, match="不是本系统登记过的审计归档"):
        _cmd("purge", "--archive", str(stray))
    # Not an archive at all.
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CommandError, match="不是 sanpi 的审计归档文件"):
        _cmd("purge", "--archive", str(junk))
    assert AuditLog.objects.filter(pk__in=[r.pk for r in old]).count() == 5
    assert not AuditPurge.objects.exists()


def test_the_database_refuses_a_delete_no_purge_covers():
    old, _ = _history()
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM core_auditlog WHERE id = %s", [old[0].pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM core_auditseal WHERE seq = %s", [1])
    assert AuditLog.objects.filter(pk=old[0].pk).exists()


def test_the_database_keeps_the_last_180_days_even_under_a_forged_boundary():
    """The application's role can insert a purge record; it still cannot delete a row
    younger than 180 days, nor a seal whose row is still there."""
    _, new = _history()
    forged = AuditArchive.objects.create(
        username="x", before=timezone.now(), first_seq=1, last_seq=8, first_id=1, last_id=8,
        count=8, oldest_at=timezone.now(), newest_at=timezone.now(), prev_hash="0" * 64,
        head_hash="f" * 64, digest="e" * 64,
    )  # fmt: skip
    AuditPurge.objects.create(archive=forged, username="x", last_seq=8, head_hash="f" * 64)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM core_auditlog WHERE id = %s", [new[0].pk])
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM core_auditseal WHERE seq = %s", [1])  # its row is still there
    assert AuditLog.objects.filter(pk=new[0].pk).exists()
    # …and verify does not take the forged boundary for a real one.
    with pytest.raises(CommandError) as exc:
        _cmd("verify")
    assert "已归档清除的范围（第1至8号）内仍有8条封存记录" in str(exc.value)


def test_a_temporary_table_cannot_stand_in_for_the_boundary():
    """A session's own temporary table of the same name comes first in its search path;
    the guards do not read it (PostgreSQL: fixed search_path; SQLite: the trigger's schema)."""
    old, _ = _history()
    with connection.cursor() as cursor:  # rolled back with the test's transaction
        cursor.execute("CREATE TEMP TABLE core_auditpurge (last_seq bigint)")
        cursor.execute("INSERT INTO core_auditpurge (last_seq) VALUES (1000)")
    with pytest.raises(DatabaseError, match="append-only"):
        _raw("DELETE FROM core_auditlog WHERE id = %s", [old[0].pk])
    assert AuditLog.objects.filter(pk=old[0].pk).exists()


def test_archive_and_purge_records_are_append_only(tmp_path):
    _history()
    _cmd("purge", "--archive", str(_archive(tmp_path)))
    for table in ("core_auditarchive", "core_auditpurge"):
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(f"UPDATE {table} SET username = %s", ["改"])
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(f"DELETE FROM {table}", [])
    with pytest.raises(RuntimeError):
        AuditPurge.objects.get().delete()


# --- retention --------------------------------------------------------------------------


def test_rows_inside_the_retention_window_are_not_archived_nor_purged(tmp_path, settings):
    _history()
    latest = timezone.localdate() - dt.timedelta(days=180)
    with pytest.raises(CommandError, match=f"归档截止日期不能晚于{latest:%Y-%m-%d}"):
        _archive(tmp_path, "x.zip", "--before", str(latest + dt.timedelta(days=1)))
    target = _archive(tmp_path)  # the five rows 200 days old
    # The deployment now keeps a year online: those rows are inside the window again.
    settings.SANPI_AUDIT_RETENTION_DAYS = 365
    with pytest.raises(CommandError, match="未满保留期365天，未清除"):
        _cmd("purge", "--archive", str(target))
    assert AuditLog.objects.count() == 9 and not AuditPurge.objects.exists()


def test_nothing_old_enough_is_said_so(tmp_path):
    _rows(3)
    with pytest.raises(CommandError, match="尚未归档清除的审计记录，无需归档"):
        _archive(tmp_path)
    assert not AuditArchive.objects.exists()


def test_retention_below_180_days_stops_the_start(tmp_path):
    done = _settings(tmp_path, "s.SANPI_AUDIT_RETENTION_DAYS", SANPI_AUDIT_RETENTION_DAYS="90")
    assert done.returncode != 0
    assert "SANPI_AUDIT_RETENTION_DAYS 不能小于 180" in done.stderr
    done = _settings(tmp_path, "s.SANPI_AUDIT_RETENTION_DAYS, s.SANPI_AUDIT_HASH")
    assert done.stdout.strip() == "180 sha256"
    done = _settings(tmp_path, "s.SANPI_AUDIT_HASH", SANPI_AUDIT_HASH="md5")
    assert done.returncode != 0 and "SANPI_AUDIT_HASH 须为 sha256 或 sm3" in done.stderr


# --- a file changed after it was written -----------------------------------------------------


def test_a_tampered_archive_file_is_found(tmp_path):
    _history()
    target = _archive(tmp_path)

    def edit_row(manifest, lines):
        lines[2]["row"]["message"] = "改过"
        return manifest, lines

    edited = tmp_path / "edited.zip"
    _rewrite_zip(target, edited, edit_row)
    with pytest.raises(CommandError) as exc:
        _cmd("archive-verify", str(edited))
    assert "归档第3号（审计记录编号" in str(exc.value) and "已被改动" in str(exc.value)
    assert "rows_sha256 与内容不符" in str(exc.value)

    def forge(manifest, lines):
        """Change a row and make everything consistent again, except the signature."""
        lines[2]["row"]["message"] = "改过"
        prev = manifest["prev_hash"]
        for line in lines:
            row = audit_archive._row_in(line["row"])
            line["prev"], line["hash"] = prev, audit_chain.seal_hash(prev, row, line["algorithm"])
            prev = line["hash"]
        body = "".join(
            json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
            for x in lines
        ).encode()
        import hashlib

        manifest.update(head_hash=prev, rows_sha256=hashlib.sha256(body).hexdigest())
        return manifest, lines

    forged = tmp_path / "forged.zip"
    _rewrite_zip(target, forged, forge)
    with pytest.raises(CommandError, match="签名不符：归档文件的清单被改动过"):
        _cmd("archive-verify", str(forged))
    with pytest.raises(CommandError, match="归档文件核验未通过，未清除"):
        _cmd("purge", "--archive", str(forged))
    # Each verification is audited, with its verdict.
    verdicts = AuditLog.objects.filter(action="archive_verify").order_by("pk")
    assert [v.after["ok"] for v in verdicts] == [False, False]
    assert all("未通过" in v.message for v in verdicts)


def test_another_key_is_told_apart_from_a_changed_file(tmp_path, settings):
    _history()
    target = _archive(tmp_path)
    settings.SANPI_AUDIT_ARCHIVE_KEY = "另一把密钥-another-key-0123456789"
    with pytest.raises(CommandError, match="签名密钥与本机不同"):
        _cmd("archive-verify", str(target))
    # Signed with the dedicated key, the manifest says so.
    target = _archive(tmp_path, "b.zip")
    with zipfile.ZipFile(target) as zf:
        assert json.loads(zf.read("manifest.json"))["key_source"] == "SANPI_AUDIT_ARCHIVE_KEY"
    assert "核验通过" in _cmd("archive-verify", str(target))


def test_archive_verify_checks_heads_written_down_earlier(tmp_path):
    _rows(4, days_ago=200)
    earlier = audit_chain.head()
    target = _archive(tmp_path)
    assert "核验通过" in _cmd(
        "archive-verify", str(target), "--head", f"{earlier.seq}:{earlier.hash}"
    )
    with pytest.raises(CommandError, match="第4号的哈希与先前记下的链头不同"):
        _cmd("archive-verify", str(target), "--head", f"{earlier.seq}:{'a' * 64}")


def test_online_rows_changed_since_the_archive_are_not_purged(tmp_path):
    old, _ = _history()
    target = _archive(tmp_path)
    _tamper("UPDATE core_auditlog SET message = %s WHERE id = %s", ["改过", old[1].pk])
    with pytest.raises(CommandError) as exc:
        _cmd("purge", "--archive", str(target))
    assert f"在线审计记录编号{old[1].pk}（审计链第2号）已被改写" in str(exc.value)
    assert AuditLog.objects.filter(pk=old[1].pk).exists()


# --- after a purge, verify still finds what was changed -------------------------------------------


def test_a_row_rewritten_after_the_purge_is_still_found(tmp_path):
    _, new = _history()
    _cmd("purge", "--archive", str(_archive(tmp_path)))
    _tamper("UPDATE core_auditlog SET message = %s WHERE id = %s", ["改过", new[0].pk])
    with pytest.raises(CommandError) as exc:
        _cmd("verify")
    assert f"审计记录编号{new[0].pk}（审计链第6号）的内容与封存时不一致：已被改写" in str(exc.value)


def test_the_first_online_row_deleted_after_the_purge_is_found(tmp_path):
    _history()
    target = _archive(tmp_path)
    head = audit_chain.head()
    _cmd("purge", "--archive", str(target))
    # The row just after the boundary, deleted with its seal by the owner.
    seal = AuditSeal.objects.get(seq=6)
    _tamper("DELETE FROM core_auditseal WHERE seq = %s", [6])
    _tamper("DELETE FROM core_auditlog WHERE id = %s", [seal.entry_id])
    with pytest.raises(CommandError) as exc:
        _cmd("verify")
    assert "审计链缺号：第6至6号封存记录不见了" in str(exc.value)
    # A head written down before the purge, beyond the boundary, is still met and matches.
    report = audit_chain.verify(against=[head])
    assert head.seq > 5 and not any("链头" in p for p in report.problems)


def test_verify_tells_which_heads_only_the_archive_can_check(tmp_path):
    _rows(3, days_ago=200)
    inside = audit_chain.head()
    _rows(2, days_ago=200)
    boundary_head = audit_chain.head()
    _cmd("purge", "--archive", str(_archive(tmp_path)))
    out = _cmd("verify", "--head", f"{inside.seq}:{inside.hash}")
    assert "提示：链头第3号在已归档并清除的范围内（第1至5号）" in out
    assert "逐条重算一致" in _cmd("verify", "--head", f"{boundary_head.seq}:{boundary_head.hash}")
    with pytest.raises(CommandError, match="与归档清除时记录的链头不同"):
        _cmd("verify", "--head", f"{boundary_head.seq}:{'b' * 64}")


# --- SM3 -------------------------------------------------------------------------------


def test_a_mixed_chain_archives_and_verifies_with_each_seals_algorithm(tmp_path, settings):
    _rows(2, days_ago=220)  # SHA-256
    settings.SANPI_AUDIT_HASH = "sm3"
    _rows(2, days_ago=210)  # SM3
    target = _archive(tmp_path)
    with zipfile.ZipFile(target) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["algorithms"] == ["sha256", "sm3"]
    assert manifest["signature_algorithm"] == "hmac-sm3"
    assert "核验通过" in _cmd("archive-verify", str(target))
    _cmd("purge", "--archive", str(target))
    _rows(1)
    assert "逐条重算一致" in _cmd("verify")


# --- who may, and the page -------------------------------------------------------------------


def test_only_the_audit_administrator_archives(world):
    assert {r for r, caps in ROLE_CAPS.items() if Cap.AUDIT_ARCHIVE in caps} == {Role.AUDITOR}
    _history()
    with pytest.raises(PermissionDenied):
        audit_archive.archive_make(by=world.user("admin"), out=io.BytesIO())
    with pytest.raises(PermissionDenied):
        audit_archive.archive_purge(by=world.user("city_office"), file=io.BytesIO())


def test_the_audit_administrator_archives_on_the_page_and_downloads_the_file(world, login):
    old, _ = _history()
    client = login(world.user("auditor"))
    html = client.get(reverse("core:audit_log")).content.decode()
    assert 'id="audit-archives"' in html and "尚无归档" in html
    assert "审计记录至少在线保存 180 天" in html
    response = client.post(reverse("core:audit_archive"), {"before": ""})
    assert response.status_code == 302
    job_url = response.url
    assert "已归档审计链第1至5号，共5条审计记录" in client.get(job_url).content.decode()
    download = client.get(job_url + "download/")
    assert download.status_code == 200
    data = b"".join(download.streaming_content)
    checked = audit_archive.archive_check(io.BytesIO(data))
    assert checked.ok, checked.problems
    record = AuditArchive.objects.get()
    assert checked.digest == record.digest and record.username == "auditor"
    row = AuditLog.objects.get(action="archive")
    assert row.user == world.user("auditor") and record.digest in row.message
    html = client.get(reverse("core:audit_log")).content.decode()
    assert record.digest in html and "未清除" in html
    # A date inside the retention window is refused on the page, with the reason.
    too_late = timezone.localdate().isoformat()
    response = client.post(reverse("core:audit_archive"), {"before": too_late}, follow=True)
    assert "归档截止日期不能晚于" in response.content.decode()
    assert AuditArchive.objects.count() == 1
    # Others see no archive section.
    html = login(world.user("admin")).get("/").content.decode()
    assert 'id="audit-archives"' not in html


def test_the_page_archive_is_bounded(world, login, monkeypatch):
    _rows(5, days_ago=200)
    monkeypatch.setattr(audit_archive, "WEB_MAX_ROWS", 3)
    client = login(world.user("auditor"))
    response = client.post(reverse("core:audit_archive"), {})
    assert AuditArchive.objects.get().count == 3
    assert response.status_code == 302


def test_the_service_refuses_what_a_job_could_not_do(world):
    with pytest.raises(ValidationFailed):
        audit_archive.archive_plan(by=world.user("auditor"))
