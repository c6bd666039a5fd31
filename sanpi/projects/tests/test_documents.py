"""The ledger's workbooks as people open them: downloaded from the pages and opened in
LibreOffice Calc (headless, `sanpi.core.tests.office`), which must load each as an Excel
workbook and show the Chinese headers and the projects' cells as typed; and the export,
opened and saved again by a clerk, must still import as a no-op."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sanpi.core.tests import office
from sanpi.core.tests.jobs import job_file
from sanpi.projects.io import ACTIVITIES, LEDGER, ledger_import
from sanpi.projects.ledger_export import ledger_export
from sanpi.projects.tests.ledger_files import fill_every_cell

pytestmark = [pytest.mark.django_db, office.needs_soffice]


@pytest.fixture
def ledger(world):
    """Project A signed in activity 2021-4 (synchronous), started, produced in 2022-2,
    with every kind of cell filled; project B outside any zone."""
    fill_every_cell(world, planned_tax_wan=Decimal("1234.50"))
    return world


def _download(client, url: str) -> bytes:
    response = job_file(client, url) if "export" in url else client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def test_export_and_template_open_in_calc_with_their_headers_and_cells(ledger, login):
    city = login(ledger.user("city_office"))
    export = _download(city, "/ledger/export.xlsx")
    template = _download(city, "/ledger/template.xlsx")

    exported, blank = office.csv_sheets_many([export, template])
    assert set(exported) == set(blank) == {"项目台账", "三个一批活动"}
    rows = office.rows(exported["项目台账"])
    assert rows[0] == LEDGER.headers
    assert rows[0][:4] == ["项目代码", "项目名称", "项目单位", "统一社会信用代码"]
    a = ledger.project_a
    assert rows[1:] == [
        [
            "2103-141102-89-01-000001", "甲新材料项目", "山西甲材料有限公司",
            a.enterprise.credit_code, "离石区", "吕梁经济技术开发区", "新材料", "新建",
            "10,000.00", "20,000.00", "1,234.50", "88.80", "是", "投产",
            "2021-03-22", "2021-4", "同步签约", "2021-09-01", "", "2022-05-27", "2022-2",
            "", "2023-06-30", "12,345.67", "否", "是",
        ],
        [
            "", "乙装备制造项目", "山西乙装备有限公司", ledger.project_b.enterprise.credit_code,
            "孝义市", "", "新材料", "新建", "10,000.00", "20,000.00", "", "", "否", "储备",
            "", "", "", "", "", "", "", "", "", "", "否", "否",
        ],
    ]  # fmt: skip
    assert office.rows(exported["三个一批活动"]) == [
        ACTIVITIES.headers,
        ["2021", "4", "2021-03-22", "省级", "兴县"],
        ["2022", "2", "2022-05-27", "省级", ""],
    ]
    # The template: the same headers, no data.
    assert office.rows(blank["项目台账"]) == [LEDGER.headers]
    assert office.rows(blank["三个一批活动"]) == [ACTIVITIES.headers]


def test_an_export_saved_again_in_calc_imports_as_a_no_op(ledger):
    """Every kind of cell (codes, amounts, dates, attributions, an activity without venue)
    survives Calc's re-save. (test_io_messy.py also re-imports a .xls of an export.)"""
    city = ledger.user("city_office")
    resaved = office.resave_xlsx(ledger_export(by=city).data)
    result = ledger_import(by=city, data=resaved, filename="项目台账.xlsx")
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert (result.activities_created, result.activities_updated) == (0, 0)
    assert result.entries_created == 0
