import datetime as dt

from sanpi.projects.rules import date_errors, parse_activity_key, project_code_error

D = dt.date


def test_stage_needs_its_dates_and_no_later_ones():
    assert date_errors("reserve", {}) == {}
    assert (
        date_errors("started", {"signed_date": D(2021, 3, 1), "started_date": D(2021, 4, 1)}) == {}
    )
    assert date_errors("started", {"signed_date": D(2021, 3, 1)}) == {
        "started_date": "项目阶段为“开工”，须填写开工日期"
    }
    assert date_errors(
        "signed", {"signed_date": D(2021, 3, 1), "produced_date": D(2021, 5, 1)}
    ) == {"produced_date": "项目阶段为“签约”，不应填写投产日期"}


def test_dates_must_not_go_backwards():
    errors = date_errors(
        "produced",
        {
            "signed_date": D(2021, 3, 1),
            "started_date": D(2021, 2, 1),
            "produced_date": D(2021, 5, 1),
        },
    )
    assert errors == {"started_date": "开工日期2021-02-01早于签约日期2021-03-01"}
    # Same day is fine: signed and started at one activity.
    assert (
        date_errors("started", {"signed_date": D(2021, 3, 22), "started_date": D(2021, 3, 22)})
        == {}
    )


def test_project_code_structure():
    assert project_code_error("2104-141100-89-01-123456") is None
    assert project_code_error("2104-141100-89-01-12345") == "应为24位（含连字符），实为23位"
    assert project_code_error("2104-141100-89-0A-123456").startswith("格式应为")


def test_activity_key():
    assert parse_activity_key("2021-4") == (2021, 4)
    assert parse_activity_key(" 2022 - 3 ") == (2022, 3)
    assert parse_activity_key("2021年第4次") is None


def test_chinese_numerals_as_the_city_numbers_its_activities():
    from sanpi.projects.rules import chinese_numeral

    expected = {1: "一", 2: "二", 9: "九", 10: "十", 11: "十一", 19: "十九", 20: "二十"}
    expected |= {21: "二十一", 40: "四十", 99: "九十九"}
    for n, text in expected.items():
        assert chinese_numeral(n) == text
    assert (chinese_numeral(0), chinese_numeral(100)) == ("0", "100")  # digits outside 1–99


def test_every_name_reads_back_as_its_batch():
    """What the platform writes, the import reads back: 2021年第四期 is 2021-4."""
    from sanpi.core import cells
    from sanpi.projects.rules import activity_name

    assert activity_name(2021, 4, "ci") == "2021年第4次"
    assert activity_name(2021, 2, "qi") == "2021年第二期"
    for n in range(1, 100):
        for naming in ("ci", "qi"):
            assert cells.unwrap(cells.batch(activity_name(2021, n, naming))) == (2021, n)
