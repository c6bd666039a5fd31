"""Enterprise, zone and county pages through the real HTTP layer."""

from __future__ import annotations

from django.urls import reverse

from sanpi.core.models import AuditLog
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import DevelopmentZone, Enterprise
from sanpi.regions.tests.factories import EnterpriseFactory, make_credit_code

GOOD_CODE = make_credit_code(777, "141102")
BAD_CODE = GOOD_CODE[:17] + ("0" if GOOD_CODE[17] != "0" else "1")


def test_enterprise_list_is_scoped_and_searchable(world, login):
    html = login(world.user("zone")).get(reverse("regions:enterprise_list")).content.decode()
    assert world.enterprise_a.name in html and world.enterprise_b.name not in html
    client = login(world.user("city_office"))
    html = client.get(reverse("regions:enterprise_list"), {"q": "乙装备"}).content.decode()
    assert world.enterprise_b.name in html and world.enterprise_a.name not in html
    html = client.get(
        reverse("regions:enterprise_list"), {"q": world.enterprise_a.credit_code.lower()}
    ).content.decode()
    assert world.enterprise_a.name in html


def test_enterprise_list_query_count_does_not_grow(world, login, django_assert_max_num_queries):
    client = login(world.user("county"))
    with django_assert_max_num_queries(9):
        client.get(reverse("regions:enterprise_list"))
    for i in range(30):
        ProjectFactory(name=f"项目{i}", enterprise=EnterpriseFactory(), county=world.county_a)
    with django_assert_max_num_queries(9):
        html = client.get(reverse("regions:enterprise_list")).content.decode()
    assert "共 31 家企业" in html


def test_enterprise_detail_lists_its_projects_and_history(world, login):
    client = login(world.user("enterprise"))
    html = client.get(
        reverse("regions:enterprise_detail", kwargs={"pk": world.enterprise_a.pk})
    ).content.decode()
    assert world.project_a.name in html and world.enterprise_a.credit_code in html
    assert "编辑企业" not in html


def test_enterprise_create_and_edit(world, login):
    client = login(world.user("county"))
    response = client.post(
        reverse("regions:enterprise_create"),
        {"name": "山西丙能源有限公司", "credit_code": GOOD_CODE.lower(), "contact": "王工"},
    )
    enterprise = Enterprise.objects.get(name="山西丙能源有限公司")
    assert response.status_code == 302
    assert enterprise.credit_code == GOOD_CODE
    assert enterprise.county == world.county_a  # a county officer's enterprise is theirs
    assert AuditLog.objects.filter(
        action="create", object_type="regions.enterprise", object_id=str(enterprise.pk)
    ).exists()

    response = client.post(
        reverse("regions:enterprise_edit", kwargs={"pk": enterprise.pk}),
        {
            "name": "山西丙能源有限公司",
            "credit_code": GOOD_CODE,
            "county": world.county_a.pk,
            "phone": "0358-1234567",
        },
    )
    assert response.status_code == 302
    enterprise.refresh_from_db()
    assert enterprise.phone == "0358-1234567"
    html = client.get(
        reverse("regions:enterprise_detail", kwargs={"pk": enterprise.pk})
    ).content.decode()
    assert "联系电话" in html and "0358-1234567" in html


def test_enterprise_edit_cannot_move_it_out_of_ones_scope(world, login):
    enterprise = EnterpriseFactory(name="山西戊有限公司", county=world.county_a)
    client = login(world.user("county"))
    response = client.post(
        reverse("regions:enterprise_edit", kwargs={"pk": enterprise.pk}),
        {"name": "山西戊有限公司", "credit_code": enterprise.credit_code, "county": ""},
    )
    assert response.status_code == 200
    assert "修改后该对象将不在您的权限范围内" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.county == world.county_a
    assert not AuditLog.objects.filter(action="update").exists()


def test_enterprise_bad_credit_code_is_refused_in_chinese(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        reverse("regions:enterprise_create"), {"name": "山西丁有限公司", "credit_code": BAD_CODE}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "统一社会信用代码校验位错误" in html
    assert not Enterprise.objects.filter(name="山西丁有限公司").exists()
    response = client.post(
        reverse("regions:enterprise_create"),
        {"name": world.enterprise_a.name, "credit_code": GOOD_CODE},
    )
    assert "已有同名企业" in response.content.decode()
    assert Enterprise.objects.count() == 2


def test_enterprise_edit_is_refused_to_readers_and_out_of_scope(world, login):
    data = {"name": "改名公司", "credit_code": world.enterprise_a.credit_code}
    url_a = reverse("regions:enterprise_edit", kwargs={"pk": world.enterprise_a.pk})
    for role in ("leader", "enterprise"):
        assert login(world.user(role)).post(url_a, data).status_code == 403
    url_b = reverse("regions:enterprise_edit", kwargs={"pk": world.enterprise_b.pk})
    assert login(world.user("county")).post(url_b, data).status_code == 404
    assert not Enterprise.objects.filter(name="改名公司").exists()


def test_zone_create_and_edit(world, login):
    client = login(world.user("city_office"))
    response = client.post(
        reverse("regions:zone_create"),
        {
            "name": "文水经济开发区",
            "level": "provincial",
            "county": world.county_a.pk,
            "area_km2": "12.5",
        },
    )
    assert response.status_code == 302
    zone = DevelopmentZone.objects.get(name="文水经济开发区")
    assert AuditLog.objects.filter(action="create", object_id=str(zone.pk)).exists()
    response = client.post(
        reverse("regions:zone_edit", kwargs={"pk": zone.pk}),
        {
            "name": "文水经济开发区",
            "level": "provincial",
            "county": world.county_a.pk,
            "area_km2": "-1",
        },
    )
    assert response.status_code == 200 and "规划面积不能为负数" in response.content.decode()
    zone.refresh_from_db()
    assert str(zone.area_km2) == "12.50"
    response = login(world.user("county")).post(
        reverse("regions:zone_create"),
        {"name": "县建开发区", "level": "provincial", "county": world.county_a.pk},
    )
    assert response.status_code == 403
    assert not DevelopmentZone.objects.filter(name="县建开发区").exists()


def test_zone_detail_summarises_its_projects(world, login):
    html = (
        login(world.user("zone"))
        .get(reverse("regions:zone_detail", kwargs={"pk": world.zone_a.pk}))
        .content.decode()
    )
    assert world.project_a.name in html and "编辑开发区" not in html


def test_county_list_counts_only_what_the_user_sees(world, login):
    ProjectFactory(name="另一个离石项目", enterprise=world.enterprise_a, county=world.county_a)
    html = login(world.user("county")).get(reverse("regions:county_list")).content.decode()
    assert "离石区" in html and "孝义市" not in html
    html = login(world.user("city_office")).get(reverse("regions:county_list")).content.decode()
    body = html[html.index("<tbody>") :]
    assert body.count("<tr>") == 13  # all 13 counties
    lishi = body[body.index("离石区") : body.index("</tr>", body.index("离石区"))]
    assert '<td class="text-end fw-semibold">2</td>' in lishi
    html = login(world.user("zone")).get(reverse("regions:county_list")).content.decode()
    assert "离石区" in html and "孝义市" not in html


def test_county_list_for_an_enterprise_shows_the_counties_of_its_projects(world, login):
    ProjectFactory(name="甲公司孝义项目", enterprise=world.enterprise_a, county=world.county_b)
    html = login(world.user("enterprise")).get(reverse("regions:county_list")).content.decode()
    assert "离石区" in html and "孝义市" in html and "汾阳市" not in html


def test_county_officer_cannot_register_an_enterprise_that_would_vanish_from_view(world, login):
    client = login(world.user("county"))
    response = client.post(
        reverse("regions:enterprise_create"),
        {
            "name": "外县企业有限公司",
            "credit_code": make_credit_code(4242, "141181"),
            "county": world.county_b.pk,
        },
    )
    assert response.status_code == 200
    assert "只能登记注册地在本辖区的企业" in response.content.decode()
    assert not Enterprise.objects.filter(name="外县企业有限公司").exists()
