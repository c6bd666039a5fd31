"""The ledger's main path in a real browser: import a file with an error, see the error,
fix it, import it, read the rates. A county officer does it, in the background-thread
import with its progress page, as in production."""

from __future__ import annotations

import datetime as dt
from io import BytesIO

import openpyxl

from sanpi.accounts.tests.factories import UserFactory
from sanpi.projects.io import LEDGER
from sanpi.projects.models import Project
from sanpi.projects.tests.factories import ActivityFactory
from sanpi.regions.models import County
from sanpi.regions.tests.factories import ZoneFactory, make_credit_code


def _ledger(rows: list[dict]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = LEDGER.name
    headers = LEDGER.headers
    ws.append(headers)
    for row in rows:
        ws.append([row.get(h) for h in headers])
    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _row(name: str, credit_code: str, **more) -> dict:
    return {
        "项目名称": name,
        "项目单位": f"{name[:2]}材料有限公司",
        "统一社会信用代码": credit_code,
        "所属县(市、区)": "离石区",
        "所属开发区": "吕梁经济技术开发区",
        "产业类别": "新材料",
        "建设性质": "新建",
        "总投资(万元)": 12000.5,
        "预计年产值(万元)": "30000",
        "项目阶段": "签约",
        "签约日期": dt.datetime(2021, 10, 30),
        "签约批次": "2021-4",
        "签约方式": "现场签约",
        **more,
    }


def test_import_error_fix_import_and_see_the_rates(page, log_in, worker, tmp_path):
    # The real upload path: the job queued in the database, a worker process, a progress page.
    county = County.objects.get(code="141102")
    ZoneFactory(name="吕梁经济技术开发区", county=county)
    ActivityFactory(year=2021, sequence=4, date=dt.date(2021, 10, 30))
    UserFactory(username="lishi", role="county", county=county, full_name="离石区项目办")
    good_a, good_b = make_credit_code(501, "141102"), make_credit_code(502, "141102")
    bad_b = good_b[:17] + ("0" if good_b[17] != "0" else "1")
    started = {"项目阶段": "开工", "开工日期": "2022-03-01"}

    bad_file = tmp_path / "台账-有错.xlsx"
    bad_file.write_bytes(
        _ledger([_row("甲铝材项目", good_a, **started), _row("乙碳材项目", bad_b)])
    )
    log_in("lishi")
    page.goto("/ledger/import/")
    page.set_input_files("#id_file", str(bad_file))
    page.get_by_role("button", name="上传并导入").click()

    errors = page.locator("#job-errors")
    errors.wait_for()
    assert (
        f"第3行 统一社会信用代码（D列）: 校验位错误（第18位应为{good_b[17]}）"
        in errors.inner_text()
    )
    assert Project.objects.count() == 0  # nothing half-written
    with page.expect_download() as download:
        page.locator("#marked-link").click()
    marked = openpyxl.load_workbook(BytesIO(download.value.path().read_bytes()))[LEDGER.name]
    assert "校验位错误" in (marked.cell(row=3, column=marked.max_column).value or "")

    good_file = tmp_path / "台账-已改正.xlsx"
    good_file.write_bytes(
        _ledger([_row("甲铝材项目", good_a, **started), _row("乙碳材项目", good_b)])
    )
    page.goto("/ledger/import/")
    page.set_input_files("#id_file", str(good_file))
    page.get_by_role("button", name="上传并导入").click()
    page.locator("#job-result.alert-success").wait_for()
    assert Project.objects.filter(county=county).count() == 2

    page.goto("/rates/?activity=2021-4")
    body = page.locator("main").inner_text()
    assert "开工率" in body and "50.0%（1/2）" in body
    page.screenshot(path=str(tmp_path / "rates.png"), full_page=True)


def test_a_clerks_own_layout_is_previewed_and_its_unknown_column_assigned(
    page, log_in, worker, tmp_path
):
    """A workbook with a title row and a column the system does not know: the clerk sees
    what was understood, assigns the column on the page, and the file imports."""
    county = County.objects.get(code="141102")
    ZoneFactory(name="吕梁经济技术开发区", county=county)
    ActivityFactory(year=2021, sequence=4, date=dt.date(2021, 10, 30))
    UserFactory(username="lishi", role="county", county=county, full_name="离石区项目办")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["离石区2022年项目台账"])
    headers = ["序号", *("企业名字" if h == "项目单位" else h for h in LEDGER.headers)]
    ws.append(headers)
    row = _row("甲铝材项目", make_credit_code(501, "141102"))
    row["企业名字"] = row.pop("项目单位")
    ws.append([1, *(row.get(h) for h in headers[1:])])
    path = tmp_path / "离石台账.xlsx"
    wb.save(path)

    log_in("lishi")
    page.goto("/ledger/import/")
    page.set_input_files("#id_file", str(path))
    page.get_by_label("仅校验，不写入").check()
    page.get_by_role("button", name="上传并导入").click()
    page.locator("#remap-form").wait_for()
    assert "第2行 项目单位: 找不到此列" in page.locator("#job-errors").inner_text()
    assert "表头在第2行" in page.locator("#job-understood").inner_text()
    page.get_by_label("D列“企业名字”对应的模板列").select_option("项目单位")
    page.get_by_role("button", name="按此对应重新导入").click()
    page.locator("#job-result.alert-success").wait_for()
    understood = page.locator("#job-understood").inner_text()
    assert "未导入的列：A列“序号”" in understood
    columns = page.locator("#job-columns").inner_text()
    assert "企业名字\t项目单位\t按您的指定" in columns and "项目名称\t项目名称\t同名" in columns
    assert Project.objects.count() == 0  # a preview: nothing written
    page.screenshot(path=str(tmp_path / "preview.png"), full_page=True)

    # The assignment is remembered: the same file imports straight away next time.
    page.goto("/ledger/import/")
    assert "“企业名字”→“项目单位”" in page.locator("#remembered-mapping").inner_text()
    page.set_input_files("#id_file", str(path))
    page.get_by_role("button", name="上传并导入").click()
    page.locator("#job-result.alert-success").wait_for()
    assert Project.objects.get().enterprise.name == "甲铝材料有限公司"
