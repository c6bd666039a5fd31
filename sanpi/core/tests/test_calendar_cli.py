"""`sanpi workdays add|between`: the answer on stdout, " (provisional)" when it relied on an
uncovered year, exit 2 with a Chinese message for bad input."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from sanpi.core import calendar_seed

pytestmark = pytest.mark.django_db
LAST = max(calendar_seed.package_schedule())


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("workdays", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("add", "2021-09-30", "1"), "2021-10-08"),
        (("add", "2021-09-24", "1"), "2021-09-26"),  # the 调休 Sunday
        (("add", "2021-09-30", "0"), "2021-09-30"),
        (("add", "2021-12-31", "1"), "2022-01-04"),  # year boundary, 元旦
        (("add", "2021-02-05", "13"), "2021-03-01"),  # 13 working days across 春节
        (("between", "2021-09-30", "2021-10-08"), "1"),
        (("between", "2021-10-08", "2021-10-01"), "0"),
    ],
)
def test_answers(args, expected):
    out, err = run(*args)
    assert out == expected and err == ""


def test_national_day_week_counts():
    # After Saturday 2021-09-25 up to Sunday 2021-10-10: 09-26 (调休), 27, 28, 29, 30, 10-08,
    # 10-09 (调休 Saturday) are working days; 10-01..07 are not.
    assert run("between", "2021-09-25", "2021-10-10")[0] == "7"


def test_provisional_answers_say_so():
    out, err = run("add", f"{LAST}-12-30", "10")
    assert out.endswith(" (provisional)")
    assert out.split()[0].startswith(f"{LAST + 1}-")
    assert f"{LAST + 1}年节假日安排未录入，按周末推算" in err
    out, _ = run("between", f"{LAST + 1}-01-01", f"{LAST + 1}-01-31")
    assert out.endswith(" (provisional)") and out.split()[0].isdigit()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("add", "2021-13-01", "1"), "不是有效的日期"),
        (("add", "2021/09/30", "1"), "格式不对"),
        (("add", "2021-09-30", "-1"), "不能为负数"),
        (("add", "2021-09-30", "abc"), "须为整数"),
        (("add", "2021-09-30", "99999"), "不能超过"),
        (("add", "9999-01-01", "1"), "1900年至2200年"),
        (("between", "x", "2021-01-01"), "日期A"),
        (("between", "2021-01-01", "2021-02-30"), "日期B"),
        (("sum", "2021-01-01", "1"), "用法"),
        (("add", "2021-01-01"), "用法"),
        ((), "用法"),
    ],
)
def test_bad_input_exits_2_in_chinese(args, message):
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert exc.value.returncode == 2
    assert message in str(exc.value)


def test_the_console_command(tmp_path):
    """The real `sanpi` command: stdout, stderr and exit codes as a shell sees them."""
    env = {**os.environ, "SANPI_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    sanpi = [sys.executable, "-m", "sanpi.cli"]
    subprocess.run([*sanpi, "migrate", "-v", "0"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*sanpi, "workdays", "add", "2021-09-30", "1"], env=env, capture_output=True, text=True
    )
    assert (done.returncode, done.stdout.strip()) == (0, "2021-10-08")
    done = subprocess.run(
        [*sanpi, "workdays", "add", "2021-09-30", "-1"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2 and "工作日数N不能为负数" in done.stderr and done.stdout == ""
    done = subprocess.run(
        [*sanpi, "workdays", "between", "2021-09-30", "2021-10-8"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "格式不对" in done.stderr
