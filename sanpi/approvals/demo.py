"""The approvals part of the demo city (called at the end of sanpi.projects.demo).

Written through the services, like the rest of the demo, so every row has its audit
trail. Dates are counted back from today on the official calendar, so the demo always
shows items running, a few overdue, and finished 全代办 projects:

* departments: the city's bureaus, three counties' (离石区, 交城县, 孝义市) and the approval
  bureaus of 吕梁经开区 and 交城开发区;
* 交城开发区 (the seed's 全代办 county): three projects with the whole 30-item list and a
  full commission to the demo agent: one finished and evaluated by its company (a demo
  enterprise login), one halfway with overdue items, one just commissioned;
* 吕梁经开区: two projects with a few items handled by the zone's 行政审批局 (the demo
  department officer's unit), one of them overdue, and a low-risk warehouse on the
  six-stage fast track;
* 承诺制: commitments on some approvals, one of them past due, turned into a credit
  record by the scan.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.accounts.services import user_create
from sanpi.core.calendar import official_calendar
from sanpi.projects.models import Project
from sanpi.regions.models import County, Department, DevelopmentZone

from . import services
from .models import ProjectApproval, Track
from .rules import STAGE_ORDER, Building

DEMO_PASSWORD = "Lvliang#2021"

CITY_DEPARTMENTS = (
    ("吕梁市行政审批服务管理局", "approval"),
    ("吕梁市发展和改革委员会", "development"),
    ("吕梁市规划和自然资源局", "natural_resources"),
    ("吕梁市生态环境局", "ecology"),
    ("吕梁市住房和城乡建设局", "housing"),
    ("吕梁市应急管理局", "emergency"),
    ("吕梁市水利局", "water"),
    ("吕梁市人民防空办公室", "civil_air_defense"),
    ("吕梁市气象局", "meteorology"),
)
COUNTY_DEPARTMENTS = (
    ("行政审批服务管理局", "approval"),
    ("自然资源局", "natural_resources"),
    ("住房和城乡建设局", "housing"),
)
COUNTIES = ("141102", "141122", "141181")
ZONE_DEPARTMENTS = (("吕梁经开区", "吕梁经开区行政审批局"), ("交城开发区", "交城开发区行政审批局"))


def _departments(actor) -> None:
    for name, kind in CITY_DEPARTMENTS:
        services.department_create(by=actor, name=name, kind=kind, level="city")
    for code in COUNTIES:
        county = County.objects.get(code=code)
        for suffix, kind in COUNTY_DEPARTMENTS:
            services.department_create(
                by=actor, name=f"{county.name}{suffix}", kind=kind, level="county", county=county
            )
    for short, name in ZONE_DEPARTMENTS:
        zone = DevelopmentZone.objects.get(short_name=short)
        services.department_create(by=actor, name=name, kind="approval", level="zone", zone=zone)


def _users(company) -> tuple[dict[str, str], dict[str, User]]:
    admin = User.objects.filter(role="admin").order_by("pk").first()
    department = Department.objects.get(name="吕梁经开区行政审批局")
    out = {}
    specs = [
        ("dept_lvliang", "department", "吕梁经开区行政审批局 王审批", {"department": department}),
        ("agent_jiaocheng", "agent", "交城开发区代办员 李代办", {}),
        ("ent_jiaocheng", "enterprise", f"{company.name} 项目经理", {"enterprise": company}),
    ]
    users = {}
    for username, role, full_name, unit in specs:
        users[role] = user_create(
            by=admin,
            username=username,
            password=DEMO_PASSWORD,
            temporary=False,  # the demo's printed password stays usable
            role=role,
            full_name=full_name,
            **unit,
        )
        out[username] = full_name
    return out, users


class _Clock:
    def __init__(self, today: dt.date) -> None:
        self.calendar = official_calendar()
        self.today = today

    def add(self, day: dt.date, n: int) -> dt.date:
        return self.calendar.add(day, n).value

    def back(self, n: int) -> dt.date:
        """The working day n working days before today."""
        day = self.today
        while n > 0:
            day -= dt.timedelta(days=1)
            if self.calendar.is_working_day(day):
                n -= 1
        return day


def _run(actor, project, clock: _Clock, start: dt.date, *, late=(), stuck=()) -> None:
    """Walk a project's items stage by stage from `start`: applied and accepted the same
    day, decided a day or two inside the limit (`late` items two days past it, `stuck`
    items left open); the next stage applies on the day the last one finished."""
    items = list(ProjectApproval.objects.filter(project=project).select_related("catalogue_item"))
    day = start
    for stage in STAGE_ORDER:
        batch = [i for i in items if i.catalogue_item.stage == stage]
        if not batch or day > clock.today:
            continue
        end = day
        for n, item in enumerate(batch):
            name = item.catalogue_item.name
            services.item_update(by=actor, item=item, applied_on=day, handler="窗口受理")
            services.item_accept(by=actor, item=item, accepted_on=day)
            if name in stuck:
                continue
            if name in late:
                take = item.committed_days + 2
            else:
                take = max(1, item.committed_days - 1 - n % 2)
            decided = clock.add(day, take)
            if decided > clock.today:
                continue
            services.item_decide(by=actor, item=item, decided_on=decided, outcome="approved")
            end = max(end, decided)
        day = end


def _full_agency(actor, agent, project, clock: _Clock, consulted: dt.date) -> None:
    services.agency_step(by=actor, project=project, step="consult", date=consulted)
    services.approvals_add(
        by=actor,
        project=project,
        catalogue_items=list(Track.objects.get(code="full_agency").items.order_by("sequence")),
    )
    services.agency_step(
        by=actor,
        project=project,
        step="commission",
        date=clock.add(consulted, 1),
        extent="full",
        agent=agent,
        county_lead="交城县 副县长 郭明",
        zone_lead="交城开发区管委会 副主任 韩立",
        note="签订全代办委托协议",
    )
    services.agency_step(by=agent, project=project, step="handle", date=clock.add(consulted, 2))


def load_approvals_demo(actor) -> dict[str, str]:
    """Load the demo's approvals. Returns the demo logins it added."""
    today = timezone.localdate()
    clock = _Clock(today)
    _departments(actor)
    full = Track.objects.get(code="full_agency")
    jiaocheng = list(
        Project.objects.filter(zone__short_name="交城开发区")
        .exclude(health="withdrawn")
        .order_by("pk")
    )[:3]
    logins, users = _users(jiaocheng[0].enterprise)
    agent = users["agent"]
    # Finished: started about 60 working days ago, every item on time, evaluated.
    done = jiaocheng[0]
    _full_agency(actor, agent, done, clock, clock.back(62))
    _run(actor, done, clock, clock.back(59))
    last = ProjectApproval.objects.filter(project=done).order_by("-decided_on").first()
    if last and last.decided_on:
        end = max(last.decided_on, clock.back(3))
        services.agency_step(by=agent, project=done, step="end", date=end, note="全部手续办结")
        services.agency_step(
            by=users["enterprise"],
            project=done,
            step="evaluate",
            date=today,
            satisfaction="satisfied",
            comment="一次告知、全程代办，少跑了很多路",
        )
    # Halfway: two items late and two stuck open (overdue).
    halfway = jiaocheng[1]
    _full_agency(actor, agent, halfway, clock, clock.back(22))
    _run(
        actor,
        halfway,
        clock,
        clock.back(20),
        late=("建设用地规划许可证",),
        stuck=("国有建设用地使用权首次登记", "建设工程规划许可证"),
    )
    # Just commissioned.
    if len(jiaocheng) > 2:
        _full_agency(actor, agent, jiaocheng[2], clock, clock.back(2))

    # 吕梁经开区: a few items with the zone's approval bureau, one overdue.
    lvliang = list(
        Project.objects.filter(zone__short_name="吕梁经开区")
        .exclude(health="withdrawn")
        .order_by("pk")
    )
    names = (
        "企业投资项目备案",
        "建设工程规划许可证",
        "建筑工程施工许可证核发",
        "建设项目环境影响评价审批",
    )
    for project, start, stuck in (
        (lvliang[0], clock.back(30), ("建筑工程施工许可证核发",)),
        (lvliang[1], clock.back(6), ()),
    ):
        services.approvals_add(
            by=actor, project=project, catalogue_items=list(full.items.filter(name__in=names))
        )
        _run(actor, project, clock, start, stuck=stuck)
    # A low-risk warehouse on the fast track.
    warehouse = lvliang[2]
    services.approvals_add(
        by=actor,
        project=warehouse,
        catalogue_items=list(Track.objects.get(code="low_risk").items.order_by("sequence")),
        building=Building(
            above_ground_m2=Decimal("1650"),
            height_m=Decimal("12"),
            underground_floors=0,
            underground_m2=Decimal("0"),
            use="warehouse",
            single_use=True,
            public_funds=False,
        ),
    )
    _run(actor, warehouse, clock, clock.back(9))

    # 承诺制: one commitment kept, one pending, one broken (then scanned).
    decided = ProjectApproval.objects.filter(
        project__in=[done, halfway], decided_on__isnull=False
    ).order_by("applied_on", "pk")
    promises = (
        ("竣工验收前补交施工图审查合格书", 10, True),
        ("投产前取得排污许可证", 60, False),
        ("三十日内补交压覆矿产资源评估报告", 15, False),
    )
    for item, (content, days, kept) in zip(decided, promises, strict=False):
        due = clock.add(item.applied_on, days)
        commitment = services.commitment_create(by=actor, item=item, content=content, due_on=due)
        if kept and due <= today:
            services.commitment_fulfil(by=actor, commitment=commitment, fulfilled_on=due)
    services.commitments_scan(by=actor, on=today)
    return logins
