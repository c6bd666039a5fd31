"""The activity bulletin as a Word document (通报), for the user's scope."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, word
from sanpi.core.documents import Document
from sanpi.core.money import wan_text
from sanpi.core.services import require
from sanpi.projects.models import Activity
from sanpi.projects.rules import Action
from sanpi.projects.selectors import activity_entries

from .selectors import RATE_DEFINITIONS, activity_figures, activity_since, cohort_rates

ENTRY_HEADERS = ("序号", "项目名称", "项目单位", "县(市、区)", "开发区", "总投资(万元)")
SECTIONS = (
    (Action.SIGN, "onsite", "一、现场签约项目"),
    (Action.SIGN, "sync", "二、同步签约项目"),
    (Action.START, "", "三、开工项目"),
    (Action.PRODUCE, "", "四、投产项目"),
)


def activity_bulletin_docx(*, by, activity: Activity) -> Document:
    """The bulletin sentence (with the province's share where its totals were entered),
    the projects signed since this activity that have started, the three rates with their
    fractions, and the project lists.

    Everything is computed for what `by` may see (a county's bulletin covers the county).
    Audited as an export.
    """
    require(by, Cap.EXPORT_LEDGER)
    figures = activity_figures(user=by, activity=activity)
    since = activity_since(user=by, activity=activity)
    rates = cohort_rates(user=by, activity=activity)
    entries = list(activity_entries(user=by, activity=activity))

    doc = word.document(f"{activity}情况通报")
    venue = f"，主会场：{activity.venue}" if activity.venue else ""
    doc.add_paragraph(
        f"活动日期：{activity.date:%Y年%m月%d日}（{activity.get_level_display()}）{venue}。"
        f"统计范围：{getattr(by, 'scope_label', '全市')}。"
    )
    doc.add_paragraph(figures.bulletin())
    doc.add_paragraph(since.sentence())
    doc.add_paragraph(
        f"本次活动签约项目开工率{rates.start_rate}，开工项目投产率{rates.production_rate}，"
        f"投产项目达效率{rates.target_rate}。"
    )
    for action, mode, heading in SECTIONS:
        rows = [
            e for e in entries if e.action == action.value and (not mode or e.sign_mode == mode)
        ]
        doc.add_heading(f"{heading}（{len(rows)}个）", level=2)
        if rows:
            word.add_table(
                doc,
                ENTRY_HEADERS,
                [
                    (
                        i,
                        e.project.name,
                        e.project.enterprise.name,
                        e.project.county.name,
                        e.project.zone.name if e.project.zone else "",
                        wan_text(e.investment_wan),
                    )
                    for i, e in enumerate(rows, start=1)
                ],
            )
    doc.add_heading("说明", level=2)
    for label, definition in RATE_DEFINITIONS:
        doc.add_paragraph(f"{label}：{definition}")
    data = word.finish(doc)
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            obj=activity,
            message=f"导出活动通报（{len(entries)}条活动项目）",
        )
    stamp = timezone.localdate().strftime("%Y%m%d")
    return Document(data, f"{activity.name}三个一批活动通报-{stamp}.docx")


# --- the early warning as a workbook --------------------------------------------------------

WARNING_HEADERS = (
    ("预警分", 8), ("项目名称", 36), ("县(市、区)", 12), ("开发区", 16), ("签约日期", 12),
    ("总投资(万元)", 14), ("原因", 80),
)  # fmt: skip
WARNING_MAX = 5000  # rows of one export; the ledger's own export lists any number


def warnings_xlsx(*, by, view) -> Document:
    """The view's early-warning list, highest score first, with every reason and the
    rules. Audited (action "export")."""
    from sanpi.core import xlsx

    from .board import start_warnings
    from .services import warning_rules

    require(by, Cap.EXPORT_LEDGER)
    found = start_warnings(view, limit=WARNING_MAX)
    rows = [
        (w["score"], w["name"], w["county"], w.get("zone", ""), w["signed_date"],
         w["investment_wan"], "；".join(w["reasons"]))
        for w in found["projects"]
    ]  # fmt: skip
    rules_text = "；".join(f"{r.label} +{r.points}" for r in warning_rules() if r.points)
    stamp = found["computed_at"]
    when = timezone.localtime(stamp).strftime("%Y-%m-%d %H:%M") if stamp else "尚未评分"
    title = f"{view.place}开工预警项目"
    data = xlsx.report_workbook(
        title, WARNING_HEADERS, rows, note=f"评分于{when}。评分规则（各项相加）：{rules_text}"
    )
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="cockpit.startrisk",
            object_repr=title,
            after={"count": len(rows), "place": view.place},
            message=f"导出{title}（{len(rows)}个）",
        )
    return Document(data, f"开工预警-{view.place}-{timezone.localdate():%Y%m%d}.xlsx")
