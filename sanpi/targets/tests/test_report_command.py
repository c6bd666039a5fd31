"""`sanpi report ranking`: the month's ranking as JSON, exactly."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError


def _ranking(*args: str) -> str:
    out = StringIO()
    call_command("report", "ranking", *args, stdout=out)
    return out.getvalue()


def test_the_zone_ranking_as_json_exactly(zones_2024):
    """The figures of `zones_2024`, worked by hand in test_selectors."""
    data = json.loads(_ranking("--year", "2024", "--month", "6", "--kind", "zone", "--json"))

    def ind(key, name, actual, target, completion, weight, points):
        return {
            "key": key,
            "name": name,
            "actual": actual,
            "target": target,
            "completion": completion,
            "weight": weight,
            "points": points,
        }

    assert data == {
        "year": 2024,
        "month": 6,
        "kind": "zone",
        "units": [
            {
                "code": "吕梁经济技术开发区",
                "name": "吕梁经济技术开发区",
                "rank": 1,
                "score": "63.00",
                "indicators": [
                    ind("investment", "固定资产投资", "400.00", "1000.00", "0.4000", 30, "12.00"),
                    ind("signed", "签约项目", 1, 2, "0.5000", 20, "10.00"),
                    ind(
                        "signed_investment",
                        "签约项目总投资",
                        "3000.00",
                        "6000.00",
                        "0.5000",
                        0,
                        None,
                    ),
                    ind("started", "开工项目", 2, 1, "2.0000", 20, "24.00"),
                    ind("produced", "投产项目", 1, 4, "0.2500", 20, "5.00"),
                    ind("reserve", "储备项目总投资", "10000.00", "8000.00", "1.2500", 10, "12.00"),
                    ind("above_size", "新增上规企业", 1, None, None, 0, None),
                ],
            },
            {
                "code": "孝义经济开发区",
                "name": "孝义经济开发区",
                "rank": 2,
                "score": "33.33",
                "indicators": [
                    ind("investment", "固定资产投资", "0.00", "0.00", None, 30, None),
                    ind("signed", "签约项目", 0, 1, "0.0000", 20, "0.00"),
                    ind("signed_investment", "签约项目总投资", "0.00", None, None, 0, None),
                    ind("started", "开工项目", 0, None, None, 20, None),
                    ind("produced", "投产项目", 0, None, None, 20, None),
                    ind("reserve", "储备项目总投资", "10000.00", "10000.00", "1.0000", 10, "10.00"),
                    ind("above_size", "新增上规企业", 0, None, None, 0, None),
                ],
            },
        ],
    }


def test_the_county_ranking_lists_every_county(zones_2024):
    data = json.loads(_ranking("--year", "2024", "--month", "6", "--json"))
    assert data["kind"] == "county"
    assert [u["code"] for u in data["units"]][:3] == ["141102", "141121", "141122"]
    assert all(u["rank"] is None and u["score"] is None for u in data["units"])


def test_the_ranking_as_text(zones_2024):
    text = _ranking("--year", "2024", "--month", "6", "--kind", "zone")
    assert text.splitlines() == [
        "2024年6月开发区排名（时序进度50.00%）",
        "1\t吕梁经济技术开发区\t63.00",
        "2\t孝义经济开发区\t33.33",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--year", "2024"), "月度排名须指定 --year 和 --month"),
        (("--month", "3"), "月度排名须指定 --year 和 --month"),
        (("--year", "2024", "--month", "13"), "月份应为1至12"),
        (("--year", "2024", "--month", "3", "--kind", "city"), "单位类型应为 county"),
        (("--year", "2999", "--month", "3"), "2999年3月还没到，没有排名"),
    ],
)
def test_bad_arguments_exit_2_with_a_chinese_message(world, args, message):
    with pytest.raises(CommandError, match=message) as caught:
        _ranking(*args)
    assert caught.value.returncode == 2


def test_a_users_ranking_is_the_published_one(zones_2024):
    as_county = _ranking("--year", "2024", "--month", "6", "--kind", "zone", "--user", "county_a")
    assert "1\t吕梁经济技术开发区\t63.00" in as_county
    with pytest.raises(CommandError, match="您没有权限"):
        _ranking("--year", "2024", "--month", "6", "--user", "sysadmin")
