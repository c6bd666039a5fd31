"""The approvals' documents as people open them, in LibreOffice (headless,
`sanpi.core.tests.office`): the report workbooks (`core.xlsx.report_workbook`: the
approval ledger, the credit records, the materials notice) in Calc, and the notice as a
Word document in Writer, each showing its Chinese title, sentence and figures."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from sanpi.approvals import io, selectors, services
from sanpi.core.tests import office
from sanpi.core.tests.jobs import job_file

pytestmark = office.needs_soffice

NOTICE_TITLE = "一般工业项目“全代办”一次性告知清单"
NOTICE_SUMMARY = "共21种基础材料，一次提交、各事项共享：各事项分别提交需288份，一次性告知后21份。"
NOTICE_HEADERS = ["序号", "材料名称", "原件/复印件", "份数", "适用事项"]
LICENCE = "营业执照（统一社会信用代码证）"


def _download(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def test_report_workbooks_open_in_calc_with_title_headers_and_figures(world, aw, login):
    services.commitments_scan(by=world.user("city_office"), on=dt.date(2022, 1, 1))
    notice = selectors.notice_for(
        list(selectors.catalogue_items(user=world.user("city_office"), track=aw.full))
    )
    files = [
        # The ledger export runs as a background job; its page offers the file.
        b"".join(
            job_file(
                login(world.user("county")), reverse("approvals:ledger_export")
            ).streaming_content
        ),
        io.credit_export(by=world.user("city_office")).data,
        io.notice_xlsx(NOTICE_TITLE, notice),
    ]
    ledger, credit, notice_sheet = (office.rows(t) for t in office.to_csv_many(files))

    # The approval ledger, as the county officer sees it.
    assert ledger[0][0] == "审批事项台账"
    header = ledger[1]
    assert header == [h for h, _ in io.LEDGER_HEADERS]
    permit = next(r for r in ledger[2:] if r[header.index("审批事项")] == "建筑工程施工许可证核发")
    cell = dict(zip(header, permit, strict=True))
    assert (cell["项目名称"], cell["项目单位"], cell["县(市、区)"]) == (
        "甲新材料项目", "山西甲材料有限公司", "离石区",
    )  # fmt: skip
    assert (cell["办理部门"], cell["法定时限(工作日)"], cell["承诺时限(工作日)"]) == (
        "吕梁经开区行政审批局", "5", "2",
    )  # fmt: skip
    assert (cell["受理日期"], cell["办结期限"], cell["状态"]) == (
        "2021-09-24", "2021-09-27", "已超期",
    )  # fmt: skip
    assert len(ledger) == 2 + 2 and "乙装备制造项目" not in str(ledger)

    # The credit records, city-wide.
    assert credit[0][0] == "失信记录（承诺逾期未履行）"
    assert credit[1][:3] == ["企业名称", "统一社会信用代码", "县(市、区)"]
    by_enterprise = {r[0]: r for r in credit[2:]}
    assert set(by_enterprise) == {"山西甲材料有限公司", "山西乙装备有限公司"}
    a = by_enterprise["山西甲材料有限公司"]
    assert a[1] == world.enterprise_a.credit_code
    assert a[6:9] == ["2021-12-31", "2022-01-01", "承诺逾期未履行"]
    assert "承诺“开工前补交施工图审查合格书”于2021-12-31前完成，逾期未履行" in a[9]

    # The materials notice: title, the sentence with its figures, 21 materials.
    assert notice_sheet[0][0] == NOTICE_TITLE
    assert notice_sheet[1][0] == NOTICE_SUMMARY
    assert notice_sheet[2][:5] == NOTICE_HEADERS
    assert notice_sheet[3][:4] == ["1", LICENCE, "复印件", "1"]
    assert [r[0] for r in notice_sheet[3:]] == [str(i) for i in range(1, 22)]


def test_the_materials_notices_open_in_writer(world, aw, login):
    project_notice = _download(
        login(world.user("agent")),
        reverse("approvals:project_notice", kwargs={"pk": world.project_a.pk, "fmt": "docx"}),
    )
    track_notice = _download(
        login(world.user("city_office")),
        reverse("approvals:track_notice", kwargs={"pk": aw.full.pk, "fmt": "docx"}),
    )
    project_text, track_text = office.docx_text_many([project_notice, track_notice])
    lines = project_text.splitlines()
    assert lines[0] == "甲新材料项目 一次性告知清单"
    assert lines[1].startswith("共") and "种基础材料，一次提交、各事项共享" in lines[1]
    assert (
        "项目单位按本清单一次性准备以下材料，由代办员或窗口统一收取，各审批事项共享使用。" in lines
    )
    # The table, cell by cell: the headers, then the first material.
    start = lines.index("序号")
    assert lines[start : start + 5] == NOTICE_HEADERS
    first = lines.index("1", start)
    assert lines[first : first + 4] == ["1", LICENCE, "复印件", "1"]
    assert lines[-1].startswith("生成日期：")
    # The whole track's notice states the catalogue's figures.
    assert track_text.startswith(f"{aw.full.name} 一次性告知清单\n")
    assert NOTICE_SUMMARY in track_text
