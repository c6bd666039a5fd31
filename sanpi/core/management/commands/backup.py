"""`sanpi backup FILE`: a consistent copy of the whole database, taken while the site runs."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from sanpi.accounts.actors import cli_actor
from sanpi.core import audit, audit_chain
from sanpi.core.audit import audit_context

from ._dbcopy import BackupError, backup


class Command(BaseCommand):
    help = (
        "备份整个数据库到文件：SQLite 用在线备份接口，PostgreSQL 用 pg_dump -Fc。"
        "运行中的系统无需停机；备份写入审计日志。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="备份文件路径（已存在的文件将被覆盖）")

    def handle(self, *args, file: str, **options):
        target = Path(file).expanduser()
        audit_chain.seal_pending()
        chain_head = audit_chain.head()  # every seal up to this head is in the backup
        try:
            size = backup(connection, target)
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        # The chain head beside the backup: a later rewrite of the whole chain shows
        # against it (`sanpi audit verify --head FILE`).
        head_file = target.with_name(target.name + ".audit-head.json")
        head_file.write_text(
            json.dumps({**chain_head.as_dict(), "backup": target.name}, ensure_ascii=False),
            encoding="utf-8",
        )
        actor = cli_actor()
        with audit_context("cli"), transaction.atomic():
            audit.record(
                user=actor,
                action="export",
                object_type="database",
                object_repr=f"数据库（{connection.vendor}）",
                message=f"数据库备份：{target.resolve()}（{size} 字节）；"
                f"审计链头 {chain_head.seq}:{chain_head.hash}",
            )
        self.stdout.write(f"已备份 {connection.vendor} 数据库到 {target.resolve()}（{size} 字节）")
        self.stdout.write(
            f"审计链头：{chain_head.seq}:{chain_head.hash}（已写入 {head_file.resolve()}）"
        )
