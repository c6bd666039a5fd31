"""The ledger import/export service (`sanpi.projects.io`): what each input gets."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest

from sanpi.accounts.actors import cli_actor
from sanpi.core import xlsx
from sanpi.core.errors import PermissionDenied
from sanpi.core.imports import ImportRejected
from sanpi.core.models import AuditLog
from sanpi.projects import services
from sanpi.projects.io import ledger_import
from sanpi.projects.ledger_export import ledger_export, ledger_template
from sanpi.projects.models import Activity, ActivityEntry, Project, ProjectEvent
from sanpi.projects.selectors import ProjectFilter
from sanpi.projects.tests.factories import ActivityFactory
from sanpi.projects.tests.ledger_files import activity, fill_every_cell, row, signed, workbook
from sanpi.regions.models import Enterprise
from sanpi.regions.tests.factories import make_credit_code

pytestmark = pytest.mark.django_db

CITY_CODE_OK = make_credit_code(50_001, "141102")


def rejected(by, data: bytes, **kwargs) -> ImportRejected:
    with pytest.raises(ImportRejected) as info:
        ledger_import(by=by, data=data, **kwargs)
    return info.value


def counts() -> dict[str, int]:
    return {
        "projects": Project.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "activities": Activity.objects.count(),
        "entries": ActivityEntry.objects.count(),
        "events": ProjectEvent.objects.count(),
        "audit": AuditLog.objects.count(),
    }


def bad_check_char(code: str) -> str:
    return code[:17] + ("0" if code[17] != "0" else "1")


# --- creating and updating ----------------------------------------------------------------


def test_new_rows_create_projects_enterprises_events_entries_and_audit(world):
    city = world.user("city_office")
    data = workbook(
        [
            row(1, 项目代码="2103-141102-89-01-000001"),
            signed(2),
            signed(
                3,
                项目阶段="投产",
                开工日期="2021/05/06",
                投产日期=dt.datetime(2022, 5, 27),
                投产批次="2022-1",
                所属开发区=None,
                签约方式="同步签约",
            ),
        ],
        [activity(2022, 1, dt.date(2022, 5, 27), "市级", "孝义经济开发区")],
    )
    before = counts()
    result = ledger_import(by=city, data=data, filename="台账.xlsx")

    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert (result.enterprises_created, result.activities_created) == (3, 1)
    assert (result.entries_created, result.events_created) == (1 + 2, 0 + 1 + 3)
    assert result.summary_text() == (
        "导入完成。共3行：新增项目3个，更新0个，未变化0个；新增企业3家；新增活动1个；新增活动归属3条。"
    )
    after = counts()
    assert after["projects"] - before["projects"] == 3
    assert after["enterprises"] - before["enterprises"] == 3

    p1 = Project.objects.get(name="新材料项目1")
    assert p1.code == "2103-141102-89-01-000001"
    assert (p1.county, p1.zone) == (world.county_a, world.zone_a)
    assert p1.total_investment_wan == Decimal("12000.50")
    assert p1.planned_tax_wan == Decimal("1500.25")
    assert p1.land_mu == Decimal("120.50")
    assert (p1.industry, p1.construction_kind, p1.stage) == ("new_material", "new", "reserve")
    assert (p1.is_standard_land, p1.is_provincial_key, p1.is_city_key) == (True, False, False)
    assert p1.enterprise.credit_code == CITY_CODE_OK
    assert p1.enterprise.county == world.county_a

    p2 = Project.objects.get(name="新材料项目2")
    entry = ActivityEntry.objects.get(project=p2)
    assert (entry.activity, entry.action, entry.sign_mode) == (world.activity, "sign", "onsite")
    assert entry.investment_wan == Decimal("12000.50")
    event = p2.events.get()
    assert (event.value, event.date, event.activity) == (
        "signed",
        dt.date(2021, 3, 22),
        world.activity,
    )

    p3 = Project.objects.get(name="新材料项目3")
    assert p3.zone is None
    assert (p3.stage, p3.started_date, p3.produced_date) == (
        "produced",
        dt.date(2021, 5, 6),
        dt.date(2022, 5, 27),
    )
    new_activity = Activity.objects.get(year=2022, sequence=1)
    assert (new_activity.level, new_activity.venue) == ("city", "孝义经济开发区")
    assert {(e.action, e.activity_id, e.sign_mode) for e in p3.activity_entries.all()} == {
        ("sign", world.activity.pk, "sync"),
        ("produce", new_activity.pk, ""),
    }
    assert [e.value for e in p3.events.order_by("date")] == ["signed", "started", "produced"]

    # One audit row per project, enterprise, activity and entry, plus the import summary.
    rows = AuditLog.objects.filter(pk__gt=0).order_by("id")
    created = rows.filter(action="create", object_type="projects.project")
    assert created.count() == 3
    snapshot = created.get(object_id=str(p1.pk)).after
    assert snapshot["total_investment_wan"] == "12000.50" and snapshot["zone"] == world.zone_a.pk
    assert rows.filter(action="create", object_type="regions.enterprise").count() == 3
    assert rows.filter(action="create", object_type="projects.activity").count() == 1
    assert rows.filter(action="create", object_type="projects.activityentry").count() == 3
    summary = rows.get(action="import")
    assert summary.after["created"] == 3
    assert summary.message.startswith("导入项目台账“台账.xlsx”：导入完成。共3行")
    assert summary.source == "system"  # no audit context here; the CLI and the web set one


def test_a_row_matching_name_and_unit_updates_the_project(world):
    city = world.user("city_office")
    project = world.project_a
    data = workbook(
        [
            signed(
                1,
                项目名称=project.name,
                项目单位=world.enterprise_a.name,
                统一社会信用代码=world.enterprise_a.credit_code,
                **{"总投资(万元)": "15,000.75", "预计年产值(万元)": None},
            ),
            row(2),
        ]
    )
    result = ledger_import(by=city, data=data)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 0)
    assert result.enterprises_created == 1

    project.refresh_from_db()
    assert project.total_investment_wan == Decimal("15000.75")
    assert project.planned_output_wan is None  # an empty cell clears the field
    assert (project.stage, project.signed_date) == ("signed", dt.date(2021, 3, 22))
    entry = project.activity_entries.get()
    assert entry.investment_wan == Decimal("15000.75")
    assert [(e.value, e.activity) for e in project.events.all()] == [("signed", world.activity)]

    log = AuditLog.objects.get(action="update", object_id=str(project.pk))
    assert log.before["stage"] == "reserve" and log.after["stage"] == "signed"
    assert log.before["total_investment_wan"] == "10000.00"
    assert log.after["total_investment_wan"] == "15000.75"
    assert log.message == (
        "Excel台账导入：阶段 储备 → 签约；修改总投资(万元)、预计年产值(万元)、预计年税收(万元)、"
        "用地面积(亩)、是否标准地、签约日期"
    )


def test_import_of_the_same_file_twice_changes_nothing_the_second_time(world):
    city = world.user("city_office")
    data = workbook([signed(1), row(2)])
    ledger_import(by=city, data=data)
    before = counts()
    result = ledger_import(by=city, data=data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert result.entries_created == 0
    after = counts()
    assert after == {**before, "audit": before["audit"] + 1}  # the summary row only


def test_dry_run_validates_and_writes_nothing(world):
    city = world.user("city_office")
    before = counts()
    result = ledger_import(by=city, data=workbook([signed(1), row(2)], [activity()]), dry_run=True)
    assert (result.created, result.enterprises_created, result.activities_created) == (2, 2, 1)
    assert result.dry_run
    assert result.summary_text().startswith(
        "校验通过，未写入任何数据（仅校验）。若正式导入将：共2行"
    )
    assert counts() == before


# --- bad input: every error at once, exact words ------------------------------------------


def test_every_bad_row_is_reported_at_once_with_its_reason(world):
    city = world.user("city_office")
    good = row(1, 项目代码="2103-141102-89-01-000001")
    rows = [
        good,  # row 2
        row(3, 统一社会信用代码=bad_check_char(make_credit_code(50_003, "141102"))),
        row(4, **{"所属县(市、区)": "太原市"}),
        row(5, 所属开发区="不存在开发区"),
        row(6, **{"所属县(市、区)": "孝义市"}),  # zone A is in 离石区
        row(7, **{"总投资(万元)": -5}),
        row(8, **{"预计年产值(万元)": "三千"}),
        row(9, **{"预计年税收(万元)": 12.345}),
        row(10, 项目阶段="开工", 签约日期="2021-05-01", 开工日期="2021-04-01"),
        row(11, 项目阶段="签约"),
        row(12, 开工日期="2021-04-01"),
        signed(13, 签约批次="2030-1"),
        signed(14, 签约方式=None),
        row(1, 统一社会信用代码=good["统一社会信用代码"]),  # same 项目名称 + 项目单位 as row 2
        row(16, 项目代码="2103-141102-89-01-000001"),
        row(17, 项目代码="2104-141100-89"),
        row(18, 项目阶段="签约", 签约日期="2021-13-45"),
        row(19, 项目阶段="在建"),
        row(20, 是否标准地="Y"),
        row(21, 项目名称=None),
        signed(22, 签约批次="2021年4"),
        row(23, 签约方式="现场签约"),
        row(24, 产业类别="煤炭"),
        row(25, **{"总投资(万元)": dt.date(2021, 1, 1)}),
        row(26, 签约批次="2021-4", 签约方式="现场签约"),
        signed(27, 计划竣工日期=dt.date(2021, 3, 1)),
    ]
    before = counts()
    error = rejected(city, workbook(rows))
    x = "（请在“三个一批活动”表中列出，或先在系统中创建）"
    assert error.lines == [
        f"第3行 统一社会信用代码（D列）: 校验位错误（第18位应为{make_credit_code(50_003, '141102')[17]}）",
        "第4行 所属县(市、区)（E列）: “太原市”不是吕梁市的县(市、区)（可填全称如“离石区”、简称如“离石”或6位代码）",
        "第5行 所属开发区（F列）: 没有名为“不存在开发区”的开发区",
        "第6行 所属开发区（F列）: 开发区“吕梁经济技术开发区”不在孝义市",
        "第7行 总投资(万元)（I列）: 不能为负数",
        "第8行 预计年产值(万元)（J列）: “三千”不是数字",
        "第9行 预计年税收(万元)（K列）: 最多保留两位小数（实为12.345）",
        "第10行 开工日期（R列）: 开工日期2021-04-01早于签约日期2021-05-01",
        "第11行 签约日期（O列）: 项目阶段为“签约”，须填写签约日期",
        "第12行 开工日期（R列）: 项目阶段为“储备”，不应填写开工日期",
        f"第13行 签约批次（P列）: 没有2030年第1次“三个一批”活动{x}",
        "第14行 签约方式（Q列）: 填写了签约批次，须填写签约方式（现场签约或同步签约）",
        "第15行 项目名称（B列）: 与第2行重复（项目名称和项目单位相同）",
        "第16行 项目代码（A列）: 与第2行的项目代码重复",
        "第17行 项目代码（A列）: 应为24位（含连字符），实为14位",
        "第18行 签约日期（O列）: “2021-13-45”不是有效日期",
        "第19行 项目阶段（N列）: “在建”不是有效的项目阶段（可选：储备、签约、开工、投产、达效）",
        "第20行 是否标准地（M列）: 应填“是”或“否”，实为“Y”",
        "第21行 项目名称（B列）: 不能为空",
        "第22行 签约批次（P列）: “2021年4”格式不对，应为 年度-批次，如 2021-4（2021年第4次活动）",
        "第23行 签约方式（Q列）: 未填写签约批次，不应填写签约方式",
        "第24行 产业类别（G列）: “煤炭”不是有效的产业类别"
        "（可选：新基建、新技术、新材料、新装备、新产品、新业态、战略性新兴产业、传统产业）",
        "第25行 总投资(万元)（I列）: 应为数字，实为日期",
        "第26行 签约批次（P列）: 项目阶段为“储备”，不应填写签约批次",
        "第27行 计划竣工日期（W列）: 计划竣工日期（2021-03-01）早于签约日期（2021-03-22）",
    ]
    assert error.message == "文件有25处错误，未导入任何数据，请改正后重新导入。"
    assert counts() == before


def test_one_bad_row_among_good_ones_writes_nothing(world):
    city = world.user("city_office")
    rows = [signed(1), row(2), row(3, **{"总投资(万元)": "abc"}), row(4)]
    before = counts()
    error = rejected(city, workbook(rows))
    assert error.lines == ["第4行 总投资(万元)（I列）: “abc”不是数字"]
    assert counts() == before
    assert not Project.objects.filter(name__startswith="新材料项目").exists()
    assert not Enterprise.objects.filter(name__startswith="山西测试").exists()


def test_enterprise_and_code_conflicts(world):
    city = world.user("city_office")
    services.project_update(
        by=cli_actor(), project=world.project_b, code="2103-141181-89-01-000009"
    )
    ent_a = world.enterprise_a
    rows = [
        row(1, 项目单位=ent_a.name, 统一社会信用代码=make_credit_code(50_001, "141102")),
        row(2, 统一社会信用代码=ent_a.credit_code),  # a new name with enterprise A's code
        row(3, 项目代码="2103-141181-89-01-000009"),  # project B's code
        row(4, 项目单位="山西同名公司"),
        row(5, 项目单位="山西同名公司"),  # same enterprise, another code
        row(6, 统一社会信用代码=make_credit_code(50_007, "141102")),
        row(
            7, 统一社会信用代码=make_credit_code(50_007, "141102")
        ),  # another enterprise, same code
    ]
    assert rejected(city, workbook(rows)).lines == [
        f"第2行 统一社会信用代码（D列）: 与系统中该企业“{ent_a.name}”已登记的统一社会信用代码"
        f"{ent_a.credit_code}不一致",
        f"第3行 统一社会信用代码（D列）: 此代码在系统中属于“{ent_a.name}”，与本行项目单位"
        "“山西测试2科技有限公司”不一致；如企业已更名，请先在企业页面修改名称",
        f"第4行 项目代码（A列）: 此项目代码在系统中属于项目“{world.project_b.name}”"
        f"（{world.project_b.enterprise.name}），与本行的项目名称或项目单位不一致",
        "第6行 统一社会信用代码（D列）: 与第5行同一企业的统一社会信用代码不一致",
        "第8行 统一社会信用代码（D列）: 与第7行企业“山西测试6科技有限公司”的统一社会信用代码相同",
    ]


def test_stage_only_moves_forward_and_attributions_stay(world):
    city = world.user("city_office")
    project = world.project_a
    actor = cli_actor()
    services.activity_add_project(
        by=actor, activity=world.activity, project=project, action="sign", sign_mode="onsite"
    )
    services.project_advance_stage(
        by=actor, project=project, to_stage="started", date=dt.date(2021, 6, 1)
    )
    other = ActivityFactory(year=2021, sequence=2, date=dt.date(2021, 3, 1))
    same = {
        "项目名称": project.name,
        "项目单位": world.enterprise_a.name,
        "统一社会信用代码": world.enterprise_a.credit_code,
    }
    started = {**same, "项目阶段": "开工", "开工日期": "2021-06-01"}
    assert rejected(city, workbook([signed(1, **same)])).lines == [
        "第2行 项目阶段（N列）: 阶段只能向前推进：项目已处于“开工”阶段，不能改为“签约”"
    ]
    assert rejected(city, workbook([signed(1, **started, 签约批次="2021-2")])).lines == [
        "第2行 签约批次（P列）: 项目已在2021年第4次“三个一批”活动中签约，不能改为2021-2"
        "（如需更正，请先在活动页面移除原归属）"
    ]
    assert rejected(city, workbook([signed(1, **started, 签约方式="同步签约")])).lines == [
        "第2行 签约方式（Q列）: 项目已在2021年第4次“三个一批”活动中以“现场签约”方式签约，不能改为“同步签约”"
    ]
    assert other.entries.count() == 0
    # Forward, with the attribution already recorded (or left empty): fine.
    produced = {**started, "项目阶段": "投产", "投产日期": "2022-01-10"}
    result = ledger_import(
        by=city, data=workbook([signed(1, **produced, 签约批次=None, 签约方式=None)])
    )
    assert (result.updated, result.entries_created) == (1, 0)
    project.refresh_from_db()
    assert (project.stage, project.produced_date) == ("produced", dt.date(2022, 1, 10))
    assert project.events.order_by("id").last().value == "produced"
    assert project.activity_entries.get().activity == world.activity


def test_a_stage_reached_later_in_another_activity(world):
    """A project may pass its stages in different activities, or outside any."""
    city = world.user("city_office")
    ledger_import(by=city, data=workbook([signed(1)]))
    data = workbook(
        [
            signed(1, 项目阶段="开工", 开工日期="2022-05-27", 开工批次="2022-1"),
            signed(2, 项目阶段="开工", 开工日期="2021-08-01"),
        ],
        [activity(2022, 1, dt.date(2022, 5, 27))],
    )
    result = ledger_import(by=city, data=data)
    assert (result.created, result.updated, result.entries_created) == (1, 1, 2)
    project = Project.objects.get(name="新材料项目1")
    assert {(e.action, e.activity.key) for e in project.activity_entries.all()} == {
        ("sign", "2021-4"),
        ("start", "2022-1"),
    }
    assert [(e.value, e.activity.key if e.activity else None) for e in project.events.all()] == [
        ("signed", "2021-4"),
        ("started", "2022-1"),
    ]


def test_activity_sheet_errors_and_rights(world):
    county = world.user("county")
    rows = [row(1)]
    activities = [
        activity(2022, 1, dt.date(2021, 12, 1)),  # date outside its year
        activity(2022, 2, dt.date(2022, 3, 1), level="县级"),
        activity(2022, 3, dt.date(2022, 3, 1)),  # new: the county may not create activities
        activity(2022, 3, dt.date(2022, 3, 1)),
        activity(2021, 4, dt.date(2021, 3, 22), venue="兴县"),  # as in the database: fine
        activity(2021, 4, dt.date(2021, 3, 23), venue="兴县"),
    ]
    activities[5]["批次"] = 4
    error = rejected(county, workbook(rows, activities))
    assert error.lines == [
        "三个一批活动表 第2行 日期（C列）: 活动日期2021-12-01不在2022年度内",
        "三个一批活动表 第3行 级别（D列）: “县级”不是有效的级别（可选：省级、市级）",
        "三个一批活动表 第4行 批次（B列）: 系统中没有2022年第3次活动，您无权新增“三个一批”活动",
        "三个一批活动表 第5行 批次（B列）: 与第4行重复（同一年度、批次）",
        "三个一批活动表 第7行 批次（B列）: 与第6行重复（同一年度、批次）",
    ]


def test_activity_differing_from_the_database(world):
    county, city = world.user("county"), world.user("city_office")
    changed = [activity(2021, 4, dt.date(2021, 3, 23), "市级", "兴县")]
    assert rejected(county, workbook([row(1)], changed)).lines == [
        "三个一批活动表 第2行 日期（C列）: 与系统中已登记的2021年第4次活动不一致（系统中为“2021-03-22”），您无权修改活动",
        "三个一批活动表 第2行 级别（D列）: 与系统中已登记的2021年第4次活动不一致（系统中为“省级”），您无权修改活动",
    ]
    result = ledger_import(by=city, data=workbook([row(1)], changed))
    assert result.activities_updated == 1
    world.activity.refresh_from_db()
    assert (world.activity.date, world.activity.level) == (dt.date(2021, 3, 23), "city")
    log = AuditLog.objects.get(action="update", object_type="projects.activity")
    assert (log.before["level"], log.after["level"]) == ("province", "city")


# --- the file itself ----------------------------------------------------------------------


def test_columns_in_any_order_under_other_names_and_extra_columns_are_read(world):
    city = world.user("city_office")
    headers = list(xlsx_headers())
    headers[0], headers[1] = headers[1], headers[0]  # 项目名称 before 项目代码
    renamed = {"项目单位": "建设单位", "总投资(万元)": "计划总投资（万元）", "项目代码": "项目编码"}
    headers = [renamed.get(h, h) for h in headers]
    cells = [row(1, 项目代码="2103-141102-89-01-000001")]
    cells = [{renamed.get(k, k): v for k, v in c.items()} for c in cells]
    data = workbook(cells, headers=["序号", *headers, "", "备注"])
    result = ledger_import(by=city, data=data)
    assert result.created == 1
    project = Project.objects.get(name="新材料项目1")
    assert (project.code, project.enterprise.name, project.total_investment_wan) == (
        "2103-141102-89-01-000001",
        "山西测试1科技有限公司",
        Decimal("12000.50"),
    )
    understood = result.understood["ledger"]
    assert [c["header"] for c in understood["ignored"]] == ["序号", "备注"]
    assert {c["header"]: c["how"] for c in understood["columns"]}["建设单位"] == "同义词"


def test_a_column_named_twice_or_missing_is_refused_with_what_was_found(world):
    city = world.user("city_office")
    twice = [*xlsx_headers(), "项目名称"]
    assert rejected(city, workbook([row(1)], headers=twice)).lines == [
        "第1行 项目名称（AA列）: 与B列“项目名称”都对应模板的“项目名称”，请删除或改名其中一列"
    ]
    headers = ["企业名字" if h == "项目单位" else h for h in xlsx_headers()]
    data = workbook([{("企业名字" if k == "项目单位" else k): v for k, v in row(1).items()}],
                    headers=headers)  # fmt: skip
    assert rejected(city, data).lines == [
        "第1行 项目单位: 找不到此列（表头在第1行）。文件中未能对应的列：C列“企业名字”"
    ]
    # …which the clerk's own mapping resolves.
    assert ledger_import(by=city, data=data, mapping={"企业名字": "项目单位"}).created == 1


def test_a_unit_other_than_the_templates_is_refused_never_converted(world):
    city = world.user("city_office")
    headers = ["总投资(亿元)" if h == "总投资(万元)" else h for h in xlsx_headers()]
    cells = [{("总投资(亿元)" if k == "总投资(万元)" else k): v for k, v in row(1).items()}]
    assert rejected(city, workbook(cells, headers=headers)).lines == [
        "第1行 总投资(亿元)（I列）: 单位是亿元，本系统此列为“总投资(万元)”（单位万元），"
        "请换算为万元后把列名改为“总投资(万元)”"
    ]
    headers = ["总投资" if h == "总投资(万元)" else h for h in xlsx_headers()]
    cells = [{("总投资" if k == "总投资(万元)" else k): v for k, v in row(1).items()}]
    assert rejected(city, workbook(cells, headers=headers)).lines == [
        "第1行 总投资（I列）: 列名没有注明单位，请改为“总投资(万元)”（或在表头上方注明“单位：万元”）"
    ]


def xlsx_headers() -> list[str]:
    from sanpi.projects.io import LEDGER

    return LEDGER.headers


def test_a_missing_optional_column_leaves_existing_projects_as_they_are(world):
    city = world.user("city_office")
    ledger_import(by=city, data=workbook([row(1, 是否市重点="是", **{"预计年税收(万元)": 8})]))
    headers = [h for h in xlsx_headers() if h not in ("是否市重点", "预计年税收(万元)")]
    result = ledger_import(by=city, data=workbook([row(1), row(2)], headers=headers))
    assert (result.created, result.unchanged) == (1, 1)
    assert result.understood["ledger"]["missing"] == ["预计年税收(万元)", "是否市重点"]
    kept = Project.objects.get(name="新材料项目1")
    assert (kept.is_city_key, kept.planned_tax_wan) == (True, Decimal("8.00"))
    new = Project.objects.get(name="新材料项目2")
    assert (new.is_city_key, new.planned_tax_wan) == (False, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"not a workbook",
            "在前30行中找不到表头（应含“项目代码”“项目名称”“项目单位”“统一社会信用代码”等列名）。"
            "第1行的内容为：“not a workbook”。请使用导入模板的列名，或在导入页面指定各列的对应关系",
        ),
        (b"", "文件是空的，请检查是否选错了文件"),
        (b"%PDF-1.4 ...", "这是 PDF 文件，不是表格，请上传 .xlsx、.xls 或 .csv 文件"),
    ],
)
def test_not_a_workbook(world, data, message):
    error = rejected(world.user("city_office"), data)
    assert error.lines == [message]
    assert error.marked is None


def test_missing_sheet_and_empty_sheets(world):
    city = world.user("city_office")
    # The only sheet is the ledger, whatever its name; a year or a space in it is fine.
    assert ledger_import(by=city, data=workbook([row(1)], sheet="Sheet1")).created == 1
    assert (
        ledger_import(by=city, data=workbook([row(2)], sheet=" 项目台账（2022年） ")).created == 1
    )
    two = workbook([row(3)], [activity()], sheet="Sheet1")
    assert ledger_import(by=city, data=two).created == 1  # the other sheet is 三个一批活动
    assert rejected(city, workbook([], headers=[])).lines == ["工作表“项目台账”是空的"]
    assert rejected(city, workbook([])).lines == ["工作表“项目台账”没有数据行"]
    # An optional 三个一批活动 sheet with its header only is fine.
    assert ledger_import(by=city, data=workbook([row(4)], [])).created == 1


def test_blank_rows_are_skipped_and_row_numbers_stay_excel_rows(world):
    data = workbook([row(1), {}, {}, row(4, **{"总投资(万元)": "x"})])
    assert rejected(world.user("city_office"), data).lines == [
        "第5行 总投资(万元)（I列）: “x”不是数字"
    ]


def test_counties_by_code_and_dates_in_every_accepted_form(world):
    rows = [
        row(1, **{"所属县(市、区)": "141102"}, 项目阶段="签约", 签约日期="2021.03.05"),
        row(2, 项目阶段="签约", 签约日期="2021/3/5"),
        row(3, 项目阶段="签约", 签约日期="2021年3月5日"),
        row(4, 项目阶段="签约", 签约日期=dt.datetime(2021, 3, 5, 0, 0)),
    ]
    ledger_import(by=world.user("city_office"), data=workbook(rows))
    dates = set(
        Project.objects.filter(name__startswith="新材料").values_list("signed_date", flat=True)
    )
    assert dates == {dt.date(2021, 3, 5)}


# --- scope and rights ----------------------------------------------------------------------


def test_county_and_zone_users_import_only_their_own_rows(world):
    county, zone = world.user("county"), world.user("zone")
    outside = row(1, **{"所属县(市、区)": "孝义市", "所属开发区": "孝义经济开发区"})
    assert rejected(county, workbook([outside])).lines == [
        "第2行 所属县(市、区)（E列）: 超出您的管辖范围"
    ]
    assert rejected(zone, workbook([outside])).lines == [
        "第2行 所属开发区（F列）: 超出您的管辖范围"
    ]
    no_zone = row(2, 所属开发区=None)
    assert rejected(zone, workbook([no_zone])).lines == [
        "第2行 所属开发区（F列）: 超出您的管辖范围"
    ]
    # Project B (county B) named by a county-A user, even moved into county A: refused.
    project_b = {
        "项目名称": world.project_b.name,
        "项目单位": world.enterprise_b.name,
        "统一社会信用代码": world.enterprise_b.credit_code,
    }
    assert rejected(county, workbook([row(3, **project_b)])).lines == [
        "第2行 项目名称（B列）: 超出您的管辖范围"
    ]
    assert ledger_import(by=county, data=workbook([no_zone])).created == 1
    assert ledger_import(by=zone, data=workbook([row(4)])).created == 1


@pytest.mark.parametrize("role", ["leader", "enterprise", "admin", "auditor"])
def test_import_needs_the_capability(world, role):
    before = counts()
    with pytest.raises(PermissionDenied):
        ledger_import(by=world.user(role), data=workbook([row(1)]))
    assert counts() == before


# --- the marked copy ----------------------------------------------------------------------


def test_marked_copy_has_the_bad_cells_red_with_comments_and_an_error_column(world):
    data = workbook(
        [row(1), row(2, **{"总投资(万元)": -1, "所属县(市、区)": "太原市"}), row(3, 是否标准地="Y")]
    )
    error = rejected(world.user("city_office"), data)
    assert error.marked is not None
    assert xlsx.marked_cells(error.marked) == {
        "项目台账": {
            "E3": "“太原市”不是吕梁市的县(市、区)（可填全称如“离石区”、简称如“离石”或6位代码）",
            "I3": "不能为负数",
            "M4": "应填“是”或“否”，实为“Y”",
        }
    }
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(error.marked))["项目台账"]
    assert ws["E3"].fill.start_color.rgb == "FFFFC7CE"
    assert ws["AA1"].value == "错误"
    assert ws["AA2"].value is None
    assert ws["AA3"].value == (
        "所属县(市、区): “太原市”不是吕梁市的县(市、区)（可填全称如“离石区”、简称如“离石”或6位代码）；总投资(万元): 不能为负数"
    )
    assert ws["AA4"].value == "是否标准地: 应填“是”或“否”，实为“Y”"
    assert ws["B3"].value == "新材料项目2"  # the user's data is untouched

    # The user fixes row 3 in the marked copy and uploads it again: the 错误 column is
    # ignored, old marks are cleared, the remaining error is marked afresh.
    ws["E3"].value = "离石区"
    ws["I3"].value = 100
    buffer = io.BytesIO()
    ws.parent.save(buffer)
    again = rejected(world.user("city_office"), buffer.getvalue())
    assert again.lines == ["第4行 是否标准地（M列）: 应填“是”或“否”，实为“Y”"]
    assert xlsx.marked_cells(again.marked) == {"项目台账": {"M4": "应填“是”或“否”，实为“Y”"}}
    remarked = load_workbook(io.BytesIO(again.marked))["项目台账"]
    assert remarked["AA3"].value is None


def test_header_errors_are_marked_on_the_header_row(world):
    headers = ["总投资(亿元)" if h == "总投资(万元)" else h for h in xlsx_headers()]
    cells = [{("总投资(亿元)" if k == "总投资(万元)" else k): v for k, v in row(1).items()}]
    error = rejected(world.user("city_office"), workbook(cells, headers=headers))
    assert xlsx.marked_cells(error.marked) == {
        "项目台账": {
            "I1": "单位是亿元，本系统此列为“总投资(万元)”（单位万元），"
            "请换算为万元后把列名改为“总投资(万元)”"
        }
    }


# --- export -------------------------------------------------------------------------------


def _export_names(by, **filters) -> list[str]:
    from openpyxl import load_workbook

    export = ledger_export(by=by, filters=ProjectFilter(**filters))
    ws = load_workbook(io.BytesIO(export.data), read_only=True)["项目台账"]
    return sorted(r[1] for r in ws.iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize(
    ("role", "names"),
    [
        ("city_office", ["乙装备制造项目", "甲新材料项目"]),
        ("leader", ["乙装备制造项目", "甲新材料项目"]),
        ("county", ["甲新材料项目"]),
        ("zone", ["甲新材料项目"]),
        ("enterprise", ["甲新材料项目"]),
    ],
)
def test_export_is_scoped_per_role(world, role, names):
    assert _export_names(world.user(role)) == names
    log = AuditLog.objects.get(action="export")
    assert log.after == {"filters": {}, "count": len(names)}
    assert log.message == f"导出项目台账{len(names)}个项目"


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_export_needs_the_capability(world, role):
    with pytest.raises(PermissionDenied):
        ledger_export(by=world.user(role))
    assert not AuditLog.objects.filter(action="export").exists()


def test_export_is_filtered_as_on_screen(world):
    city = world.user("city_office")
    assert _export_names(city, county="141181") == ["乙装备制造项目"]
    assert _export_names(city, zone=str(world.zone_a.pk)) == ["甲新材料项目"]
    assert _export_names(city, stage="signed") == []
    log = AuditLog.objects.filter(action="export").order_by("id").first()
    assert log.message == "导出项目台账1个项目（筛选：county=141181）"


def test_export_then_import_changes_nothing(world):
    fill_every_cell(world)
    city = world.user("city_office")
    before = {x.pk: _state(x) for x in Project.objects.all()}
    export = ledger_export(by=city)
    counts_before = counts()

    result = ledger_import(by=city, data=export.data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert (result.activities_created, result.entries_created) == (0, 0)
    assert {x.pk: _state(x) for x in Project.objects.all()} == before
    assert counts() == {**counts_before, "audit": counts_before["audit"] + 1}
    # The county officer's export of their part round-trips too.
    county = world.user("county")
    result = ledger_import(by=county, data=ledger_export(by=county).data)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)


def _state(project: Project) -> dict:
    from sanpi.core.audit import snapshot

    state = snapshot(project)
    state.pop("updated_at")
    state["entries"] = sorted(
        (e.action, e.activity_id, e.sign_mode, str(e.investment_wan))
        for e in project.activity_entries.all()
    )
    return state


def test_export_writes_the_activities_referenced(world):
    from openpyxl import load_workbook

    services.activity_add_project(
        by=cli_actor(), activity=world.activity, project=world.project_b, action="sign",
        sign_mode="onsite",
    )  # fmt: skip
    ActivityFactory(year=2022, sequence=9)  # referenced by nobody
    wb = load_workbook(io.BytesIO(ledger_export(by=world.user("city_office")).data))
    assert [c.value for c in wb["三个一批活动"][1]] == ["年度", "批次", "日期", "级别", "会场"]
    assert [[c.value for c in r] for r in wb["三个一批活动"].iter_rows(min_row=2)] == [
        [2021, 4, dt.datetime(2021, 3, 22), "省级", "兴县"]
    ]
    header = [c.value for c in wb["项目台账"][1]]
    assert header == xlsx_headers()
    b_row = next(
        r for r in wb["项目台账"].iter_rows(min_row=2, values_only=True) if r[1] == "乙装备制造项目"
    )
    assert b_row[13:17] == ("签约", dt.datetime(2021, 3, 22), "2021-4", "现场签约")
    # Empty county scope: the county user sees none of it.
    wb = load_workbook(io.BytesIO(ledger_export(by=world.user("county")).data))
    assert wb["三个一批活动"].max_row == 1


def test_template_has_headers_lists_and_widths(world):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(ledger_template()))
    ws = wb["项目台账"]
    assert [c.value for c in ws[1]] == xlsx_headers()
    assert ws.max_row == 1
    assert ws.column_dimensions["B"].width == 36
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["N"] == '"储备,签约,开工,投产,达效"'
    assert lists["Q"] == '"现场签约,同步签约"'
    assert lists["M"] == '"是,否"'
    assert lists["G"].startswith('"新基建,新技术')
    assert lists["F"] == '"吕梁经济技术开发区,孝义经济开发区"'
    assert [c.value for c in wb["三个一批活动"][1]] == ["年度", "批次", "日期", "级别", "会场"]


def test_planned_completion_date_is_read_under_its_names_and_cleared_by_an_empty_cell(world):
    city = world.user("city_office")
    ledger_import(by=city, data=workbook([signed(1, 计划竣工日期="2024年6月30日")]))
    project = Project.objects.get(name="新材料项目1")
    assert project.planned_completion_date == dt.date(2024, 6, 30)
    renamed = signed(1, 计划竣工日期=None)
    del renamed["计划竣工日期"]
    renamed["预计完工时间"] = dt.date(2025, 12, 31)
    ledger_import(by=city, data=workbook([renamed], headers=list(renamed)))
    project.refresh_from_db()
    assert project.planned_completion_date == dt.date(2025, 12, 31)
    ledger_import(by=city, data=workbook([signed(1)]))
    project.refresh_from_db()
    assert project.planned_completion_date is None


def test_messages_about_out_of_scope_projects_say_only_that_they_are_out_of_scope(world):
    """A county-A officer's dry run must not learn that county B's project code is taken
    by which project, nor which stage an out-of-scope project has reached."""
    services.project_update(
        by=cli_actor(), project=world.project_b, code="2103-141181-89-01-000009"
    )
    services.project_advance_stage(
        by=cli_actor(), project=world.project_b, to_stage="signed", date=dt.date(2021, 3, 1)
    )
    county = world.user("county")
    taken = row(1, 项目代码="2103-141181-89-01-000009")
    lines = rejected(county, workbook([taken]), dry_run=True).lines
    assert lines == [
        "第2行 项目代码（A列）: 此项目代码属于您管辖范围以外的项目，请核对项目代码，或请市项目办处理"
    ]
    assert world.project_b.name not in "".join(lines)
    backwards = row(
        2, 项目名称=world.project_b.name, 项目单位=world.enterprise_b.name,
        统一社会信用代码=world.enterprise_b.credit_code,
    )  # fmt: skip
    lines = rejected(county, workbook([backwards]), dry_run=True).lines
    assert lines == ["第2行 项目名称（B列）: 超出您的管辖范围"]  # not "已处于签约阶段"
    # The city office is told which project holds the code.
    city_lines = rejected(world.user("city_office"), workbook([taken]), dry_run=True).lines
    assert world.project_b.name in city_lines[0]


def test_codes_held_elsewhere_are_told_by_what_the_user_sees_without_a_query_a_row(world):
    """The zone officer is told which of its own projects holds a code; codes held outside
    its area are only said to be so, however many rows name them, at no query per row."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sanpi.projects.tests.factories import ProjectFactory

    services.project_update(
        by=cli_actor(), project=world.project_a, code="2103-141102-89-01-000001"
    )
    codes = [f"2103-141181-89-01-{n:06d}" for n in range(1, 11)]
    for n, code in enumerate(codes):
        ProjectFactory(
            name=f"乙在外项目{n}", enterprise=world.enterprise_b, county=world.county_b, code=code
        )
    zone = world.user("zone")
    own = rejected(zone, workbook([row(1, 项目代码="2103-141102-89-01-000001")]), dry_run=True)
    assert world.project_a.name in own.lines[0]

    def queries(n: int) -> int:
        rows = [row(i + 1, 项目代码=code) for i, code in enumerate(codes[:n])]
        with CaptureQueriesContext(connection) as done:
            lines = rejected(zone, workbook(rows), dry_run=True).lines
        assert len(lines) == n and all("您管辖范围以外的项目" in line for line in lines)
        return len(done)

    assert queries(10) == queries(2)
