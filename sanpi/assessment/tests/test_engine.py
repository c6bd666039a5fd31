"""The engine's methods, ties, vetoes and zero or negative denominators, as pure
functions; properties over generated units (hypothesis)."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sanpi.assessment import engine
from sanpi.assessment.engine import Band, Derived, Indicator, Input, Kind, Method, Scheme

INPUTS = (
    Input("a", "甲", Kind.NUMBER),
    Input("b", "乙", Kind.NUMBER),
    Input("t", "目标", Kind.NUMBER),
    Input("e", "评定", Kind.POINTS, maximum=D(10)),
    Input("why", "否决原因", Kind.TEXT),
)


def _scheme(*indicators, derived=(), **kw) -> Scheme:
    return Scheme("s", "测试方案", INPUTS, tuple(derived), tuple(indicators), veto="why", **kw)


def _unit(name, group="", notes=None, **values):
    return engine.UnitInput(name, {k: D(v) if not isinstance(v, str) else v
                                   for k, v in values.items()}, group, notes or {})  # fmt: skip


def _points(scores):
    return {u.name: [i.points for i in u.items] for u in scores}


def test_relative_to_the_best():
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.BEST, "a"))
    got = engine.score(s, [_unit("u1", a=50), _unit("u2", a=200), _unit("u3", a=0),
                           _unit("u4", a=-5), _unit("u5", a=3)])  # fmt: skip
    assert _points(got) == {"u2": [D(100)], "u1": [D(25)], "u5": [D("1.50")],
                            "u3": [D(0)], "u4": [D(0)]}  # fmt: skip
    assert next(i for u in got if u.name == "u4" for i in u.items).note == (
        "本单位数值为-5（不大于0），得0分"
    )


def test_when_the_best_is_not_positive_everyone_scores_zero():
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.BEST, "a"))
    got = engine.score(s, [_unit("u1", a=0), _unit("u2", a=-3)])
    assert all(i.points == 0 for u in got for i in u.items)
    assert got[0].items[0].note == "被考核单位中的最优值为0（不大于0），均得0分"
    assert [u.rank for u in got] == [1, 1]  # equal totals share the rank


def test_against_a_target_with_a_cap():
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.TARGET, "a", target="t", cap=D("1.2")))
    got = engine.score(s, [_unit("half", a=50, t=100), _unit("over", a=300, t=100),
                           _unit("none", a=50, t=0), _unit("neg", a=-1, t=10)])  # fmt: skip
    assert _points(got) == {"over": [D(120)], "half": [D(50)], "none": [D(0)], "neg": [D(0)]}
    none = next(u for u in got if u.name == "none")
    assert none.items[0].note == "没有目标（未下达或不大于0），得0分"


def test_bands_take_the_highest_band_reached():
    bands = (Band(D(10), D(3)), Band(D(0), D(1)), Band(D(20), D(5)))
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.BANDS, "a", bands=bands))
    got = engine.score(s, [_unit("u", a=v) for v in ()] + [
        _unit("low", a=-1), _unit("zero", a=0), _unit("mid", a=15), _unit("top", a=99)])  # fmt: skip
    assert _points(got) == {"top": [D(5)], "mid": [D(3)], "zero": [D(1)], "low": [D(0)]}


def test_entered_points_up_to_the_maximum_with_a_reason():
    s = _scheme(Indicator("x", "评定", "g", D(100), Method.ENTERED, "e"))
    got = engine.score(s, [_unit("u", notes={"x": "会商打分"}, e="7.5")])
    assert got[0].items[0].points == D("7.50") and got[0].items[0].note == "会商打分"


def test_bonus_adds_on_top_up_to_its_maximum():
    s = _scheme(
        Indicator("x", "甲", "g", D(100), Method.BEST, "a"),
        Indicator("b1", "加1", "加分", D(5), Method.BANDS, "b", bonus=True, bands=(Band(D(1), D(5)),)),
        Indicator("b2", "加2", "加分", D(10), Method.ENTERED, "e", bonus=True),
        bonus_max=D(8),
    )  # fmt: skip
    (u,) = engine.score(s, [_unit("u", a=1, b=1, e=10)])
    assert (u.regular, u.bonus, u.total) == (D(100), D(8), D(108))


def test_ties_share_a_rank_and_vetoes_go_last():
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.BEST, "a"))
    got = engine.score(s, [_unit("v1", a=100, why="重大事故"), _unit("u1", a=50),
                           _unit("u2", a=50), _unit("u3", a=10), _unit("v2", a=1, why="抽贷")])  # fmt: skip
    assert [(u.name, u.rank) for u in got] == [
        ("u1", 1), ("u2", 1), ("u3", 3), ("v1", 4), ("v2", 4),
    ]  # fmt: skip
    # The vetoed unit's value still sets the best: the others are measured against 100.
    assert got[0].items[0].points == D(50)
    assert [u.name for u in engine.bottom(got, 3)] == ["u3", "v1", "v2"]
    assert [u.name for u in engine.top(got, 1)] == ["u1", "u2"]  # a tie at the boundary


def test_a_ratio_with_a_zero_or_negative_denominator_scores_zero_and_says_why():
    s = _scheme(Indicator("r", "比率", "g", D(100), Method.BEST, "r"),
                derived=(Derived("r", "比率", "a / b"),))  # fmt: skip
    got = {u.name: u for u in engine.score(s, [_unit("ok", a=1, b=2), _unit("zero", a=1, b=0),
                                                _unit("neg", a=-1, b=-2)])}  # fmt: skip
    assert got["ok"].items[0].points == D(100)
    assert got["zero"].items[0].note == "分母“乙”为0（零或负数），不能计算"
    assert got["neg"].items[0].note == "分母“乙”为-2（零或负数），不能计算"
    assert got["neg"].items[0].points == 0  # not 100 × (−1 ÷ −2 = 0.5) ÷ 0.5


def test_a_missing_input_scores_zero_and_says_which():
    s = _scheme(Indicator("r", "和", "g", D(100), Method.BEST, "r"),
                derived=(Derived("r", "和", "a + b"),))  # fmt: skip
    got = {u.name: u for u in engine.score(s, [_unit("u1", a=1, b=1), _unit("u2", a=1)])}
    assert got["u2"].items[0].note == "未填写“乙”"


def test_peer_groups_have_their_own_best():
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.BEST, "a"), peer_group=True)
    got = {u.name: u.total for u in engine.score(
        s, [_unit("t1", "传统产业", a=10), _unit("t2", "传统产业", a=5),
            _unit("n1", "其他", a=100), _unit("n2", "其他", a=50)])}  # fmt: skip
    assert got == {"t1": D(100), "t2": D(50), "n1": D(100), "n2": D(50)}


@pytest.mark.parametrize(
    ("formula", "message"),
    [
        ("a +", "公式“a +”无法识别"),
        ("__import__('os')", "只能使用加减乘除、括号、数字和指标代码"),
        ("a ** b", "只能使用加减乘除、括号、数字和指标代码"),
        ("a + zz", "公式“a + zz”中的“zz”不是本方案的数据项"),
        ("a + 'x'", "中有不能计算的常量"),
    ],
)
def test_bad_formulas_are_refused_in_chinese(formula, message):
    with pytest.raises(engine.FormulaError) as info:
        engine.parse_formula(formula, {"a", "b"})
    assert message in str(info.value)


def test_a_badly_defined_scheme_is_described():
    s = _scheme(
        Indicator("x", "甲", "g", D(60), Method.BEST, "nope"),
        Indicator("y", "乙", "g", D(30), Method.TARGET, "a", cap=D(3)),
        Indicator("z", "丙", "g", D(0), Method.BANDS, "a"),
        derived=(Derived("d", "派生", "a / q"),),
    )
    assert engine.check_scheme(s) == [
        "“派生”：公式“a / q”中的“q”不是本方案的数据项",
        "“甲”计分的数据项“nope”不存在",
        "“乙”按目标计分，须指定目标数据项",
        "“乙”的完成率封顶须在1至2之间",
        "“丙”的满分须大于0且不超过100",
        "“丙”按分档计分，须至少有一档",
        "各项指标（不含加分项）满分合计须为100分，实为90分",
    ]


def test_classes_by_share_of_places():
    shares = [("A", D("0.2")), ("B", D("0.5")), ("C", D("0.2")), ("D", D("0.1"))]
    s = _scheme(Indicator("x", "甲", "g", D(100), Method.BEST, "a"))
    units = [_unit(f"u{i:02d}", a=100 - i) for i in range(10)] + [_unit("v", a=1, why="x")]
    got = engine.classes(engine.score(s, units), shares)
    assert "".join(got[f"u{i:02d}"] for i in range(10)) == "AABBBBBCCD"
    assert got["v"] == "D"
    # Units sharing a rank share the better class.
    tied = engine.score(s, [_unit("p", a=9), _unit("q", a=5), _unit("r", a=5), _unit("s", a=1)])
    assert engine.classes(tied, [("A", D("0.25")), ("B", D("0.75"))]) == {
        "p": "A", "q": "B", "r": "B", "s": "B"}  # fmt: skip
    tied = engine.score(s, [_unit("p", a=9), _unit("q", a=9), _unit("r", a=5), _unit("s", a=1)])
    assert engine.classes(tied, [("A", D("0.25")), ("B", D("0.75"))])["q"] == "A"


values = st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(values, values, st.booleans()), min_size=1, max_size=12))
def test_properties_of_scores_and_ranks(rows):
    s = _scheme(
        Indicator("x", "甲", "g", D(70), Method.BEST, "a"),
        Indicator("r", "比", "g", D(30), Method.BEST, "r"),
        derived=(Derived("r", "比", "a / b"),),
    )
    units = [_unit(f"u{i}", a=a, b=b, why="否决" if v else "") for i, (a, b, v) in enumerate(rows)]
    got = engine.score(s, units)
    assert sorted(u.name for u in got) == sorted(u.name for u in units)
    for u in got:
        for item in u.items:
            assert D(0) <= item.points <= item.max_points
            assert item.points == item.points.quantize(D("0.01"))
            if item.best is not None and item.value is not None and item.value == item.best > 0:
                assert item.points == item.max_points  # the best gets the maximum
        assert u.total == sum(i.points for i in u.items)
    kept = [u for u in got if not u.vetoed]
    assert all(not u.vetoed for u in got[: len(kept)])  # vetoed after all others
    for first, second in zip(kept, kept[1:], strict=False):
        assert first.total >= second.total
        assert (first.rank == second.rank) == (first.total == second.total)
    if kept:
        assert kept[0].rank == 1
