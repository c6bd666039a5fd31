"""API for the monthly dispatch: the month's list and counts, one report read, saved,
submitted and reviewed, each refusal, and every role's scope, through HTTP."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from sanpi.core.tests.api import (
    BASE,
    LEDGER_READERS,
    NO_LEDGER,
    api_clients,
    assert_api_audit,
    assert_error,
)
from sanpi.core.tests.test_api_robustness import BAD_BODIES, BAD_VALUES
from sanpi.dispatch import services
from sanpi.dispatch.models import MonthlyReport
from sanpi.projects.models import Project

pytestmark = pytest.mark.django_db

YEAR, MONTH = 2026, 10  # a past month on 2026-12-01 (as in test_services)
SEES_ALL = ("city_office", "leader")
STALE = "该月报已被他人修改，请刷新后重试"


@pytest.fixture
def api_as(world):
    return api_clients(world)


@pytest.fixture
def started(world):
    """Projects A and B started in 2026, total investment 10,000 万元 each: both owe
    October's report; A is in the scope of the county, zone and enterprise users."""
    for project in (world.project_a, world.project_b):
        Project.objects.filter(pk=project.pk).update(
            stage="started",
            signed_date=dt.date(2026, 1, 5),
            started_date=dt.date(2026, 3, 1),
            total_investment_wan=Decimal("10000.00"),
        )
        project.refresh_from_db()
    return world.project_a


def body(**over) -> dict:
    return {
        "investment_wan": "1200.00",
        "progress_percent": 35,
        "progress_text": "主体结构施工",
        "jobs": 120,
        "problems": "",
        "version": 0,
        **over,
    }


def put(client, path: str, data=None, *, raw: bytes | str | None = None):
    """ApiClient has no put(): the same request through its Django client."""
    payload = raw if raw is not None else json.dumps(data)
    return client.client.put(
        BASE + path, payload, content_type="application/json", headers=client._headers()
    )


def report_url(project, year=YEAR, month=MONTH) -> str:
    return f"/projects{'' if project is None else f'/{project.pk}'}/reports/{year}/{month}"


def _save(world, project, *, month=MONTH, submit=False, version=None, **over):
    """A report filed through the services (by the city office, who may file any)."""
    data = {
        "investment_wan": Decimal("1200.00"),
        "progress_percent": 35,
        "progress_text": "主体结构施工",
        "output_wan": None,
        "tax_wan": None,
        "jobs": 120,
        "problems": "",
        **over,
    }
    return services.report_save(
        by=world.user("city_office"),
        project=project,
        year=YEAR,
        month=month,
        data=data,
        submit=submit,
        version=version,
    )


# --- the month ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_month_reports_scoped(world, api_as, started, role):
    _save(world, world.project_a)
    response = api_as(role).get(f"/dispatch/{YEAR}/{MONTH}/reports")
    assert response.status_code == 200, response.content.decode()
    page = response.json()
    names = [row["project_name"] for row in page["items"]]
    assert names[0] == "甲新材料项目"
    assert ("乙装备制造项目" in names) is (role in SEES_ALL)
    assert page["count"] == len(names) and page["limit"] == 50
    row = page["items"][0]
    assert row == {
        "project": world.project_a.pk,
        "project_name": "甲新材料项目",
        "project_code": world.project_a.code,
        "enterprise_name": "山西甲材料有限公司",
        "county": "141102",
        "county_name": "离石区",
        "zone": world.zone_a.pk,
        "zone_name": "吕梁经济技术开发区",
        "stage": "started",
        "stage_label": "开工",
        "status": "draft",
        "status_label": "草稿",
        "report": MonthlyReport.objects.get().pk,
        "investment_wan": "1200.00",
        "cumulative_wan": "0.00",  # only accepted months count
        "total_investment_wan": "10000.00",
    }


def test_month_reports_filters_and_cumulative(world, api_as, started):
    september = _save(world, world.project_a, month=9, submit=True)
    services.report_review(by=world.user("city_office"), report=september, accept=True)
    _save(world, world.project_a, submit=True, investment_wan=Decimal("800"))
    client = api_as("city_office")
    url = f"/dispatch/{YEAR}/{MONTH}/reports"

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200, response.content.decode()
        return [row["project_name"] for row in response.json()["items"]]

    assert names() == ["甲新材料项目", "乙装备制造项目"]
    assert names(status="submitted") == ["甲新材料项目"]
    assert names(status="missing") == ["乙装备制造项目"]
    assert names(status="accepted") == []
    assert names(county="141181") == ["乙装备制造项目"]
    assert names(zone=world.zone_a.pk) == ["甲新材料项目"]
    assert names(q="乙装备") == ["乙装备制造项目"]
    assert names(q="山西甲材料") == ["甲新材料项目"]  # the enterprise's name too
    assert names(status="", zone="", county="") == ["甲新材料项目", "乙装备制造项目"]
    row = client.get(url, {"status": "submitted"}).json()["items"][0]
    # This month's investment is submitted, not yet accepted: cumulative is September's.
    assert (row["status_label"], row["investment_wan"], row["cumulative_wan"]) == (
        "已报送",
        "800.00",
        "1200.00",
    )
    error = assert_error(client.get(url, {"status": "lost"}), 400, field="status")
    assert "missing（未填报）" in error["fields"]["status"][0]
    # A project not signed by the month's end owes no report for it.
    assert client.get(f"/dispatch/{YEAR}/1/reports").json()["count"] == 2
    assert client.get("/dispatch/2025/12/reports").json()["count"] == 0


def test_month_summary(world, api_as, started):
    _save(world, world.project_a, submit=True)
    client = api_as("city_office")
    response = client.get(f"/dispatch/{YEAR}/{MONTH}")
    assert response.status_code == 200, response.content.decode()
    month = services.month_get(YEAR, MONTH)
    assert response.json() == {
        "year": YEAR,
        "month": MONTH,
        "deadline": month.deadline.isoformat(),
        "overdue": True,  # November's 5th working day has passed on 2026-12-01
        "closed": False,
        "closed_at": None,
        "counts": {"missing": 1, "draft": 0, "submitted": 1, "accepted": 0, "returned": 0},
    }
    assert month.deadline > dt.date(2026, 10, 31)
    # The county sees its own project only.
    counts = api_as("county").get(f"/dispatch/{YEAR}/{MONTH}").json()["counts"]
    assert counts == {"missing": 0, "draft": 0, "submitted": 1, "accepted": 0, "returned": 0}
    services.month_close(by=world.user("city_office"), year=YEAR, month=MONTH)
    closed = client.get(f"/dispatch/{YEAR}/{MONTH}").json()
    assert closed["closed"] is True and closed["closed_at"] is not None


@pytest.mark.parametrize(
    ("path", "field", "message"),
    [
        ("/dispatch/2026/13", "month", "月份应为1至12"),
        ("/dispatch/2026/0/reports", "month", "月份应为1至12"),
        ("/dispatch/2027/1", "month", "2027年1月还没到，不能预先填报"),
        ("/dispatch/1999/5/reports", "year", "年份应在2000至2027之间"),
    ],
)
def test_month_bad_months(world, api_as, path, field, message):
    error = assert_error(api_as("city_office").get(path), 400, "validation_failed", field=field)
    assert error["message"] == message


@pytest.mark.parametrize("role", NO_LEDGER)
def test_dispatch_refused_without_ledger_rights(world, api_as, started, role):
    _save(world, world.project_a)
    client = api_as(role)
    for path in [
        f"/dispatch/{YEAR}/{MONTH}",
        f"/dispatch/{YEAR}/{MONTH}/reports",
        report_url(world.project_a),
    ]:
        assert_error(client.get(path), 403, "permission_denied")
    assert_error(put(client, report_url(world.project_a), body(version=1)), 403)
    review = {"accept": True, "reason": "", "version": 1}
    assert_error(client.post(report_url(world.project_a) + "/review", review), 403)
    assert MonthlyReport.objects.get().version == 1


# --- one report ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", LEDGER_READERS)
def test_report_get_scoped(world, api_as, started, role):
    client = api_as(role)
    error = assert_error(client.get(report_url(world.project_a)), 404, "not_found")
    assert error["message"] == "该月报还没有填报"
    _save(world, world.project_a)
    _save(world, world.project_b)
    response = client.get(report_url(world.project_a))
    assert response.status_code == 200, response.content.decode()
    report = response.json()
    assert report["project"] == world.project_a.pk and report["project_name"] == "甲新材料项目"
    assert (report["year"], report["month"], report["version"]) == (YEAR, MONTH, 1)
    assert (report["status"], report["status_label"]) == ("draft", "草稿")
    assert report["investment_wan"] == "1200.00" and report["progress_percent"] == 35
    assert report["output_wan"] is None and report["jobs"] == 120
    assert report["filed_by"] == str(world.user("city_office"))
    assert report["cumulative_wan"] == "0.00"

    other = client.get(report_url(world.project_b))
    if role in SEES_ALL:
        assert other.status_code == 200
    else:  # out of scope: the same answer as a project that doesn't exist
        error = assert_error(other, 404, "not_found")
        assert error == assert_error(client.get("/projects/987654/reports/2026/10"), 404)


def test_save_a_draft_then_submit(world, api_as, started):
    client = api_as("enterprise")
    url = report_url(started)
    response = put(client, url, body())
    assert response.status_code == 200, response.content.decode()
    draft = response.json()
    assert (draft["status"], draft["version"]) == ("draft", 1)
    assert draft["filed_by"] == str(world.user("enterprise")) and draft["submitted_at"] is None
    report = MonthlyReport.objects.get()
    assert_api_audit(world.user("enterprise"), report, "create")

    response = put(client, url, body(investment_wan=1500, submit=True, version=1))
    assert response.status_code == 200, response.content.decode()
    sent = response.json()
    assert (sent["status"], sent["status_label"], sent["version"]) == ("submitted", "已报送", 2)
    assert sent["investment_wan"] == "1500.00" and sent["submitted_at"] is not None
    assert_api_audit(world.user("enterprise"), report, "update")
    assert client.get(url).json() == sent

    error = assert_error(put(client, url, body(version=2)), 400, "validation_failed")
    assert error["message"] == "已报送或已审核的月报不能再修改"


def test_a_correction_month_may_be_negative(world, api_as, started):
    september = _save(world, started, month=9, submit=True)
    services.report_review(by=world.user("county"), report=september, accept=True)
    response = put(api_as("zone"), report_url(started), body(investment_wan="-200.50"))
    assert response.status_code == 200, response.content.decode()
    assert response.json()["investment_wan"] == "-200.50"
    error = assert_error(
        put(api_as("zone"), report_url(started), body(investment_wan="-1300", version=1)), 400
    )
    assert error["fields"]["investment_wan"] == [
        "本月完成投资-1,300.00万元后累计为-100.00万元，累计完成投资不能为负数"
    ]


def test_two_saves_at_the_same_version_conflict(world, api_as, started):
    url = report_url(started)
    first = put(api_as("enterprise"), url, body(version=0))
    assert first.status_code == 200, first.content.decode()
    # The zone officer read the page before the enterprise saved (version 0).
    second = put(api_as("zone"), url, body(investment_wan="900", version=0))
    error = assert_error(second, 409, "conflict")
    assert error["message"] == STALE
    report = MonthlyReport.objects.get()
    assert (report.version, report.investment_wan) == (1, Decimal("1200.00"))
    # At the version read now, it goes through.
    assert put(api_as("zone"), url, body(investment_wan="900", version=1)).status_code == 200


@pytest.mark.parametrize(
    ("url", "over", "field", "message"),
    [
        ("/reports/2026/13", {}, "month", "月份应为1至12"),
        ("/reports/2027/1", {}, "month", "2027年1月还没到，不能预先填报"),
        ("/reports/2026/10", {"progress_percent": 101}, "progress_percent", "形象进度应为0至100"),
        ("/reports/2026/10", {"progress_percent": -1}, "progress_percent", "形象进度应为0至100"),
        (
            "/reports/2026/10",
            {"output_wan": "5"},
            "output_wan",
            "项目尚未投产，不填本月产值",
        ),
        ("/reports/2026/10", {"tax_wan": 1}, "tax_wan", "项目尚未投产，不填本月税收"),
        (
            "/reports/2026/10",
            {"investment_wan": "10000.01"},
            "investment_wan",
            "本月完成投资10,000.01万元后累计为10,000.01万元，超过项目总投资10,000.00万元："
            "请核对金额和单位（万元）",
        ),
    ],
)
def test_save_refusals(world, api_as, started, url, over, field, message):
    response = put(api_as("enterprise"), f"/projects/{started.pk}{url}", body(**over))
    error = assert_error(response, 400, "validation_failed", field=field)
    assert error["message"] == message and error["fields"][field] == [message]
    assert not MonthlyReport.objects.exists()


def test_cumulative_over_the_total_counts_accepted_months(world, api_as, started):
    september = _save(world, started, month=9, submit=True, investment_wan=Decimal("9500"))
    services.report_review(by=world.user("county"), report=september, accept=True)
    error = assert_error(
        put(api_as("enterprise"), report_url(started), body(investment_wan=600)), 400
    )
    assert error["fields"]["investment_wan"] == [
        "本月完成投资600.00万元后累计为10,100.00万元，超过项目总投资10,000.00万元："
        "请核对金额和单位（万元）"
    ]


def test_output_once_produced(world, api_as, started):
    Project.objects.filter(pk=started.pk).update(
        stage="produced", produced_date=dt.date(2026, 9, 1)
    )
    response = put(api_as("enterprise"), report_url(started), body(output_wan="300.5", tax_wan=12))
    assert response.status_code == 200, response.content.decode()
    assert (response.json()["output_wan"], response.json()["tax_wan"]) == ("300.50", "12.00")


def test_save_refused_for_projects_and_months_that_take_none(world, api_as, started):
    client = api_as("city_office")
    Project.objects.filter(pk=world.project_b.pk).update(
        stage="reserve", signed_date=None, started_date=None
    )
    error = assert_error(put(client, report_url(world.project_b), body()), 400)
    assert error["message"] == "项目处于“储备”阶段，不需要填报月报"
    services.month_close(by=world.user("city_office"), year=YEAR, month=9)
    error = assert_error(put(client, report_url(started, month=9), body()), 400)
    assert error["message"] == "2026年9月已关账，月报已锁定；如需修改，请市项目办重新打开该月报"


def test_save_body_is_checked(world, api_as, started):
    client = api_as("enterprise")
    url = report_url(started)
    error = assert_error(put(client, url, {"investment_wan": "1"}), 400)
    assert {"progress_percent", "version"} <= set(error["fields"])
    assert_error(put(client, url, body(color="red")), 400, field="color")
    assert_error(put(client, url, body(submit="yes")), 400, field="submit")
    assert_error(put(client, url, body(investment_wan="1.234")), 400, field="investment_wan")
    assert_error(put(client, url, body(jobs=-1)), 400, field="jobs")
    assert_error(put(client, url, body(version=-1)), 400, field="version")
    assert not MonthlyReport.objects.exists()


@pytest.mark.parametrize("role", ["county", "zone", "enterprise"])
def test_writes_out_of_scope_are_404(world, api_as, started, role):
    _save(world, world.project_b, submit=True)
    client = api_as(role)
    url = report_url(world.project_b)
    nowhere = assert_error(put(client, "/projects/987654/reports/2026/10", body()), 404)
    assert assert_error(put(client, url, body(version=2)), 404) == nowhere
    review = {"accept": True, "reason": "", "version": 2}
    assert assert_error(client.post(url + "/review", review), 404) == nowhere
    assert MonthlyReport.objects.get().status == "submitted"


def test_the_leader_reads_but_does_not_file(world, api_as, started):
    client = api_as("leader")
    assert_error(put(client, report_url(started), body()), 403, "permission_denied")
    assert not MonthlyReport.objects.exists()


# --- review --------------------------------------------------------------------------------


def test_review_return_then_accept(world, api_as, started):
    _save(world, started, submit=True)
    county = api_as("county")
    url = report_url(started) + "/review"
    error = assert_error(county.post(url, {"accept": False, "version": 1}), 400, field="reason")
    assert error["message"] == "退回时请写明原因，填报人会看到"
    response = county.post(url, {"accept": False, "reason": "投资额与发票不符", "version": 1})
    assert response.status_code == 200, response.content.decode()
    back = response.json()
    assert (back["status"], back["return_reason"], back["version"]) == (
        "returned",
        "投资额与发票不符",
        2,
    )
    assert back["reviewed_by"] == str(world.user("county")) and back["reviewed_at"]
    report = MonthlyReport.objects.get()
    assert_api_audit(world.user("county"), report, "update")

    # The filer resubmits at the version read; the county accepts.
    sent = put(api_as("enterprise"), report_url(started), body(submit=True, version=2))
    assert sent.json()["status"] == "submitted" and sent.json()["return_reason"] == ""
    done = county.post(url, {"accept": True, "version": 3})
    assert done.status_code == 200, done.content.decode()
    assert (done.json()["status"], done.json()["cumulative_wan"]) == ("accepted", "1200.00")
    error = assert_error(county.post(url, {"accept": True, "version": 4}), 400)
    assert error["message"] == "只有已报送的月报可以审核通过"


def test_review_refusals(world, api_as, started):
    url = report_url(started) + "/review"
    county = api_as("county")
    error = assert_error(county.post(url, {"accept": True, "version": 0}), 404, "not_found")
    assert error["message"] == "该月报还没有填报"
    _save(world, started)
    error = assert_error(county.post(url, {"accept": True, "version": 1}), 400)
    assert error["message"] == "只有已报送的月报可以审核通过"
    _save(world, started, submit=True, version=1)
    error = assert_error(county.post(url, {"accept": True, "version": 1}), 409, "conflict")
    assert error["message"] == STALE
    for role in ("zone", "enterprise"):  # they file; the county reviews
        assert_error(api_as(role).post(url, {"accept": True, "version": 2}), 403)
    assert_error(county.post(report_url(started, month=13) + "/review", {}), 400)
    error = assert_error(
        county.post(report_url(started, month=13) + "/review", {"accept": True, "version": 2}),
        400,
        field="month",
    )
    assert error["message"] == "月份应为1至12"
    assert MonthlyReport.objects.get().status == "submitted"


# --- robustness of the PUT (the shared robustness suite covers POST and PATCH) --------------


def test_put_malformed_bodies_are_400(world, api_as, started):
    client = api_as("city_office")
    for raw in BAD_BODIES:
        assert_error(put(client, report_url(started), raw=raw), 400)
    assert not MonthlyReport.objects.exists()


def test_put_bad_field_values_never_500(world, api_as, started):
    client = api_as("city_office")
    fields = [*body(), "output_wan", "tax_wan", "submit"]
    refused = 0
    for field in fields:
        for value in BAD_VALUES:
            MonthlyReport.objects.all().delete()
            response = put(client, report_url(started), raw=json.dumps({**body(), field: value}))
            assert response.status_code < 500, (field, value, response.content.decode()[:500])
            if response.status_code >= 400:
                assert_error(response, response.status_code)
            refused += response.status_code == 400
    assert refused > len(fields) * len(BAD_VALUES) * 0.6


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "1.5", str(2**64)])
def test_put_bad_path_values(world, api_as, started, bad):
    client = api_as("city_office")
    for url in [
        f"/projects/{bad}/reports/2026/10",
        f"/projects/{started.pk}/reports/{bad}/10",
        f"/projects/{started.pk}/reports/2026/{bad}",
    ]:
        response = put(client, url, body())
        assert response.status_code in (400, 404), (url, response.content.decode())
        assert_error(response, response.status_code)
