"""`sanpi restore FILE --yes`: replace the whole database with a backup from `sanpi backup`."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from sanpi.accounts.actors import cli_actor
from sanpi.core import audit
from sanpi.core.audit import audit_context

from ._dbcopy import SUFFIX, BackupError, backup, check_file, restore


class Command(BaseCommand):
    help = (
        "用备份文件覆盖整个数据库（须加 --yes 确认）。恢复前先自动把当前数据库备份到 "
        "数据目录的 backups/ 下，恢复后写入审计日志。恢复前请先停止网页服务。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="由 sanpi backup 生成的备份文件")
        parser.add_argument("--yes", action="store_true", help="确认用备份覆盖当前数据库")
        parser.add_argument(
            "--no-safety-backup",
            action="store_true",
            help="恢复前不自动备份当前数据库（不建议）",
        )

    def handle(self, *args, file: str, yes: bool, no_safety_backup: bool, **opts):
        source = Path(file).expanduser().resolve()
        try:
            check_file(connection, source)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        if not yes:
            raise CommandError(
                f"恢复将用 {source} 覆盖当前数据库的全部数据（含备份之后的审计记录）。"
                "确认无误请加 --yes 重新运行。"
            )
        safety = None
        try:
            if not no_safety_backup:
                folder = Path(settings.DATA_DIR) / "backups"
                folder.mkdir(parents=True, exist_ok=True)
                stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
                safety = folder / f"pre-restore-{stamp}{SUFFIX[connection.vendor]}"
                backup(connection, safety)
                self.stdout.write(f"已先备份当前数据库到 {safety}")
            restore(connection, source)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        actor = cli_actor()
        note = f"；恢复前的数据库已备份到 {safety}" if safety else "；恢复前未备份当前数据库"
        with audit_context("cli"), transaction.atomic():
            audit.record(
                user=actor,
                action="import",
                object_type="database",
                object_repr=f"数据库（{connection.vendor}）",
                message=f"数据库恢复：自 {source}{note}",
            )
        self.stdout.write(f"已从 {source} 恢复 {connection.vendor} 数据库")
        self.stdout.write("如程序版本比备份新，请接着运行 sanpi migrate。")
