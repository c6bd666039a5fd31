"""The activity bulletin (.docx) as a leader opens it: in LibreOffice Writer (headless,
`sanpi.core.tests.office`), the demo city's 2021 bulletins state the figures the
newspapers printed, and their project tables add up to them."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management import call_command

from sanpi.accounts.actors import SystemActor
from sanpi.cockpit.io import ENTRY_HEADERS, activity_bulletin_docx
from sanpi.core.tests import office
from sanpi.projects.models import Activity

pytestmark = office.needs_soffice

CITY = SystemActor(name="test")
HEADINGS = ("一、现场签约项目", "二、同步签约项目", "三、开工项目", "四、投产项目")


def _sections(lines: list[str]) -> dict[str, list[list[str]]]:
    """The project table under each heading, a row per project (Writer writes a table's
    cells one a line; an empty cell is an empty line)."""
    starts = [i for i, line in enumerate(lines) if line.startswith(HEADINGS)]
    ends = starts[1:] + [lines.index("说明")]
    out = {}
    for start, end in zip(starts, ends, strict=True):
        cells = lines[start + 1 : end]
        width = len(ENTRY_HEADERS)
        if cells:
            assert cells[:width] == list(ENTRY_HEADERS)
            cells = cells[width:]
        assert len(cells) % width == 0, lines[start]
        out[lines[start]] = [cells[i : i + width] for i in range(0, len(cells), width)]
    return out


def _total(rows: list[list[str]]) -> Decimal:
    return sum((Decimal(r[-1].replace(",", "")) for r in rows), Decimal(0))


def test_the_demo_bulletins_state_the_published_figures_in_writer(db):
    call_command("demo", "--no-serve", stdout=StringIO())
    second, fourth = (
        activity_bulletin_docx(by=CITY, activity=Activity.objects.get(year=2021, sequence=n))
        for n in (2, 4)
    )
    assert second.filename.startswith("2021年第2次三个一批活动通报-")
    texts = office.docx_text_many([second.data, fourth.data])
    lines = texts[0].splitlines()
    assert lines[0] == "2021年第2次“三个一批”活动情况通报"
    assert lines[1] == (
        "活动日期：2021年03月22日（省级），主会场：兴县经济技术开发区（全市分会场）。统计范围：全市。"
    )
    assert lines[2].startswith(
        "2021年第2次“三个一批”活动中，签约项目25个、总投资108.42亿元，其中现场签约16个、"
        "总投资79.78亿元，同步签约9个、总投资28.64亿元；开工项目21个"
    )
    tables = _sections(lines)
    assert list(tables) == [
        "一、现场签约项目（16个）",
        "二、同步签约项目（9个）",
        "三、开工项目（21个）",
        "四、投产项目（13个）",
    ]
    onsite, sync = tables["一、现场签约项目（16个）"], tables["二、同步签约项目（9个）"]
    assert [r[0] for r in onsite] == [str(i) for i in range(1, 17)]
    # The tables add up to the sentence: 79.78 and 28.64 亿元 (万元 in the tables).
    assert (_total(onsite), _total(sync)) == (Decimal("797800.00"), Decimal("286400.00"))
    assert lines[-1].startswith("生成日期：")

    # 2021-4: the rates as published, each with its fraction.
    text = texts[1]
    assert (
        "本次活动签约项目开工率93.8%（15/16），开工项目投产率66.7%（14/21），投产项目达效率97.4%（"
        in text
    )
    assert "开工率：本批签约项目中已开工的项目数 ÷ 本批签约项目数" in text


def test_the_early_warning_exports_as_a_workbook_libreoffice_opens(world, login):
    """Every scored project of the view, with its reasons, and the rules in the note;
    the export is audited; a name like a formula stays text."""
    import datetime as dt

    from django.urls import reverse

    from sanpi.cockpit import facts
    from sanpi.core.models import AuditLog
    from sanpi.projects.models import Project

    Project.objects.filter(pk=world.project_a.pk).update(
        stage="signed", signed_date="2025-05-10", name='=HYPERLINK("x")'
    )
    facts.refresh()
    facts.refresh_start_risks(today=dt.date(2026, 6, 15))
    response = login(world.user("county")).get(reverse("cockpit:warnings_export"))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    text = office.to_csv(data)
    table = office.rows(text)
    assert table[0][0] == "离石区开工预警项目"
    assert "评分规则（各项相加）：签约已满6个月仍未开工 +20" in table[1][0]
    assert table[2][:3] == ["预警分", "项目名称", "县(市、区)"]
    assert table[3][1] == '=HYPERLINK("x")' and table[3][2] == "离石区"
    assert "签约已满12个月仍未开工（已13个月，+20分）" in table[3][6]
    assert len(table) == 4  # county B's project is not the county officer's
    row = AuditLog.objects.get(action="export", object_type="cockpit.startrisk")
    assert row.message == "导出离石区开工预警项目（1个）"
