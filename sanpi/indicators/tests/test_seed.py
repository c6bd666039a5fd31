"""The 34 indicators as the seed (专栏 1-2) states them, loaded by the migration."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from sanpi.indicators import rules, seed
from sanpi.indicators.models import Indicator

D = Decimal
SEED_FILE = next(
    iter(sorted((Path(settings.BASE_DIR).parent.parent / "shared" / "seeds").glob("003_*.txt"))),
    None,
)


def test_the_migration_seeds_34_indicators_in_six_groups(db):
    rows = list(Indicator.objects.order_by("order"))
    assert [r.order for r in rows] == list(range(1, 35))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.group] = counts.get(r.group, 0) + 1
    # 一、经济发展（6个）… 六、安全保障（2个）, in the seed's order.
    assert list(counts.items()) == [
        ("经济发展", 6),
        ("创新驱动", 4),
        ("“六新”突破与产业升级", 7),
        ("绿色生态", 5),
        ("人的全面发展", 10),
        ("安全保障", 2),
    ]


@pytest.mark.parametrize(
    ("order", "name", "unit", "baseline", "target", "growth", "texts", "attribute"),
    [
        (1, "地区生产总值（GDP）", "亿元", D("1538"), D("2238"), D("8"),
         ("1538", "2238", ">8"), "expected"),
        (2, "常住人口城镇化率", "%", D("54.7"), D("60"), D("1.06"),
         ("54.7", "60", "1.06"), "expected"),
        (5, "战略性新兴产业增加值占GDP比重", "%", D("1.3"), None, None,
         ("1.3", "力争达到全省平均水平", "—"), "expected"),
        (6, "全员劳动生产率增长", "%", None, None, D("9"), ("—", "—", "9"), "expected"),
        (8, "国家实验室/省实验室", "个", D("0"), D("1"), None, ("0", "省实验室1个", "—"),
         "expected"),
        (10, "高技术制造业增加值增速", "%", D("12.55"), None, D("18"),
         ("12.55", "—", "18"), "expected"),
        (17, "制造业增加值占规上工业增加值比重", "%", D("34.15"), D("50"), None,
         ("34.15", "50", "—"), "expected"),
        (19, "地表水达到或好于Ⅲ类水体比例", "%", D("36.4"), D("50"), None,
         ("36.4", "50以上", "完成省下达目标任务"), "binding"),
        (21, "单位GDP能源消耗降低", "%", D("4.27"), None, None,
         ("4.27", "完成省下达目标任务", "完成省下达目标任务"), "binding"),
        (24, "全社会劳动力持证率", "%", None, D("25"), None, ("—", ">25", "—"), "expected"),
        (26, "城镇调查失业率", "%", None, D("5.5"), None, ("—", "<5.5", "—"), "expected"),
        (28, "每千人口拥有执业（助理）医师数", "人", D("2.51"), D("3"), None,
         ("2.51", "3", "—"), "expected"),
        (33, "粮食综合生产能力", "万吨", D("101"), D("100"), None, ("101", "100", "—"),
         "binding"),
        (34, "能源综合生产能力", "亿吨标准煤", D("0.95"), None, None, ("0.95", "—", "—"),
         "binding"),
    ],
)  # fmt: skip
def test_spot_checks_against_the_seed(
    db, order, name, unit, baseline, target, growth, texts, attribute
):
    ind = Indicator.objects.get(order=order)
    assert (ind.name, ind.unit, ind.attribute) == (name, unit, attribute)
    assert (ind.baseline_2020, ind.target_2025, ind.annual_growth) == (baseline, target, growth)
    assert (ind.baseline_text, ind.target_text, ind.annual_growth_text) == texts


def test_composite_indicator_keeps_its_texts_and_no_numbers(db):
    ind = Indicator.objects.get(order=9)
    assert ind.baseline_text == "省级重点实验室1个/技术创新中心0个/工程研究中心0个"
    assert ind.target_text == "省级重点实验室2-3个/省级技术创新中心1个/省级工程研究中心5-6个"
    assert (ind.baseline_2020, ind.target_2025, ind.path_kind) == (None, None, "none")


def test_a_number_and_its_text_agree():
    """Where the seed's text is a plain number, the number is that text, exactly."""
    plain = re.compile(r"^\d+(\.\d+)?$")
    for row in seed.rows():
        for number, written in (
            ("baseline_2020", "baseline_text"),
            ("target_2025", "target_text"),
            ("annual_growth", "annual_growth_text"),
        ):
            if plain.match(row[written]):
                assert row[number] == D(row[written]), (row["order"], written)
            elif row[written] == "—":
                assert row[number] is None, (row["order"], number)


def test_points_growth_reaches_the_target_exactly():
    """The shares' 年均增长 is in percentage points: baseline + 5 × rate = target."""
    for row in seed.rows():
        if row["path_kind"] == "points":
            assert row["baseline_2020"] + 5 * row["annual_growth"] == row["target_2025"], row
    # and GDP's is a growth rate: 1538 × 1.08^5 ≈ 2259.8 (≥ the target 2238)
    gdp = next(r for r in seed.rows() if r["order"] == 1)
    assert gdp["path_kind"] == "compound"


def test_directions_agree_with_the_way_to_the_target():
    """An indicator with a numeric way from baseline to target is better in that direction."""
    for row in seed.rows():
        b, t = row["baseline_2020"], row["target_2025"]
        if row["path_kind"] in rules.PROGRESS_KINDS and b is not None and t is not None:
            assert (t > b) == (row["direction"] == "up"), row["order"]
    downs = {r["order"] for r in seed.rows() if r["direction"] == "down"}
    assert downs == {4, 26}  # 工业增加值占GDP比重, 城镇调查失业率


def test_every_path_has_what_it_needs():
    for row in seed.rows():
        path, b, t, r = (row["path_kind"], row["baseline_2020"], row["target_2025"],
                         row["annual_growth"])  # fmt: skip
        if path in ("compound", "points"):
            assert b is not None and r is not None, row["order"]
        elif path == "annual":
            assert r is not None and t is None, row["order"]
        elif path in ("linear", "bound"):
            assert t is not None, row["order"]
        else:
            assert path == "none" and t is None and (r is None), row["order"]


def _normal(text: str) -> str:
    """The seed's text as the data module keeps it: no whitespace, full-width brackets."""
    return re.sub(r"\s+", "", text).replace("(", "（").replace(")", "）")


def _seed_table() -> list[list[str]]:
    lines = SEED_FILE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("专栏 1-2"))
    out = []
    for line in lines[start:]:
        if line.startswith("## "):
            break
        cells = line.split("\t")
        if len(cells) == 6 and cells[0].strip().isdigit():
            out.append([c.strip() for c in cells])
    return out


@pytest.mark.skipif(SEED_FILE is None, reason="the seed file (../shared/seeds/003_*.txt) is absent")
def test_every_row_is_the_seeds_row():
    """Each of the seed's 34 rows, read from the seed file itself: name with its unit,
    2020, 2025, growth and attribute, exactly as the data module keeps them."""
    table = _seed_table()
    assert [int(r[0]) for r in table] == list(range(1, 35))
    attributes = {"expected": "预期性", "binding": "约束性"}
    for (number, name_unit, baseline, target, growth, attribute), row in zip(
        table, seed.INDICATORS, strict=True
    ):
        assert int(number) == row["order"]
        assert _normal(name_unit) == f"{row['name']}（{row['unit']}）", number
        assert _normal(baseline) == row["baseline_text"], number
        assert _normal(target) == row["target_text"], number
        assert _normal(growth) == row["annual_growth_text"], number
        assert attribute == attributes[row["attribute"]], number
