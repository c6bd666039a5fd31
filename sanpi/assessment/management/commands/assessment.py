"""`sanpi assessment template|import|score --scheme KEY --year Y …`: a year's assessment
from the command line.

    $ sanpi assessment template --scheme bank --year 2025 银行考核2025.xlsx
    $ sanpi assessment import --scheme bank --year 2025 银行考核2025.xlsx
    $ sanpi assessment compute --scheme zone --year 2025   (the zones': from the ledger)
    $ sanpi assessment score --scheme bank --year 2025 --json
    {"scheme": "bank", "year": 2025, "units": [{"name": …, "rank": 1, "total": "64.00", …}]}

The import checks every row and writes nothing when any is bad: every error is printed
(row, column, why, in Chinese) and the command exits 1. Bad arguments exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sanpi.core.errors import NotFound, ServiceError
from sanpi.core.imports import ImportRejected
from sanpi.projects.management.commands._actor import command_actor

from ... import io, services
from ...schemes import SCHEMES
from ...selectors import results, scheme_year_find, scores_json


class Command(BaseCommand):
    help = "考核评价：template 下载填报模板，import 导入数据，compute 从台账计算（开发区），score 计算得分与排名"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["template", "import", "compute", "score"])
        parser.add_argument("file", nargs="?", default="", help="模板或数据文件（.xlsx）")
        parser.add_argument("--scheme", required=True, help=f"考核方案：{'、'.join(SCHEMES)}")
        parser.add_argument("--year", type=int, required=True, help="考核年度")
        parser.add_argument("--json", action="store_true", dest="as_json")
        parser.add_argument("--user", default="", help="以该账号的身份操作（默认：运维）")

    def handle(self, action, file, *, scheme, year, as_json, user, **options):
        if scheme not in SCHEMES:
            raise CommandError(
                f"没有考核方案“{scheme}”（现有：{'、'.join(SCHEMES)}）", returncode=2
            )
        if action in ("template", "import") and not file:
            raise CommandError("请指定文件，如 考核数据.xlsx", returncode=2)
        by = command_actor(user)
        try:
            io.check_year(year)
            if action == "template":
                document = io.template(by=by, key=scheme, year=year)
                Path(file).write_bytes(document.data)
                self.stdout.write(f"已写入模板：{file}")
            elif action == "import":
                path = Path(file)
                if not path.is_file():
                    raise CommandError(f"找不到文件：{file}", returncode=2)
                summary = io.import_xlsx(
                    by=by, key=scheme, year=year, data=path.read_bytes(), filename=path.name
                )
                self.stdout.write(summary.text())
            elif action == "compute":
                n = services.inputs_compute(by=by, key=scheme, year=year)
                self.stdout.write(f"已从台账计算{year}年度考核数据：{n}个单位")
            else:
                # The stored results, scored first if the year's data changed since.
                row = scheme_year_find(scheme, year)
                if row is not None and row.stale:
                    services.rescore(row)
                if as_json:
                    self.stdout.write(json.dumps(scores_json(scheme, year), ensure_ascii=False))
                else:
                    self._print(scheme, year)
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"导入未完成：共{len(exc.errors)}处错误，未写入任何数据") from None
        except (NotFound, ServiceError) as exc:
            raise CommandError(exc.message, returncode=2) from None

    def _print(self, scheme: str, year: int) -> None:
        r = results(scheme, year)
        definition, ranked = r.scheme, r.units
        self.stdout.write(f"{year}年度{definition.name}")
        if not ranked:
            self.stdout.write("尚无数据")
        for u in ranked:
            mark = f"  一票否决：{u.veto}" if u.vetoed else ""
            self.stdout.write(f"{u.rank:>3}  {u.name}  {u.total}分{mark}")
