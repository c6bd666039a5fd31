"""The table for a year and its summary: every reader sees all 34, in two queries."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.indicators import selectors
from sanpi.indicators.tests.factories import value

D = Decimal
READERS = ("city_office", "leader", "county", "zone", "enterprise")
NOT_READERS = ("admin", "auditor", "department", "agent")


@pytest.fixture
def entered(world, indicators):
    """GDP 2021 on its path (1661.04 expected), 2023 behind it (1937.4371 expected);
    城镇化率 2022 on (56.82); 工业增加值占比 2022 behind (56.56 expected, 57 is higher);
    单位GDP能源消耗降低 2022 (no numeric target)."""
    value(indicators[1], 2021, "1700")
    value(indicators[1], 2023, "1900", note="初步核算")
    value(indicators[2], 2022, "56.9")
    value(indicators[4], 2022, "57")
    value(indicators[21], 2022, "3.1")
    return indicators


def _row(table, order):
    return next(r for r in table.rows if r.indicator.order == order)


@pytest.mark.parametrize("role", READERS)
def test_every_reader_sees_the_whole_table_whatever_the_scope(world, entered, role):
    table = selectors.indicator_table(user=world.user(role), year=2023)
    assert [r.indicator.order for r in table.rows] == list(range(1, 35))
    assert [g.heading for g in table.groups] == [
        "一、经济发展（6个）",
        "二、创新驱动（4个）",
        "三、“六新”突破与产业升级（7个）",
        "四、绿色生态（5个）",
        "五、人的全面发展（10个）",
        "六、安全保障（2个）",
    ]


@pytest.mark.parametrize("role", NOT_READERS)
def test_roles_that_do_not_read_the_ledger_are_refused(world, indicators, role):
    with pytest.raises(PermissionDenied):
        selectors.indicator_table(user=world.user(role), year=2023)
    with pytest.raises(PermissionDenied):
        selectors.indicator_summary(user=world.user(role), year=2023)


def test_rows_read_the_latest_value_up_to_the_year(world, entered):
    leader = world.user("leader")
    t2022 = selectors.indicator_table(user=leader, year=2022)
    gdp = _row(t2022, 1)
    assert (gdp.actual, gdp.actual_year, gdp.stale, gdp.this_year) == (D("1700"), 2021, True, None)
    assert gdp.judgement.verdict == "on" and gdp.judgement.expected == D("1661.04")
    assert gdp.progress.rate.num == D("162") and gdp.progress.rate.den == D("700")
    t2023 = selectors.indicator_table(user=leader, year=2023)
    gdp = _row(t2023, 1)
    assert (gdp.actual, gdp.actual_year, gdp.stale) == (D("1900"), 2023, False)
    assert gdp.this_year.note == "初步核算"
    assert gdp.judgement.verdict == "behind" and gdp.judgement.expected == D("1937.4371")
    assert str(gdp.progress.rate) == "51.7%（362亿元/700亿元）"
    assert gdp.progress_bar == 51
    t2021 = selectors.indicator_table(user=leader, year=2021)
    assert _row(t2021, 2).latest is None  # 2022's value is not 2021's


def test_the_summary_counts_the_verdicts(world, entered):
    summary = selectors.indicator_summary(user=world.user("county"), year=2022)
    # on: GDP (2021's 1700), 城镇化率; behind: 工业增加值占比; the rest undecidable.
    assert (summary.on_path, summary.behind, summary.undecidable) == (2, 1, 31)
    assert summary.entered == 4 and summary.total == 34
    assert summary.as_json() == {
        "year": 2022, "on_path": 2, "behind": 1, "undecidable": 31, "entered": 4, "total": 34,
    }  # fmt: skip
    nothing = selectors.indicator_summary(user=world.user("county"), year=2021)
    assert (nothing.on_path, nothing.behind, nothing.undecidable) == (1, 0, 33)


def test_text_targets_say_why_nothing_is_computed(world, entered):
    row = _row(selectors.indicator_table(user=world.user("leader"), year=2022), 21)
    assert row.actual == D("3.1") and row.progress.rate is None
    assert row.judgement.verdict == "unknown"
    assert "完成省下达目标任务" in row.judgement.reason


def test_the_table_is_two_queries(world, entered, django_assert_max_num_queries):
    for year in range(2021, 2026):
        value(entered[20], year, "30")  # more values: still two queries
    user = world.user("leader")
    with django_assert_max_num_queries(2):
        table = selectors.indicator_table(user=user, year=2025)
        assert len(table.rows) == 34
        assert table.summary().entered == 5


def test_a_year_outside_the_plan_is_refused(world, indicators):
    for year in (2020, timezone.localdate().year + 1):
        with pytest.raises(ValidationFailed, match="年份应在2021至"):
            selectors.indicator_table(user=world.user("leader"), year=year)


def test_an_indicators_years(world, entered):
    lines = selectors.indicator_years(user=world.user("leader"), indicator=entered[1])
    assert [line.year for line in lines] == list(range(2021, timezone.localdate().year + 1))
    assert lines[0].value.actual == D("1700") and lines[0].judgement.verdict == "on"
    assert lines[1].value is None and lines[1].judgement.reason == "尚未录入2022年实际值"
    assert lines[1].expected.value == D("1793.9232")
