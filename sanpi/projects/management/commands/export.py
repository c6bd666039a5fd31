"""`sanpi export ledger FILE.xlsx [--user U] [--county CODE] [--zone ID] [--stage S]`.

Writes the ledger workbook (same columns as the import, with the 三个一批活动 sheet of
the activities referenced) of the projects the actor may see, filtered like the
project list. The export is audited.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sanpi.core.audit import audit_context
from sanpi.core.errors import ServiceError
from sanpi.projects.io import STAGE_BY_LABEL
from sanpi.projects.ledger_export import ledger_export
from sanpi.projects.rules import Stage
from sanpi.projects.selectors import ProjectFilter

from ._actor import command_actor


class Command(BaseCommand):
    help = "导出Excel项目台账（可按县(市、区)、开发区、阶段筛选）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=["ledger"], help="ledger：项目台账")
        parser.add_argument("file", help="导出到的文件（.xlsx）")
        parser.add_argument("--user", default="", help="以该账号的管辖范围导出（默认：全市）")
        parser.add_argument("--county", default="", help="县(市、区)行政区划代码")
        parser.add_argument("--zone", default="", help="开发区编号")
        parser.add_argument("--stage", default="", help="项目阶段：储备/签约/开工/投产/达效")

    def handle(self, kind: str, file: str, *, user: str, county: str, zone: str, stage: str, **o):
        stage_value = STAGE_BY_LABEL.get(stage, stage)
        if stage_value and stage_value not in {s.value for s in Stage}:
            raise CommandError(f"项目阶段“{stage}”无效，可选：{'、'.join(STAGE_BY_LABEL)}")
        if zone and not zone.isdigit():
            raise CommandError(f"开发区编号“{zone}”无效，应为数字")
        filters = ProjectFilter(county=county, zone=zone, stage=stage_value)
        with audit_context("cli"):
            actor = command_actor(user)
            try:
                export = ledger_export(by=actor, filters=filters)
            except ServiceError as exc:
                raise CommandError(exc.message, returncode=1) from None
        path = Path(file)
        try:
            path.write_bytes(export.data)
        except OSError as exc:
            raise CommandError(f"无法写入文件 {file}：{exc.strerror}") from None
        self.stdout.write(f"已导出{export.count}个项目到 {path}")
