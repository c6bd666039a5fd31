"""Generate a ledger workbook of N projects (default 10,000), deterministically.

    .venv/bin/python bench/gen_ledger.py [--rows 10000] [--seed 2021] [--revised] [-o OUT.xlsx]

The workbook is what a city office would upload: sheet 项目台账 with the import's
exact header, every stage, industry and construction kind, ~2,000 enterprises with
valid 统一社会信用代码, projects in the 13 counties and the development zones of
`ZONES` (which the benchmark creates before importing), project codes on ~70% of
the rows, and sheet 三个一批活动 with the 8 activities of 2021-2022 that ~35% of the
signed, started and produced projects are attributed to. ``--revised`` gives the
same projects with every row changed (to time updates). The same arguments give the
same bytes (fixed seed, fixed document and zip timestamps).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import re
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# (name, short name, county code)
ZONES = (
    ("吕梁经济技术开发区", "吕梁经开区", "141102"),
    ("孝义经济开发区", "孝义开发区", "141181"),
    ("汾阳杏花村经济技术开发区", "杏花村开发区", "141182"),
    ("交城经济开发区", "交城开发区", "141122"),
    ("兴县经济技术开发区", "兴县开发区", "141123"),
    ("岚县经济开发区", "岚县开发区", "141127"),
    ("文水经济开发区", "文水开发区", "141121"),
    ("柳林经济技术开发区", "柳林开发区", "141125"),
    ("中阳经济开发区", "中阳开发区", "141129"),
)
# (year, sequence, date, level label, venue)
ACTIVITIES = (
    (2021, 1, dt.date(2021, 1, 18), "省级", "吕梁经济技术开发区（全市分会场）"),
    (2021, 2, dt.date(2021, 3, 22), "省级", "兴县经济技术开发区（全市分会场）"),
    (2021, 3, dt.date(2021, 7, 6), "市级", "孝义经济开发区"),
    (2021, 4, dt.date(2021, 10, 30), "省级", "吕梁经济技术开发区（全市分会场）"),
    (2022, 1, dt.date(2022, 2, 25), "省级", "汾阳杏花村经济技术开发区（全市分会场）"),
    (2022, 2, dt.date(2022, 5, 27), "省级", "孝义经济开发区（全市分会场）"),
    (2022, 3, dt.date(2022, 9, 5), "省级", "汾阳杏花村经济技术开发区（全市分会场）"),
    (2022, 4, dt.date(2022, 12, 8), "市级", "交城经济开发区"),
)
COUNTIES = (
    ("141102", "离石区"), ("141121", "文水县"), ("141122", "交城县"), ("141123", "兴县"),
    ("141124", "临县"), ("141125", "柳林县"), ("141126", "石楼县"), ("141127", "岚县"),
    ("141128", "方山县"), ("141129", "中阳县"), ("141130", "交口县"), ("141181", "孝义市"),
    ("141182", "汾阳市"),
)  # fmt: skip
INDUSTRIES = (
    "新基建",
    "新技术",
    "新材料",
    "新装备",
    "新产品",
    "新业态",
    "战略性新兴产业",
    "传统产业",
)
KINDS = ("新建", "扩建", "改建", "技术改造")
PRODUCTS = (
    "高性能铝合金", "碳纤维复合材料", "电子级多晶硅", "高纯氧化铝", "矿用智能装备", "氢燃料电池重卡",
    "大数据中心", "智慧物流园", "煤焦油深加工", "焦炉煤气制氢", "清香型白酒扩能", "沙棘饮品",
    "光伏组件", "储能电池", "铸造产业园", "建材绿色改造",
)  # fmt: skip
WORDS = (
    "鹏飞", "华鑫", "东义", "金岩", "杏花", "兴达", "晋阳", "安泰", "宏盛", "三维", "恒泰", "中吕",
    "永昌", "瑞德", "汇丰", "天浩", "诚信", "鑫源", "凯嘉", "信发",
)  # fmt: skip
CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)
STAMP = b"2024-01-01T00:00:00Z"


def credit_code(n: int, county_code: str) -> str:
    body = ""
    for _ in range(9):
        body = CREDIT_CHARS[n % 31] + body
        n //= 31
    first17 = "91" + county_code + body
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return first17 + CREDIT_CHARS[(31 - total % 31) % 31]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


def ledger_rows(rows: int, seed: int, *, revised: bool = False) -> list[list]:
    """The ledger's rows; ``revised``: the same projects a month later, every row changed
    (总投资 up by 1.00 万元, 是否市重点 flipped), for timing an import that updates all."""
    rng = random.Random(seed)
    n_enterprises = max(1, rows // 5)
    zones_by_county: dict[str, list[str]] = {}
    for name, _short, county in ZONES:
        zones_by_county.setdefault(county, []).append(name)
    enterprises = []
    for i in range(n_enterprises):
        county_code, _ = COUNTIES[i % len(COUNTIES)]
        name = f"山西{WORDS[i % len(WORDS)]}{i + 1:05d}实业有限公司"
        enterprises.append((name, credit_code(104729 * (i + 7), county_code), county_code))
    county_names = dict(COUNTIES)
    out = []
    for i in range(rows):
        name, code, county_code = enterprises[i % n_enterprises]
        zones = zones_by_county.get(county_code, [])
        zone = zones[0] if zones and rng.random() < 0.85 else None
        investment = _money(rng, 500, 500_000)
        output = (investment * Decimal(rng.uniform(0.6, 2.2))).quantize(Decimal("0.01"))
        roll = rng.random()
        stage = (
            "储备"
            if roll < 0.3
            else "签约"
            if roll < 0.5
            else "开工"
            if roll < 0.75
            else "投产"
            if roll < 0.9
            else "达效"
        )
        level = ("储备", "签约", "开工", "投产", "达效").index(stage)
        dates: list[dt.date | None] = [None, None, None, None]
        batches: list[str | None] = [None, None, None]
        mode = None
        if level >= 1:
            if level <= 3 and rng.random() < 0.35:
                # Attributed to activities: each stage reached in a later activity.
                picks = sorted(rng.sample(range(len(ACTIVITIES)), level))
                for step, a in enumerate(picks):
                    year, seq, day, _, _ = ACTIVITIES[a]
                    dates[step] = day
                    batches[step] = f"{year}-{seq}"
                mode = rng.choice(("现场签约", "同步签约"))
            else:
                day = dt.date(2019, 1, 1) + dt.timedelta(days=rng.randrange(1500))
                for step in range(level):
                    dates[step] = day
                    day += dt.timedelta(days=rng.randrange(20, 400))
        project_code = None
        if rng.random() < 0.7:
            first = dates[0] or dt.date(2020, 6, 1)
            project_code = f"{first:%y%m}-{county_code}-{rng.choice(['07', '26', '38', '44'])}-0{rng.randrange(1, 4)}-{i:06d}"
        out.append(
            [
                project_code,
                f"{name[2:4]}{PRODUCTS[i % len(PRODUCTS)]}项目（{i + 1}）",
                name,
                code,
                county_names[county_code] if rng.random() < 0.8 else county_code,
                zone,
                rng.choice(INDUSTRIES),
                rng.choice(KINDS),
                investment,
                output,
                (output * Decimal(rng.uniform(0.03, 0.12))).quantize(Decimal("0.01")),
                _money(rng, 10, 800),
                rng.choice(("是", "否")),
                stage,
                dates[0],
                batches[0],
                mode if batches[0] else None,
                dates[1],
                batches[1],
                dates[2],
                batches[2],
                dates[3],
                (output * Decimal(rng.uniform(0.5, 1.1))).quantize(Decimal("0.01")) if level >= 3 else None,
                "是" if rng.random() < 0.1 else "否",
                "是" if rng.random() < 0.25 else "否",
            ]
        )  # fmt: skip
    if revised:
        for values in out:
            values[8] += Decimal("1.00")
            values[24] = "否" if values[24] == "是" else "是"
    return out


def _freeze_zip(data: bytes) -> bytes:
    """Rewrite the zip with fixed entry timestamps so the bytes are reproducible."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            content = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl stamps "modified" on save
                content = re.sub(
                    rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>",
                    rb"<dcterms:modified\1>" + STAMP + rb"</dcterms:modified>",
                    content,
                )
            dst.writestr(fixed, content)
    return out.getvalue()


def generate(rows: int = 10_000, seed: int = 2021, *, revised: bool = False) -> bytes:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanpi.settings")
    import django

    django.setup()
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    from sanpi.projects.io import ACTIVITIES as ACTIVITY_SHEET
    from sanpi.projects.io import LEDGER

    wb = Workbook(write_only=True)
    wb.properties.created = wb.properties.modified = FIXED_TIME
    for spec, data in (
        (LEDGER, ledger_rows(rows, seed, revised=revised)),
        (ACTIVITY_SHEET, [list(a) for a in ACTIVITIES]),
    ):
        ws = wb.create_sheet(spec.name)
        ws.append(spec.headers)
        for values in data:
            cells = []
            for value in values:
                if isinstance(value, dt.date):
                    cell = WriteOnlyCell(ws, value=value)
                    cell.number_format = "yyyy-mm-dd"
                    cells.append(cell)
                else:
                    cells.append(value)
            ws.append(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return _freeze_zip(buffer.getvalue())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=2021)
    parser.add_argument("--revised", action="store_true", help="every row changed (updates)")
    parser.add_argument("-o", "--output", default="")
    args = parser.parse_args(argv)
    default = f"ledger-{args.rows}{'-revised' if args.revised else ''}.xlsx"
    path = Path(args.output or REPO / "var" / "bench" / default)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(generate(args.rows, args.seed, revised=args.revised))
    print(f"{path}: {args.rows} projects, {path.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
