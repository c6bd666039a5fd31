"""`sanpi import ledger` and `sanpi export ledger`: exit codes, output, what is written.

In-process through `call_command` (with the exit status Django gives a CommandError),
and once for real as the installed console command in a subprocess."""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from sanpi.core import xlsx
from sanpi.core.models import AuditLog
from sanpi.projects.io import LEDGER
from sanpi.projects.models import Project
from sanpi.projects.tests.ledger_files import row, signed, workbook

pytestmark = pytest.mark.django_db


class Run:
    """One command run: its exit status and what it printed."""

    def __init__(self, *args: str) -> None:
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*args, stdout=out, stderr=err)
            self.code = 0
        except CommandError as exc:  # what `sanpi` prints and exits with
            err.write(f"CommandError: {exc}\n")
            self.code = exc.returncode
        self.out, self.err = out.getvalue(), err.getvalue()


def sanpi(*args: str) -> Run:
    return Run(*args)


@pytest.fixture
def ledger(tmp_path):
    def write(rows, name="台账.xlsx", **kwargs):
        path = tmp_path / name
        path.write_bytes(workbook(rows, **kwargs))
        return str(path)

    return write


def test_import_succeeds_with_a_summary(world, ledger):
    run = sanpi("import", "ledger", ledger([row(1), signed(2)]))
    assert (run.code, run.err) == (0, "")
    assert run.out.strip() == (
        "导入完成。共2行：新增项目2个，更新0个，未变化0个；新增企业2家；新增活动0个；新增活动归属1条。"
    )
    assert Project.objects.filter(name__startswith="新材料项目").count() == 2
    summary = AuditLog.objects.get(action="import")
    operator = f"cli:{getpass.getuser()}"
    assert (summary.source, summary.user, summary.username) == ("cli", None, operator)
    assert summary.message.startswith("导入项目台账“台账.xlsx”：导入完成。")
    created = AuditLog.objects.filter(action="create", object_type="projects.project")
    assert {(log.source, log.username) for log in created} == {("cli", operator)}


def test_bad_input_exits_1_with_every_error_and_writes_nothing(world, ledger):
    path = ledger([row(1), row(2, **{"所属县(市、区)": "太原市"}), row(3, 项目阶段="签约")])
    before = (Project.objects.count(), AuditLog.objects.count())
    run = sanpi("import", "ledger", path)
    assert (run.code, run.out) == (1, "")
    assert run.err.splitlines() == [
        "第3行 所属县(市、区)（E列）: “太原市”不是吕梁市的县(市、区)（可填全称如“离石区”、简称如“离石”或6位代码）",
        "第4行 签约日期（O列）: 项目阶段为“签约”，须填写签约日期",
        "CommandError: 文件有2处错误，未导入任何数据，请改正后重新导入。",
    ]
    assert (Project.objects.count(), AuditLog.objects.count()) == before


def test_marked_copy_on_request(world, ledger, tmp_path):
    marked = tmp_path / "标注.xlsx"
    run = sanpi("import", "ledger", ledger([row(1, 是否市重点="不")]), "--marked", str(marked))
    assert run.code == 1
    assert run.err.splitlines() == [
        "第2行 是否市重点（Z列）: 应填“是”或“否”，实为“不”",
        f"已把标出错误的文件写到 {marked}",
        "CommandError: 文件有1处错误，未导入任何数据，请改正后重新导入。",
    ]
    assert xlsx.marked_cells(marked.read_bytes()) == {
        "项目台账": {"Z2": "应填“是”或“否”，实为“不”"}
    }


def test_dry_run_reports_and_writes_nothing(world, ledger):
    before = (Project.objects.count(), AuditLog.objects.count())
    run = sanpi("import", "ledger", ledger([row(1)]), "--dry-run")
    assert run.code == 0
    assert run.out.startswith(
        "校验通过，未写入任何数据（仅校验）。若正式导入将：共1行：新增项目1个"
    )
    assert (Project.objects.count(), AuditLog.objects.count()) == before
    # …and a bad file still fails the dry run.
    run = sanpi("import", "ledger", ledger([row(1, 是否标准地="也许")]), "--dry-run")
    assert run.code == 1
    assert run.err.splitlines()[0] == "第2行 是否标准地（M列）: 应填“是”或“否”，实为“也许”"


def test_import_as_a_user_keeps_to_their_scope(world, ledger):
    outside = ledger([row(1, **{"所属县(市、区)": "孝义市", "所属开发区": None})])
    run = sanpi("import", "ledger", outside, "--user", "county_a")
    assert (run.code, run.err.splitlines()[0]) == (
        1,
        "第2行 所属县(市、区)（E列）: 超出您的管辖范围",
    )
    assert (
        sanpi("import", "ledger", ledger([row(2)], name="b.xlsx"), "--user", "county_a").code == 0
    )
    summary = AuditLog.objects.get(action="import")
    assert (summary.user, summary.source) == (world.user("county"), "cli")
    run = sanpi("import", "ledger", ledger([row(3)], name="c.xlsx"), "--user", "leader")
    assert (run.code, run.err) == (1, "CommandError: 您没有权限执行此操作\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "CommandError: 没有账号“nobody”（或账号已停用）"),
        (["--no-such-option"], "CommandError: Error: unrecognized arguments: --no-such-option"),
    ],
)
def test_usage_errors(world, ledger, args, message):
    run = sanpi("import", "ledger", ledger([row(1)]), *args)
    assert (run.code, run.err.strip()) == (1, message)


def test_missing_and_unreadable_files(world, tmp_path):
    run = sanpi("import", "ledger", str(tmp_path / "nope.xlsx"))
    assert (run.code, run.err.strip()) == (1, f"CommandError: 文件不存在：{tmp_path / 'nope.xlsx'}")
    text = tmp_path / "ledger.csv"
    text.write_text("项目名称\n甲\n")
    run = sanpi("import", "ledger", str(text))
    assert run.code == 1
    assert run.err.splitlines()[0] == (
        "第1行 项目单位: 找不到此列（表头在第1行）。文件的表头中没有可对应的列"
    )
    pdf = tmp_path / "ledger.xlsx"
    pdf.write_bytes(b"%PDF-1.4")
    run = sanpi("import", "ledger", str(pdf))
    assert (run.code, run.err.splitlines()[0]) == (
        1,
        "这是 PDF 文件，不是表格，请上传 .xlsx、.xls 或 .csv 文件",
    )


def test_export_writes_the_ledger(world, tmp_path):
    out = tmp_path / "导出.xlsx"
    run = sanpi("export", "ledger", str(out))
    assert (run.code, run.out.strip()) == (0, f"已导出2个项目到 {out}")
    ws = load_workbook(io.BytesIO(out.read_bytes()), read_only=True)["项目台账"]
    assert sorted(r[1] for r in ws.iter_rows(min_row=2, values_only=True)) == [
        "乙装备制造项目",
        "甲新材料项目",
    ]
    log = AuditLog.objects.get(action="export")
    assert (log.source, log.username) == ("cli", f"cli:{getpass.getuser()}")
    # …and importing it back changes nothing.
    run = sanpi("import", "ledger", str(out))
    assert run.code == 0
    assert "新增项目0个，更新0个，未变化2个" in run.out


@pytest.mark.parametrize(
    ("args", "count"),
    [
        (["--county", "141181"], 1),
        (["--zone", "{zone_a}"], 1),
        (["--stage", "储备"], 2),
        (["--stage", "signed"], 0),
        (["--user", "county_a"], 1),
        (["--user", "county_a", "--county", "141181"], 0),
    ],
)
def test_export_filters(world, tmp_path, args, count):
    out = tmp_path / "f.xlsx"
    args = [a.format(zone_a=world.zone_a.pk) for a in args]
    run = sanpi("export", "ledger", str(out), *args)
    assert (run.code, run.out.strip()) == (0, f"已导出{count}个项目到 {out}")


def test_export_refusals(world, tmp_path):
    out = tmp_path / "f.xlsx"
    run = sanpi("export", "ledger", str(out), "--stage", "在建")
    assert (run.code, run.err.strip()) == (
        1,
        "CommandError: 项目阶段“在建”无效，可选：储备、签约、开工、投产、达效",
    )
    run = sanpi("export", "ledger", str(out), "--user", "auditor")
    assert (run.code, run.err.strip()) == (1, "CommandError: 您没有权限执行此操作")
    assert not out.exists()


def test_the_console_command_exits_0_and_1(tmp_path):
    """The installed `sanpi` on a fresh SQLite database, as an operator runs it."""
    sanpi_bin = Path(sys.executable).with_name("sanpi")
    env = {**os.environ, "SANPI_DATA_DIR": str(tmp_path), "DATABASE_URL": ""}
    db = ["--database-url", f"sqlite:///{tmp_path / 'cli.sqlite3'}"]

    def run(*args):
        return subprocess.run(
            [str(sanpi_bin), *args, *db], env=env, capture_output=True, text=True, timeout=300
        )

    assert run("migrate", "--verbosity", "0").returncode == 0
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([row(1, 所属开发区=None)]))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([row(1, 所属开发区=None, **{"总投资(万元)": -1})]))

    done = run("import", "ledger", str(bad))
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "第2行 总投资(万元)（I列）: 不能为负数"
    done = run("import", "ledger", str(good), "--dry-run")
    assert (done.returncode, done.stdout.startswith("校验通过")) == (0, True)
    done = run("import", "ledger", str(good))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("导入完成。共1行：新增项目1个")
    done = run("export", "ledger", str(tmp_path / "out.xlsx"))
    assert (done.returncode, done.stdout.strip()) == (0, f"已导出1个项目到 {tmp_path / 'out.xlsx'}")


def test_map_names_the_template_column_of_a_header(world, tmp_path):
    headers = ["企业名字" if h == "项目单位" else h for h in LEDGER.headers]
    path = tmp_path / "台账.csv"
    cells = {("企业名字" if k == "项目单位" else k): v for k, v in row(1).items()}
    path.write_text(
        ",".join(headers)
        + "\n"
        + ",".join("" if cells[h] is None else str(cells[h]) for h in headers),
        encoding="gbk",
    )
    run = sanpi("import", "ledger", str(path))
    assert (run.code, run.err.splitlines()[0]) == (
        1,
        "第1行 项目单位: 找不到此列（表头在第1行）。文件中未能对应的列：C列“企业名字”",
    )
    run = sanpi("import", "ledger", str(path), "--map", "企业名字=项目单位", "--map", "备注=")
    assert (run.code, run.err) == (0, "")
    assert Project.objects.get(name="新材料项目1").enterprise.name == "山西测试1科技有限公司"
    for bad, message in [
        ("企业名字", "--map “企业名字”格式不对，应为 表头=模板列，如 企业名称=项目单位"),
        ("企业名字=企业", "--map “企业名字=企业”：“企业”不是模板的列"),
    ]:
        run = sanpi("import", "ledger", str(path), "--map", bad)
        assert run.code == 2 and run.err.strip().startswith("CommandError: " + message), run.err
