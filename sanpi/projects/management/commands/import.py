"""`sanpi import ledger FILE [--dry-run] [--user USERNAME] [--marked OUT.xlsx] [--map 表头=模板列]…`.

Imports a ledger file (.xlsx, .xls or .csv). ``--map "企业名称=项目单位"`` says which
template column a header of the file is (repeatable; ``--map "备注="`` ignores a column). Exit 0 with a summary on success; exit 1 with every error
("第N行 列名: 原因", one a line, on stderr) on bad input, having written nothing (and,
with --marked, a copy of the file with the bad cells marked). Runs as the operator
(`cli_actor`, city-wide rights) or, with --user, as that account with its scope.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sanpi.core.audit import audit_context
from sanpi.core.errors import ServiceError
from sanpi.core.imports import ImportRejected
from sanpi.projects.io import LEDGER, ledger_import

from ._actor import command_actor


class Command(BaseCommand):
    help = "导入Excel项目台账（工作表“项目台账”，可附“三个一批活动”）；有任何错误则整份不导入"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["ledger"], help="ledger：项目台账")
        parser.add_argument("file", help="台账文件（.xlsx、.xls 或 .csv）")
        parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
        parser.add_argument(
            "--user", default="", help="以该账号的身份和管辖范围导入（默认：操作员）"
        )
        parser.add_argument("--marked", default="", help="有错误时，把标出错误单元格的文件写到这里")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="表头=模板列",
            help="指定文件中某列对应的模板列，如 --map 企业名称=项目单位（可重复；模板列留空则不导入该列）",
        )

    def handle(self, kind: str, file: str, *, dry_run: bool, user: str, marked: str, **options):
        mapping = _mapping(options["map"])
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        data = path.read_bytes()
        with audit_context("cli"):
            actor = command_actor(user)
            try:
                result = ledger_import(
                    by=actor, data=data, dry_run=dry_run, filename=path.name, mapping=mapping
                )
            except ImportRejected as exc:
                for line in exc.lines:
                    self.stderr.write(line)
                if marked and exc.marked:
                    Path(marked).write_bytes(exc.marked)
                    self.stderr.write(f"已把标出错误的文件写到 {marked}")
                raise CommandError(exc.message, returncode=1) from None
            except ServiceError as exc:
                raise CommandError(exc.message, returncode=1) from None
        self.stdout.write(result.summary_text())


def _mapping(items: list[str]) -> dict[str, str]:
    targets = {c.header for c in LEDGER.columns}
    out: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source:
            raise CommandError(
                f"--map “{item}”格式不对，应为 表头=模板列，如 企业名称=项目单位", returncode=2
            )
        if target and target not in targets:
            raise CommandError(
                f"--map “{item}”：“{target}”不是模板的列（模板的列：{'、'.join(sorted(targets))}）",
                returncode=2,
            )
        out[source] = target
    return out
