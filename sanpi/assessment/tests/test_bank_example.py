"""The bank scheme (吕政办发〔2021〕46号) on five banks, every figure worked by hand here.

Bests among the banks assessed (E is vetoed but still one of them): 贷款增量 40000 (E),
增速 0.25 (D), 存贷比 1.0 (B), 首贷户 80 (E), 获得率 1.0 (B), 履约率 1.0 (B), 信用户数 100 (B),
信用增量 20000 (E), 小微户数 200 (E), 小微增量 40000 (E), 重点户数 8 (E), 重点增量 80000 (E),
利率降幅 1.0 (B).
"""

from __future__ import annotations

from decimal import Decimal as D

from sanpi.assessment import engine
from sanpi.assessment.schemes import BANK

COLUMNS = tuple(i.key for i in BANK.inputs)  # the template's columns, in order
ROWS = {
    "A银行": (100000, 120000, 0, 40000, 40, 100, 80, 10, 8, 50, 10000, 100, 20000, 4, 40000,
             "5.00", "4.50", 1, 3, 0, ""),
    "B银行": (50000, 60000, 0, 10000, 20, 50, 50, 5, 5, 100, 5000, 50, 10000, 2, 10000,
             "5.00", "4.00", 0, 2, 1, ""),
    # A shrinking loan book: the increase counts written-off loans and is still negative.
    "C银行": (80000, 70000, 2000, 20000, 10, 40, 20, 4, 2, -10, -1000, 25, 5000, 0, 0,
             "5.00", "5.20", 0, 1, 0, ""),
    # No new deposits, no signed projects: those two ratios cannot be computed.
    "D银行": (40000, 50000, 0, 0, 10, 20, 10, 0, 0, 25, 2500, 20, 4000, 1, 5000,
             "4.80", "4.55", 1, 3, 1, ""),
    "E银行": (200000, 240000, 0, 80000, 80, 100, 90, 10, 9, 50, 20000, 200, 40000, 8, 80000,
             "5.00", "4.60", 1, 3, 1, "发生重大风险事故"),
}  # fmt: skip

# By hand: each indicator's points in the scheme's order, then the bonus.
EXPECTED = {
    # 20×20000/40000, 10×.2/.25, 10×.5/1, 10×40/80, 5×.8, 5×.8, 5×50/100, 5×10000/20000,
    # 5×100/200, 5×20000/40000, 5×4/8, 5×40000/80000, 10×.5/1; bonus 5 + 3 + 0.
    "A银行": ("10 8 5 5 4 4 2.5 2.5 2.5 2.5 2.5 2.5 5", "5 3 0", "56.00", "64.00"),
    # 0.625 (5×10000/80000) rounds half-up to 0.63; the total sums the rounded points.
    "B银行": ("5 8 10 2.5 5 5 5 1.25 1.25 1.25 1.25 0.63 10", "0 2 2", "56.13", "60.13"),
    # ≤ 0 scores 0; 5×25/200 = 0.625 → 0.63 twice: 7.51, not 7.50.
    "C银行": ("0 0 0 1.25 2.5 2.5 0 0 0.63 0.63 0 0 0", "0 1 0", "7.51", "8.51"),
    # 5×2500/20000 = 0.625 → 0.63; 5×1/8 = 0.625 → 0.63; 5×5000/80000 = 0.3125 → 0.31.
    "D银行": ("5 10 0 1.25 2.5 0 1.25 0.63 0.5 0.5 0.63 0.31 2.5", "5 3 2", "25.07", "35.07"),
    "E银行": ("20 8 5 10 4.5 4.5 2.5 5 5 5 5 5 4", "5 3 2", "83.50", "93.50"),
}


def _units():
    return [
        engine.UnitInput(name, {k: (v if isinstance(v, str) else D(v))
                                for k, v in zip(COLUMNS, row, strict=True)})
        for name, row in ROWS.items()
    ]  # fmt: skip


def test_the_scheme_is_well_formed():
    assert engine.check_scheme(BANK) == []


def test_five_banks_worked_by_hand():
    scores = engine.score(BANK, _units())
    assert [(u.name, u.rank, str(u.total), u.vetoed) for u in scores] == [
        ("A银行", 1, "64.00", False),
        ("B银行", 2, "60.13", False),
        ("D银行", 3, "35.07", False),
        ("C银行", 4, "8.51", False),
        ("E银行", 5, "93.50", True),  # the highest points, last: 一票否决
    ]
    for u in scores:
        regular, bonus, regular_total, total = EXPECTED[u.name]
        got = [i.points for i in u.items if not i.bonus]
        assert got == [D(x) for x in regular.split()], u.name
        assert [i.points for i in u.items if i.bonus] == [D(x) for x in bonus.split()], u.name
        assert (u.regular, u.total) == (D(regular_total), D(total)), u.name


def test_the_breakdown_says_what_each_point_came_from():
    scores = {u.name: u for u in engine.score(BANK, _units())}
    a = {i.key: i for i in scores["A银行"].items}
    assert a["loan_increase"].value == D(20000) and a["loan_increase"].best == D(40000)
    assert a["loan_increase"].inputs == {
        "loans_now": D(120000), "loans_last": D(100000), "written_off": D(0),
    }  # fmt: skip
    assert a["loan_growth"].value == D("0.2") and a["loan_growth"].best == D("0.25")
    c = {i.key: i for i in scores["C银行"].items}
    assert c["loan_increase"].value == D(-8000)  # 70000 − 80000 + 2000
    assert c["loan_increase"].note == "本单位数值为-8000（不大于0），得0分"
    d = {i.key: i for i in scores["D银行"].items}
    assert d["deposit_ratio"].value is None and d["deposit_ratio"].points == 0
    assert d["deposit_ratio"].note == "分母“本年新增存款(万元)”为0（零或负数），不能计算"
    assert d["fulfil_rate"].note == "分母“政银企签约项目户数”为0（零或负数），不能计算"
    assert scores["E银行"].veto == "发生重大风险事故"


def test_consequences_top_five_and_bottom_three():
    scores = engine.score(BANK, _units())
    # Five places, one vetoed: four banks are 先进单位; never a vetoed one.
    assert [u.name for u in engine.top(scores, 5)] == ["A银行", "B银行", "D银行", "C银行"]
    assert [u.name for u in engine.bottom(scores, 3)] == ["D银行", "C银行", "E银行"]


def test_consequences_need_two_years_for_the_interview():
    units = _units()
    this_year = engine.score(BANK, units)
    first = engine.consequences(BANK, this_year, None)
    assert first == {n: ["支持地方经济发展先进单位"] for n in ("A银行", "B银行", "D银行", "C银行")}
    # Last year C and E were in the last three as well (E vetoed again): 约谈 for both.
    last_year = engine.score(BANK, [units[2], units[4], units[0], units[1]])
    assert [u.name for u in engine.bottom(last_year, 3)] == ["B银行", "C银行", "E银行"]
    second = engine.consequences(BANK, this_year, last_year)
    interview = "连续两年考核后三位：由金融监管部门约谈"
    assert second["C银行"] == ["支持地方经济发展先进单位", interview]
    assert second["E银行"] == [interview]
    assert "D银行" in second and interview not in second["D银行"]
