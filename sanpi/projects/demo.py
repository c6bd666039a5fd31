"""The demo city: 吕梁市's 13 counties, 9 development zones, ~60 enterprises, ~300
projects over every stage, health and industry, and four "三个一批" activities of
2021 and 2022, all written through the services (so every row has its audit trail).

Deterministic (fixed random seed). The activities reproduce the figures the city's
newspapers published (domain.md §4):
* 2021年第2次: 25 signed, 108.42亿元 (16 on site 79.78亿元, 9 synchronous 28.64亿元),
  21 started, 13 into production;
* 2021年第4次: 16 signed on site (112.00亿元); 开工率 93.8% (15/16),
  投产率 66.7% (14/21), 达效率 97.4%.
The other figures, names and the 2022 activities are invented for the demo.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.db import transaction

from sanpi.accounts.actors import SystemActor
from sanpi.accounts.services import user_create
from sanpi.approvals.demo import load_approvals_demo
from sanpi.regions.models import County, DevelopmentZone, Enterprise
from sanpi.regions.rules import credit_code_check_char
from sanpi.regions.services import enterprise_create, zone_create

from .models import Activity, ConstructionKind, Health, Industry, Project
from .rules import Stage
from .services import (
    activity_add_project,
    activity_create,
    project_advance_stage,
    project_create,
    project_set_health,
    project_update,
)

DEMO_PASSWORD = "Lvliang#2021"
CENT = Decimal("0.01")

ZONES = (
    ("吕梁经济技术开发区", "吕梁经开区", "provincial", "141102", "36.10"),
    ("孝义经济开发区", "孝义开发区", "provincial", "141181", "42.50"),
    ("汾阳杏花村经济技术开发区", "杏花村开发区", "provincial", "141182", "28.60"),
    ("交城经济开发区", "交城开发区", "provincial", "141122", "25.30"),
    ("兴县经济技术开发区", "兴县开发区", "provincial", "141123", "31.80"),
    ("岚县经济开发区", "岚县开发区", "provincial", "141127", "18.40"),
    ("文水经济开发区", "文水开发区", "provincial", "141121", "22.70"),
    ("柳林经济技术开发区", "柳林开发区", "provincial", "141125", "27.90"),
    ("中阳经济开发区", "中阳开发区", "provincial", "141129", "20.60"),
)

ACTIVITIES = (
    (2021, 2, dt.date(2021, 3, 22), "province", "兴县经济技术开发区（全市分会场）"),
    (2021, 4, dt.date(2021, 10, 30), "province", "吕梁经济技术开发区（全市分会场）"),
    (2022, 2, dt.date(2022, 5, 27), "province", "孝义经济开发区（全市分会场）"),
    (2022, 3, dt.date(2022, 9, 5), "province", "汾阳杏花村经济技术开发区（全市分会场）"),
)

PRODUCTS = {
    Industry.NEW_MATERIAL: (
        "高性能铝合金",
        "碳纤维复合材料",
        "电子级多晶硅",
        "高纯氧化铝",
        "石墨烯导热膜",
        "特种耐火材料",
    ),
    Industry.NEW_EQUIPMENT: (
        "矿用智能装备",
        "氢燃料电池重卡",
        "智能煤机装备",
        "风电塔筒",
        "新能源专用车",
    ),
    Industry.NEW_INFRA: ("5G基站配套", "大数据中心", "智慧物流园", "充换电站", "工业互联网平台"),
    Industry.NEW_TECH: ("煤焦油深加工", "焦炉煤气制氢", "二氧化碳捕集利用", "煤基碳材料"),
    Industry.NEW_PRODUCT: (
        "清香型白酒扩能",
        "沙棘饮品",
        "核桃深加工",
        "红枣系列食品",
        "杂粮精深加工",
    ),
    Industry.NEW_BUSINESS: ("跨境电商产业园", "数字文旅", "供应链服务平台", "冷链物流"),
    Industry.STRATEGIC: (
        "光伏组件",
        "储能电池",
        "生物医药中间体",
        "半导体封装材料",
        "氢能综合利用",
    ),
    Industry.TRADITIONAL: (
        "焦化升级改造",
        "洗煤厂技改",
        "铸造产业园",
        "建材绿色改造",
        "钢铁超低排放改造",
    ),
}
ENTERPRISE_WORDS = (
    "鹏飞",
    "华鑫",
    "东义",
    "金岩",
    "杏花",
    "兴达",
    "晋阳",
    "安泰",
    "宏盛",
    "三维",
    "恒泰",
    "中吕",
    "永昌",
    "瑞德",
    "汇丰",
    "天浩",
    "诚信",
    "鑫源",
    "凯嘉",
    "信发",
    "泰和",
    "聚源",
    "吉港",
    "昌盛",
    "华润",
    "明泰",
    "同德",
    "丰源",
    "久安",
    "龙华",
)
ENTERPRISE_SUFFIXES = ("新材料", "能源", "装备制造", "科技", "集团")
COUNTIES_WITHOUT_ZONES = ("141124", "141126", "141128", "141130")


def _credit_code(n: int, county_code: str) -> str:
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = ""
    for _ in range(9):
        body = chars[n % 31] + body
        n //= 31
    first17 = "91" + county_code + body
    return first17 + credit_code_check_char(first17)


def split_exact(total: Decimal, n: int, rng: random.Random) -> list[Decimal]:
    """n positive amounts (2 decimals) summing exactly to total."""
    weights = [rng.uniform(0.4, 1.6) for _ in range(n)]
    s = sum(weights)
    parts = [(total * Decimal(w / s)).quantize(CENT, rounding=ROUND_DOWN) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


@dataclass
class _Gen:
    rng: random.Random
    actor: SystemActor
    enterprises: list[Enterprise] = field(default_factory=list)
    zones_by_county: dict[str, list[DevelopmentZone]] = field(default_factory=dict)
    counties: list[County] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    serial: int = 0

    def project(
        self, *, investment: Decimal | None = None, stage: str = Stage.RESERVE, **dates
    ) -> Project:
        rng = self.rng
        enterprise = rng.choice(self.enterprises)
        county = enterprise.county
        zones = self.zones_by_county.get(county.code, [])
        zone = zones[0] if zones and rng.random() < 0.85 else None
        industry = rng.choice(list(Industry))
        product = rng.choice(PRODUCTS[industry])
        self.serial += 1
        name = f"{enterprise.name[:4]}{product}项目"
        if name in self.names:
            name = f"{enterprise.name[:4]}{product}二期项目"
        if name in self.names:
            name = f"{enterprise.name[:4]}{product}项目（{self.serial}）"
        self.names.add(name)
        if investment is None:
            # Mostly 0.1–5亿元, a few large ones.
            top = 50_000_000 if rng.random() < 0.9 else 300_000_000
            investment = Decimal(rng.randrange(100_000, top)) / 100
        output = (investment * Decimal(rng.uniform(0.6, 2.2))).quantize(CENT)
        code = None
        if rng.random() < 0.7:
            code = f"{dates.get('signed_date', dt.date(2020, 6, 1)):%y%m}-{county.code}-{rng.choice(['07', '26', '38', '44'])}-{rng.choice(['01', '02', '03'])}-{rng.randrange(10**6):06d}"
        return project_create(
            by=self.actor,
            stage=stage,
            evidence="演示数据",
            code=code,
            name=name,
            enterprise=enterprise,
            county=county,
            zone=zone,
            industry=industry,
            construction_kind=rng.choice(list(ConstructionKind)),
            total_investment_wan=investment,
            planned_output_wan=output,
            planned_tax_wan=(output * Decimal(rng.uniform(0.03, 0.12))).quantize(CENT),
            land_mu=Decimal(rng.randrange(1000, 80000)) / 100,
            is_standard_land=rng.random() < 0.4,
            energy_tce=Decimal(rng.randrange(0, 5_000_000)) / 100 if rng.random() < 0.7 else None,
            investment_source=rng.choice(["", "", "domestic", "domestic", "foreign"]),
            is_provincial_key=rng.random() < 0.12,
            is_city_key=rng.random() < 0.3,
            in_statistics=rng.random() < 0.6,
            above_size=rng.random() < 0.3,
            **dates,
        )

    def date_between(self, start: dt.date, end: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange(max(1, (end - start).days)))


def load_demo(*, seed: int = 2021) -> dict[str, str]:
    """Load the demo into an empty ledger. Returns {username: description} of the demo logins."""
    with transaction.atomic():
        return _load(random.Random(seed))


def _load(rng: random.Random) -> dict[str, str]:
    actor = SystemActor(name="demo")
    g = _Gen(rng=rng, actor=actor)
    g.counties = list(County.objects.all())
    county_by_code = {c.code: c for c in g.counties}
    for name, short, level, code, area in ZONES:
        zone = zone_create(
            by=actor,
            name=name,
            short_name=short,
            level=level,
            county=county_by_code[code],
            area_km2=Decimal(area),
        )
        g.zones_by_county.setdefault(code, []).append(zone)

    ent_counties = [z[3] for z in ZONES] * 6 + list(COUNTIES_WITHOUT_ZONES) * 2 + ["141102"] * 4
    for i in range(60):
        word = ENTERPRISE_WORDS[i % len(ENTERPRISE_WORDS)]
        suffix = ENTERPRISE_SUFFIXES[(i // len(ENTERPRISE_WORDS) + i) % len(ENTERPRISE_SUFFIXES)]
        code = ent_counties[i % len(ent_counties)]
        g.enterprises.append(
            enterprise_create(
                by=actor,
                name=f"山西{word}{suffix}有限公司",
                credit_code=_credit_code(7919 * (i + 11), code),
                county=county_by_code[code],
                contact=rng.choice(["王", "李", "张", "刘", "陈", "杨"]) + "经理",
                phone=f"0358-{rng.randrange(2000000, 8999999)}",
            )
        )

    activities = [
        activity_create(by=actor, year=y, sequence=s, date=d, level=lv, venue=v)
        for y, s, d, lv, v in ACTIVITIES
    ]
    a21_2, a21_4, a22_2, a22_3 = activities
    never_start: set[int] = set()
    never_produce: set[int] = set()

    def signed_pool(before: dt.date) -> list[Project]:
        return [
            p
            for p in Project.objects.filter(stage=Stage.SIGNED, signed_date__lt=before).order_by(
                "id"
            )
            if p.pk not in never_start
        ]

    def started_pool(before: dt.date) -> list[Project]:
        return [
            p
            for p in Project.objects.filter(stage=Stage.STARTED, started_date__lt=before).order_by(
                "id"
            )
            if p.pk not in never_produce
        ]

    def run(
        activity: Activity, *, sign: list[tuple[str, Decimal]], start: int, produce: int
    ) -> dict:
        day = activity.date
        # Those that start or produce in this activity must have signed / started before it.
        pool = signed_pool(day)
        for _ in range(max(0, start - len(pool))):
            pool.append(
                g.project(
                    stage=Stage.SIGNED,
                    signed_date=g.date_between(day - dt.timedelta(days=400), day),
                )
            )
        starters = rng.sample(pool, start)
        ppool = started_pool(day)
        for _ in range(max(0, produce - len(ppool))):
            signed = g.date_between(day - dt.timedelta(days=900), day - dt.timedelta(days=400))
            ppool.append(
                g.project(
                    stage=Stage.STARTED,
                    signed_date=signed,
                    started_date=g.date_between(signed, day),
                )
            )
        producers = rng.sample(ppool, produce)
        signers = []
        for mode, amount in sign:
            project = g.project(investment=amount)
            activity_add_project(
                by=actor, activity=activity, project=project, action="sign", sign_mode=mode
            )
            signers.append(project)
        for project in starters:
            activity_add_project(by=actor, activity=activity, project=project, action="start")
        for project in producers:
            activity_add_project(by=actor, activity=activity, project=project, action="produce")
        return {"sign": signers, "start": starters, "produce": producers}

    def modes(onsite: list[Decimal], sync: list[Decimal]) -> list[tuple[str, Decimal]]:
        return [("onsite", a) for a in onsite] + [("sync", a) for a in sync]

    # 2021年第2次: 25 signed 108.42亿 (16 on site 79.78亿, 9 sync 28.64亿), 21 started, 13 produced.
    run(
        a21_2,
        sign=modes(split_exact(Decimal("797800"), 16, rng), split_exact(Decimal("286400"), 9, rng)),
        start=21,
        produce=13,
    )
    # 2021年第4次: 16 signed on site, 112.0亿元; 21 started; 13 into production.
    c21_4 = run(
        a21_4, sign=modes(split_exact(Decimal("1120000"), 16, rng), []), start=21, produce=13
    )
    never_start.add(c21_4["sign"][-1].pk)  # 15 of 16 start later: 开工率 93.8%
    never_produce.update(p.pk for p in c21_4["start"][-7:])  # 14 of 21 produce: 投产率 66.7%
    run(
        a22_2,
        sign=modes(split_exact(Decimal("683500"), 12, rng), split_exact(Decimal("215600"), 6, rng)),
        start=16,
        produce=12,
    )
    run(
        a22_3,
        sign=modes(split_exact(Decimal("912300"), 14, rng), split_exact(Decimal("301800"), 6, rng)),
        start=18,
        produce=14,
    )

    # After the activities: the rest of the 2021年第4次 cohorts move on outside any activity.
    for project in c21_4["sign"]:
        project.refresh_from_db()
        if project.pk not in never_start and project.stage == Stage.SIGNED:
            project_advance_stage(
                by=actor,
                project=project,
                to_stage=Stage.STARTED,
                date=g.date_between(dt.date(2022, 1, 5), dt.date(2023, 6, 30)),
                evidence="施工许可证已核发",
            )
    for project in c21_4["start"]:
        project.refresh_from_db()
        if project.pk not in never_produce and project.stage == Stage.STARTED:
            project_advance_stage(
                by=actor,
                project=project,
                to_stage=Stage.PRODUCED,
                date=g.date_between(dt.date(2022, 6, 1), dt.date(2024, 6, 30)),
                evidence="试生产备案",
            )
    # 2021年第4次投产 cohort: actual output 97.4% of planned, in total.
    produced = [Project.objects.get(pk=p.pk) for p in c21_4["produce"]]
    planned = sum(p.planned_output_wan for p in produced)
    actual_total = (planned * Decimal("0.974")).quantize(CENT)
    # Each project near its own plan (88–106%), scaled so the cohort hits the total exactly.
    raw = [p.planned_output_wan * Decimal(rng.uniform(0.88, 1.06)) for p in produced]
    scale = actual_total / sum(raw)
    actuals = [(r * scale).quantize(CENT, rounding=ROUND_DOWN) for r in raw]
    actuals[-1] += actual_total - sum(actuals)
    for project, actual in zip(produced, actuals, strict=True):
        project_update(by=actor, project=project, actual_output_wan=actual)

    cohort_produced = {p.pk for p in produced}

    # The rest of the ledger: reserve projects and projects outside any activity, 2020-2026.
    while Project.objects.count() < 300:
        roll = rng.random()
        signed = g.date_between(dt.date(2020, 1, 1), dt.date(2026, 9, 30))
        if roll < 0.35:
            g.project()
        elif roll < 0.55:
            g.project(stage=Stage.SIGNED, signed_date=signed)
        elif roll < 0.80:
            g.project(
                stage=Stage.STARTED,
                signed_date=signed,
                started_date=min(
                    signed + dt.timedelta(days=rng.randrange(20, 300)), dt.date(2026, 11, 1)
                ),
            )
        else:
            signed = g.date_between(dt.date(2019, 6, 1), dt.date(2024, 6, 30))
            started = signed + dt.timedelta(days=rng.randrange(20, 200))
            g.project(
                stage=Stage.PRODUCED,
                signed_date=signed,
                started_date=started,
                produced_date=started + dt.timedelta(days=rng.randrange(90, 500)),
            )

    # Some projects reach their targets; some lag, stall or are withdrawn.
    today = dt.date(2026, 11, 20)
    for project in Project.objects.filter(
        stage=Stage.PRODUCED, actual_output_wan__isnull=True
    ).order_by("id"):
        project_update(
            by=actor,
            project=project,
            actual_output_wan=(
                project.planned_output_wan * Decimal(rng.uniform(0.3, 0.95))
            ).quantize(CENT),
        )
    for project in Project.objects.filter(stage=Stage.PRODUCED).order_by("id"):
        if project.produced_date + dt.timedelta(days=365) < today and rng.random() < 0.4:
            if project.pk not in cohort_produced:
                project_update(
                    by=actor,
                    project=project,
                    actual_output_wan=(
                        project.planned_output_wan * Decimal(rng.uniform(0.9, 1.15))
                    ).quantize(CENT),
                )
            project_advance_stage(
                by=actor,
                project=project,
                to_stage=Stage.REACHED,
                date=project.produced_date + dt.timedelta(days=rng.randrange(200, 365)),
                evidence="达产验收",
            )
    for project in Project.objects.order_by("id"):
        roll = rng.random()
        if project.stage in (Stage.STARTED, Stage.SIGNED) and roll < 0.12:
            project_set_health(
                by=actor,
                project=project,
                health=Health.LAGGING,
                date=dt.date(2026, 10, 31),
                evidence="月调度：施工进度滞后于计划",
            )
        elif project.stage in (Stage.STARTED, Stage.SIGNED) and roll < 0.18:
            project_set_health(
                by=actor,
                project=project,
                health=Health.STALLED,
                date=dt.date(2026, 9, 30),
                evidence="连续6个月无投资完成",
            )
        elif project.stage in (Stage.RESERVE, Stage.SIGNED) and roll < 0.22:
            project_set_health(
                by=actor,
                project=project,
                health=Health.WITHDRAWN,
                date=dt.date(2026, 6, 30),
                evidence="企业投资意向变化，清理退出",
            )

    from sanpi.dispatch.demo import load_dispatch_demo
    from sanpi.targets.demo import load_targets_demo

    load_dispatch_demo()
    load_targets_demo()
    logins = _users(g, county_by_code) | load_approvals_demo(actor)
    from sanpi.problems.demo import load_problems_demo

    load_problems_demo()  # after the logins: problems are raised and handled by people
    from sanpi.assessment.demo import BANKS, load_assessment_demo
    from sanpi.finance.demo import load_finance_demo

    logins |= load_finance_demo(actor, BANKS)
    load_assessment_demo(actor)
    from sanpi.cockpit.facts import refresh, refresh_rankings, refresh_start_risks

    refresh()  # the cockpit's summaries, ready before the first page is opened
    refresh_rankings()
    refresh_start_risks()
    return logins


def _users(g: _Gen, county_by_code: dict[str, County]) -> dict[str, str]:
    zone = DevelopmentZone.objects.get(short_name="吕梁经开区")
    enterprise = Enterprise.objects.filter(projects__zone=zone).order_by("id").first()
    specs = [
        ("sysadmin", "admin", "系统管理员", {}),
        ("auditor", "auditor", "审计管理员", {}),
        ("city", "city_office", "市项目办 王主任", {}),
        ("leader", "leader", "市领导 李副市长", {}),
        ("county_xiaoyi", "county", "孝义市项目办 张科长", {"county": county_by_code["141181"]}),
        ("zone_lvliang", "zone", "吕梁经开区管委会 刘科长", {"zone": zone}),
        ("enterprise", "enterprise", f"{enterprise.name} 联络员", {"enterprise": enterprise}),
    ]
    out = {}
    admin = None
    for username, role, full_name, scope in specs:
        # The first account (the system administrator) creates the others.
        user = user_create(
            by=admin,
            username=username,
            password=DEMO_PASSWORD,
            temporary=False,  # the demo's printed password stays usable
            role=role,
            full_name=full_name,
            **scope,
        )
        admin = admin or user
        out[username] = full_name
    return out
