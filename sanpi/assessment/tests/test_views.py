"""The assessment's pages through the HTTP layer: the results with every breakdown, the
import as a job (every error, or the data), the downloads opened by LibreOffice, who may
do what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sanpi.assessment import io
from sanpi.assessment.models import UnitEntry
from sanpi.assessment.tests.test_bank_example import ROWS
from sanpi.assessment.tests.test_io import _book, _rows
from sanpi.core.imports import ImportRejected
from sanpi.core.models import AuditLog, Job
from sanpi.core.tests import office

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _load(world):
    io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(_rows()))


def test_the_results_page_ranks_and_explains_every_point(world, login):
    _load(world)
    html = _html(
        login(world.user("leader")).get(reverse("assessment:results", args=["bank", 2025]))
    )
    table = html[html.index('id="assessment-ranking"') : html.index("得分明细")]
    order = [table.index(n) for n in ("A银行", "B银行", "D银行", "C银行", "E银行")]
    assert order == sorted(order)
    assert "64.00" in table and "一票否决" in table and "发生重大风险事故" in table
    assert "支持地方经济发展先进单位" in table
    assert "分母“本年新增存款(万元)”为0（零或负数），不能计算" in html
    assert "本单位数值为-8000（不大于0），得0分" in html
    assert "上年末贷款余额(万元)：100000.00" in html  # the raw inputs behind a value
    assert "导入数据" not in html  # a leader reads, the city office enters


def test_an_empty_year_and_bad_addresses(world, login):
    client = login(world.user("city_office"))
    html = _html(client.get(reverse("assessment:results", args=["bank", 2024])))
    assert "2024年度尚无考核数据" in html and "下载填报模板" in html
    assert client.get("/assessment/nope/2025/").status_code == 404
    assert client.get("/assessment/bank/1800/").status_code == 404
    assert "银行业金融机构支持地方经济发展考核评价" in _html(
        client.get(reverse("assessment:index"))
    )


def test_the_import_page_runs_a_job_with_every_error_or_the_data(world, login):
    client = login(world.user("city_office"))
    url = reverse("assessment:import", args=["bank", 2025])
    rows = _rows()
    rows[1][19] = 4
    response = client.post(url, {"file": SimpleUploadedFile("银行.xlsx", _book(rows))})
    job = Job.objects.get(kind="assessment.import")
    assert response.url == reverse("core:job", args=[job.pk])
    assert job.status == Job.Status.REJECTED
    html = _html(client.get(response.url))
    assert "第5行 落实工作部署(0-3)" in html and "最多3分，实为4分" in html
    assert not UnitEntry.objects.exists()
    assert "请选择要上传的文件" in _html(client.post(url, {}))
    response = client.post(
        url, {"file": SimpleUploadedFile("银行.xlsx", _book(_rows()))}, follow=True
    )
    assert "已导入2025年度银行业金融机构支持地方经济发展考核评价数据：新增5个单位" in _html(
        response
    )


@pytest.mark.parametrize("role", ["leader", "county", "zone", "enterprise"])
def test_only_the_city_office_enters_data(world, login, role):
    client = login(world.user(role))
    assert client.get(reverse("assessment:import", args=["bank", 2025])).status_code == 403
    assert client.get(reverse("assessment:template", args=["bank", 2025])).status_code == 403


@office.needs_soffice
def test_the_results_open_in_libreoffice(world, login):
    _load(world)
    client = login(world.user("leader"))
    xlsx = client.get(reverse("assessment:results_xlsx", args=["bank", 2025]))
    docx = client.get(reverse("assessment:results_docx", args=["bank", 2025]))
    sheet = office.to_csv(b"".join(xlsx.streaming_content) if xlsx.streaming else xlsx.content)
    assert "2025年度银行业金融机构支持地方经济发展考核评价结果" in sheet
    a = next(r for r in office.rows(sheet) if len(r) > 1 and r[1] == "A银行")
    assert a[0] == "1" and a[-2] in ("64", "64.00")
    text = office.docx_text(b"".join(docx.streaming_content) if docx.streaming else docx.content)
    assert "关于2025年度银行业金融机构支持地方经济发展考核评价结果的通报" in text
    assert "支持地方经济发展先进单位：A银行、B银行、D银行、C银行" in text
    assert "一票否决：E银行（发生重大风险事故）" in text
    assert AuditLog.objects.filter(object_type="assessment.results").count() == 2


def test_the_demo_has_a_year_of_each_scheme(world, login):
    from django.utils import timezone

    from sanpi.accounts.actors import SystemActor
    from sanpi.assessment.demo import load_assessment_demo
    from sanpi.assessment.selectors import results

    load_assessment_demo(SystemActor(name="demo"))
    year = timezone.localdate().year - 1
    bank = results("bank", year)
    assert len(bank.units) == 12 and bank.units[-1].vetoed
    assert sum("支持地方经济发展先进单位" in c for c in bank.consequences.values()) == 5
    assert len(results("bank", year - 1).units) == 12  # last year's, for 约谈
    assert results("zone", year).units  # computed from the ledger
    mujun = results("mujun", year)
    assert mujun.units and all(mujun.consequences[u.name][0][0] in "ABCD" for u in mujun.units)
    html = _html(
        login(world.user("leader")).get(reverse("assessment:results", args=["mujun", year]))
    )
    assert mujun.consequences[mujun.units[0].name][0] in html and "亩均税收" in html


def test_the_year_is_closed_locked_and_reopened_with_a_reason(world, login):
    from sanpi.assessment.models import SchemeYear

    _load(world)
    client = login(world.user("city_office"))
    url = reverse("assessment:state", args=["bank", 2025])
    results_url = reverse("assessment:results", args=["bank", 2025])
    html = _html(client.get(results_url))
    assert "填报截止" in html and "锁定结果" not in html
    assert client.post(url, {"state": "closed", "version": 1}).status_code == 302
    # A second page loaded before the change: refused, and says so.
    html = _html(client.post(url, {"state": "locked", "version": 1}, follow=True))
    assert "状态已被他人修改" in html
    client.post(url, {"state": "locked", "version": 2})
    assert SchemeYear.objects.get().state == "locked"
    data = _book(_rows())
    response = client.post(reverse("assessment:import", args=["bank", 2025]),
                           {"file": SimpleUploadedFile("银行.xlsx", data)}, follow=True)  # fmt: skip
    assert "已锁定，不能再修改数据" in _html(response)
    html = _html(client.post(url, {"state": "open", "version": 3}, follow=True))
    assert "重新开放须填写原因" in html
    client.post(url, {"state": "open", "version": 3, "reason": "人行更正首贷户数据"})
    row = SchemeYear.objects.get()
    assert (row.state, row.version) == ("open", 4)
    log = AuditLog.objects.filter(object_type="assessment.schemeyear").order_by("pk").last()
    assert log.message == "解除锁定并重新开放填报：人行更正首贷户数据"
    assert log.before == {"state": "locked", "version": 3}
    assert (
        login(world.user("leader")).post(url, {"state": "closed", "version": 4}).status_code == 403
    )


def test_the_years_scheme_is_shown_and_its_points_changed_for_that_year_only(world, login):
    from sanpi.assessment.models import SchemeYear

    _load(world)
    client = login(world.user("city_office"))
    url = reverse("assessment:scheme", args=["bank", 2025])
    html = _html(client.get(url))
    assert (
        "贷款增量(万元) = 本年末贷款余额(万元) − 上年末贷款余额(万元) + 本年转让核销不良贷款(万元)"
        in html
    )
    form = {i["key"]: i["max_points"] for i in SchemeYear.objects.get().definition["indicators"]}
    # Not adding up to 100: refused with the reason, nothing changed.
    html = _html(client.post(url, {**form, "loan_increase": "25", "version": 1}))
    assert "满分合计须为100分，实为105分" in html
    response = client.post(url, {**form, "loan_increase": "25", "loan_growth": "5", "version": 1})
    assert response.status_code == 302
    assert SchemeYear.objects.get().definition["indicators"][0]["max_points"] == "25"
    # The year is scored with its own points: A's 贷款增量 is now 25 × 20000/40000.
    out = __import__("io").StringIO()
    from django.core.management import call_command

    call_command("assessment", "score", "--scheme", "bank", "--year", "2025", "--json", stdout=out)
    a = next(u for u in __import__("json").loads(out.getvalue())["units"] if u["name"] == "A银行")
    assert a["items"][0]["points"] == "12.50"
    # Another year keeps the default; a stale form is refused.
    assert "20" in _html(client.get(reverse("assessment:scheme", args=["bank", 2026])))
    html = _html(client.post(url, {**form, "version": 1}))
    assert "已被他人修改" in html
    assert (
        AuditLog.objects.filter(object_type="assessment.schemeyear", action="update").count() == 1
    )
    assert "保存" not in _html(login(world.user("leader")).get(url)).split("考核方案")[-1]


def test_each_assessor_enters_only_its_own_inputs(world, login):
    """人行 downloads and imports only the columns the bank scheme names it for; a figure of
    金融办's in its file is refused with the reason; the city office enters everything."""
    from io import BytesIO

    from openpyxl import load_workbook

    from sanpi.accounts.tests.factories import UserFactory
    from sanpi.assessment.schemes import BANK, PBOC
    from sanpi.regions.models import Department

    pboc = Department.objects.create(name=PBOC, kind="finance", level="city")
    user = UserFactory(username="pboc", role="department", department=pboc)
    client = login(user)
    mine = [i for i in BANK.inputs if i.assessor == PBOC]
    html = _html(client.get(reverse("assessment:import", args=["bank", 2025])))
    assert (
        "上年末贷款余额(万元)" in html
        and "政银企签约项目户数" not in html.split("您填报的数据项")[1]
    )
    template = client.get(reverse("assessment:template", args=["bank", 2025]))
    sheet = load_workbook(BytesIO(b"".join(template.streaming_content))).active
    assert [c.value for c in sheet[1]][: 1 + len(mine)] == ["机构名称", *(i.name for i in mine)]
    # Their own columns: imported; the others' stay empty.
    headers = ["机构名称", *(i.name for i in mine)]
    rows = [[name, *(v for i, v in zip(BANK.inputs, row, strict=True) if i.assessor == PBOC)]
            for name, row in ROWS.items()]  # fmt: skip
    summary = io.import_xlsx(by=user, key="bank", year=2025, data=_book(rows, headers=headers))
    assert summary.created == 5
    a = UnitEntry.objects.get(unit="A银行").values
    assert a["loans_now"] == "120000.00" and "signed_projects" not in a
    # A column of 金融办's, filled in: refused, nothing written.
    with pytest.raises(ImportRejected) as info:
        io.import_xlsx(by=user, key="bank", year=2025, data=_book(_rows()))
    assert "该项由市金融办填报，您不能导入" in str(info.value.errors[0])
    assert "signed_projects" not in UnitEntry.objects.get(unit="A银行").values
    # A department the scheme does not name enters nothing.
    other = UserFactory(username="dept", role="department", department=world.department_a)
    assert login(other).get(reverse("assessment:import", args=["bank", 2025])).status_code == 403


def test_a_units_inputs_are_entered_on_a_page_read_as_the_import_reads_them(world, login):
    client = login(world.user("city_office"))
    url = reverse("assessment:entry", args=["bank", 2025])
    form = {"version": 0, "unit": "F银行", "loans_last": "1,000", "loans_now": "1200万元",
            "rate_last": "4.35%", "rate_now": "0.04", "deploy": "5", "attract": "可能"}  # fmt: skip
    html = _html(client.post(url, form))
    # Every field's reason at once, nothing written.
    assert "上年贷款平均利率(%)：" not in html  # “4.35%” is read as 4.35
    assert "本年贷款平均利率(%)：“0.04”含义不明" in html
    assert (
        "落实工作部署(0-3)：最多3分，实为5分" in html and "银企招商(是/否)：应填“是”或“否”" in html
    )
    assert not UnitEntry.objects.exists()
    response = client.post(url, {**form, "rate_now": "4.1", "deploy": "2", "attract": "是"})
    assert response.status_code == 302
    entry = UnitEntry.objects.get(unit="F银行")
    assert (entry.values["loans_last"], entry.values["loans_now"], entry.values["rate_last"],
            entry.values["attract"], entry.version) == ("1000.00", "1200.00", "4.35", "1", 1)  # fmt: skip
    html = _html(client.get(url, {"unit": "F银行"}))
    assert 'value="1000.00"' in html and 'value="是"' in html
    # A form loaded before someone else saved: refused.
    html = _html(client.post(url, {**form, "rate_now": "4.1", "deploy": "1", "attract": "否"}))
    assert "F银行的数据已被他人修改" in html
    assert UnitEntry.objects.get(unit="F银行").values["deploy"] == "2.00"
    assert login(world.user("leader")).get(url).status_code == 403
    assert AuditLog.objects.filter(object_type="assessment.unitentry").count() == 1
