"""`sanpi problems deadlines`: the clocks of a problem raised at a given moment under a
policy's current version, as text or JSON (Beijing time); bad input exits 2 (an unknown
policy 1) with a Chinese message and no traceback."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from sanpi.accounts.tests.factories import UserFactory
from sanpi.problems import services
from sanpi.problems.models import Policy

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("problems", "deadlines", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def deadlines(*args: str) -> dict:
    out, err = run(*args, "--json")
    assert err == ""
    return json.loads(out)


def test_13710_on_the_eve_of_national_day():
    # Hand-worked in test_rules.test_raised_on_the_eve_of_national_day.
    assert deadlines("--raised", "2025-09-30 16:00") == {
        "deploy": "2025-09-30T23:59:59+08:00",
        "feedback": "2025-10-11T23:59:59+08:00",
        "solve_ordinary": "2025-10-16T23:59:59+08:00",
        "solve_complex": "2025-10-30T23:59:59+08:00",
    }


def test_other_policies_by_code_or_name_and_other_spellings():
    # The ordinary terms (5 and 15 working days): 10-14 and 10-28.
    ordinary = deadlines("--raised", "2025-09-30T16:00", "--policy", "ordinary")
    assert (ordinary["feedback"], ordinary["solve_ordinary"]) == (
        "2025-10-14T23:59:59+08:00",
        "2025-10-28T23:59:59+08:00",
    )
    assert deadlines("--raised", "2025-09-30 16:00:30", "--policy", "一般项目") == ordinary
    # A Sunday (2025-10-12): deployed on Monday.
    assert deadlines("--raised", "2025-10-12")["deploy"] == "2025-10-13T23:59:59+08:00"


def test_the_current_version_of_a_policy_counts():
    old = Policy.objects.get(code="13710", current=True)
    services.policy_update(by=UserFactory(role="city_office"), policy=old, feedback_days=2)
    assert deadlines("--raised", "2025-09-30 16:00")["feedback"] == "2025-10-10T23:59:59+08:00"


def test_text_output_reads_like_the_page():
    out, err = run("--raised", "2025-09-28 10:00")
    assert out.splitlines() == [
        "时限规则：13710工作制度（第1版）",
        "提出时间：2025-09-28 10:00",
        "当日部署：2025-09-28 23:59:59",
        "首次反馈：2025-10-09 23:59:59",
        "一般问题办结：2025-10-14 23:59:59",
        "复杂问题办结：2025-10-28 23:59:59",
    ]
    assert err == ""


def test_a_year_without_a_schedule_is_said_on_stderr():
    out, err = run("--raised", "2099-12-30 10:00", "--json")
    assert set(json.loads(out)) == {"deploy", "feedback", "solve_ordinary", "solve_complex"}
    assert err == "注意：2099年、2100年节假日安排未录入，按周末推算"


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("--raised", "2025/09/30 16:00"), "格式不对，应为 YYYY-MM-DD HH:MM", 2),
        (("--raised", "2025-02-30 10:00"), "不是有效的日期时间", 2),
        (("--raised", "2025-09-30 25:00"), "不是有效的日期时间", 2),
        (("--raised", "9999-01-01 10:00"), "1900年至2200年", 2),
        ((), "请用 --raised 指定提出时间", 2),
        (("--raised", "2025-09-30 16:00", "--policy", "nope"), "没有代号或名称为“nope”", 1),
    ],
)
def test_bad_input_in_chinese(args, message, code):
    with pytest.raises(CommandError) as exc:
        run(*args)
    assert message in str(exc.value) and exc.value.returncode == code


def test_the_console_command(tmp_path):
    """The real `sanpi` command: exit codes and messages as a shell sees them."""
    env = {**os.environ, "SANPI_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    sanpi = [sys.executable, "-m", "sanpi.cli"]
    subprocess.run([*sanpi, "migrate", "-v", "0"], env=env, check=True, capture_output=True)
    done = subprocess.run(
        [*sanpi, "problems", "deadlines", "--raised", "2025-09-30 16:00", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["feedback"] == "2025-10-11T23:59:59+08:00"
    done = subprocess.run(
        [*sanpi, "problems", "deadlines", "--raised", "2025-13-01 10:00"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "不是有效的日期时间" in done.stderr and "Traceback" not in done.stderr
    done = subprocess.run(
        [*sanpi, "problems", "deadlines", "--raised", "2025-09-30 16:00", "--policy", "x"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1 and "现行时限规则" in done.stderr
    assert "Traceback" not in done.stderr
