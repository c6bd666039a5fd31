"""The ranking bulletin as people open it: the Word file converted to PDF and to text by
headless LibreOffice (a file Writer can't open fails), the Excel file read by Calc."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from sanpi.accounts.actors import SystemActor
from sanpi.core.tests import office
from sanpi.projects.models import Project
from sanpi.targets.io import bulletin_docx, bulletin_xlsx
from sanpi.targets.selectors import bulletin
from sanpi.targets.tests.conftest import M, Y

pytestmark = office.needs_soffice

CITY = SystemActor(name="test")


def _lagging(w) -> None:
    Project.objects.filter(pk=w.project_a.pk).update(health="lagging")
    Project.objects.filter(pk=w.project_b.pk).update(health="stalled")


def test_the_word_bulletin_opens_in_writer_and_converts_to_pdf(zones_2024):
    w = zones_2024
    _lagging(w)
    city = bulletin_docx(by=CITY, b=bulletin(user=CITY, year=Y, month=M))
    county = bulletin_docx(by=w.user("county"), b=bulletin(user=w.user("county"), year=Y, month=M))
    assert city.filename.startswith("2024年6月调度排名通报-") and city.filename.endswith(".docx")
    pdfs = office.convert_many([city.data, county.data], suffix="docx", to="pdf")
    assert all(pdf.startswith(b"%PDF") and len(pdf) > 5000 for pdf in pdfs)

    text, county_text = office.docx_text_many([city.data, county.data])
    lines = text.splitlines()
    assert lines[0] == "2024年6月项目调度排名通报"
    assert (
        "统计期间：2024年1—6月，时序进度6/12（50.00%）。排名范围：全市；滞后项目范围：全市。"
        in text
    )
    assert "一、总体情况" in lines and "二、县(市、区)排名" in lines and "三、开发区排名" in lines
    assert "2024年1—6月，全市完成固定资产投资0.04亿元；签约项目1个" in text
    assert (
        "开发区中，吕梁经济技术开发区以63.00分位列第一；排名后1位的是孝义经济开发区（33.33分）。"
        in text
    )
    assert "本月没有可排名的县(市、区)（未下达目标或权重均为0）。" in text
    assert "四、滞后项目" in lines
    assert "甲新材料项目" in text and "乙装备制造项目" in text
    assert "开发区：吕梁经济技术开发区（1个）" in text
    # The county officer's copy: the same ranking, the lagging lists of its own county.
    assert "孝义经济开发区（33.33分）" in county_text
    assert "甲新材料项目" in county_text and "乙装备制造项目" not in county_text
    assert "滞后项目范围：离石区" in county_text
    assert lines[-1].startswith("生成日期：")


def test_the_excel_bulletin_opens_in_calc_with_every_table(zones_2024):
    _lagging(zones_2024)
    doc = bulletin_xlsx(by=CITY, b=bulletin(user=CITY, year=Y, month=M))
    assert doc.filename.endswith(".xlsx")
    sheets = office.csv_sheets(doc.data)
    order = ["总体情况", "县(市、区)排名", "开发区排名", "滞后项目"]
    assert load_workbook(io.BytesIO(doc.data), read_only=True).sheetnames == order
    assert set(sheets) == set(order)
    overall = office.rows(sheets["总体情况"])
    assert overall[0] == ["指标", "单位", "1—6月完成", "年度目标（各县合计）", "完成率", "时序进度"]
    assert overall[1][:3] == ["固定资产投资", "万元", "400"]
    zones = office.rows(sheets["开发区排名"])
    assert zones[0][:4] == ["排名", "开发区名称", "开发区", "得分"]
    assert zones[1][:8] == [
        "1", "吕梁经济技术开发区", "吕梁经济技术开发区", "63.00", "400.00", "1,000.00",
        "40.00%", "12.00",
    ]  # fmt: skip
    assert zones[2][3] == "33.33"
    lagging = office.rows(sheets["滞后项目"])
    assert [r[2] for r in lagging[1:]] == [
        "甲新材料项目",
        "乙装备制造项目",
        "甲新材料项目",
        "乙装备制造项目",
    ]
