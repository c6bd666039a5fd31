"""Problems out, in Chinese: the problem ledger as the city sends it to the joint meeting
(联席会议, .xlsx, run as a background job) and one problem's 督办通知 (.docx).

Both read through the selectors (the user's scope), write every text cell formula-safe
(`core.xlsx`), and are audited as exports.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from sanpi.accounts.roles import Cap, Role
from sanpi.core import audit, word, xlsx
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.jobs import FileOutcome, job_kind
from sanpi.core.scope import ensure_in_scope
from sanpi.core.services import require

from . import rules
from .models import Problem, ProblemEvent
from .rules import CLOCK_LABELS, FIVE, LEVEL_LABELS, STATE_LABELS, Clock, Level, Light, State
from .selectors import ProblemFilter, clock_moments, clocks, problem_list


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str
    count: int = 0


def _stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


def _day(value) -> str:
    return f"{value:%Y-%m-%d}" if value else ""


def _moment(value) -> str:
    """A moment in Beijing time (stored moments are aware, the clocks' are local naive)."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%Y-%m-%d %H:%M}"


def is_overdue(problem: Problem, now=None) -> bool:
    """是否超期: a clock ran out, whether the breach task marked it (``breached_at``, red)
    or not yet: met after its due moment, or still running past it while open."""
    if problem.breached_at is not None or problem.light == Light.RED:
        return True
    now = now or timezone.now()
    for _clock, due, met in clock_moments(problem):
        if (met is not None and met > due) or (met is None and problem.is_open and now > due):
            return True
    return False


# --- the joint meeting's ledger -------------------------------------------------------------

# Who may take the ledger to the joint meeting: the city office, leaders, counties and
# zones (enterprises and departments see their own problems on the pages).
EXPORT_ROLES = frozenset({Role.CITY_OFFICE, Role.LEADER, Role.COUNTY, Role.ZONE})
EXPORT_REFUSED = "问题台账导出供市项目办、领导、县(市、区)和开发区使用"

LEDGER_HEADERS = (
    ("序号", 6),
    ("县(市、区)", 10),
    ("项目名称", 30),
    ("项目单位", 28),
    ("问题类别", 12),
    ("问题描述", 48),
    ("解决层级", 8),
    ("责任单位", 24),
    ("责任领导", 10),
    ("责任人", 10),
    ("解决措施", 40),
    ("完成时限", 12),
    ("当前状态", 12),
    ("是否超期", 8),
    ("进展情况", 48),
)
PROGRESS_MOVES = ("feedback", "solve")  # 进展情况: the latest progress note or solution
CHUNK = 2000


def may_export(user) -> bool:
    return bool(
        getattr(user, "can", None)
        and user.can(Cap.VIEW_PROBLEMS)
        and getattr(user, "role", None) in EXPORT_ROLES
    )


def require_export(user) -> None:
    require(user, Cap.VIEW_PROBLEMS)
    if not may_export(user):
        raise PermissionDenied(EXPORT_REFUSED)


def _with_progress(qs):
    latest = ProblemEvent.objects.filter(problem=OuterRef("pk"), move__in=PROGRESS_MOVES).order_by(
        "-at", "-pk"
    )
    return qs.annotate(
        progress_text=Subquery(latest.values("text")[:1]),
        progress_at=Subquery(latest.values("at")[:1]),
    )


def ledger_row(n: int, p: Problem) -> list:
    progress = ""
    if getattr(p, "progress_text", None):
        progress = f"{_day(timezone.localtime(p.progress_at))}：{p.progress_text}"
    return [
        n,
        p.project.county.name,
        p.project.name,
        p.project.enterprise.name,
        p.get_category_display(),
        p.description,
        LEVEL_LABELS[Level(p.level)],
        str(p.unit) if p.unit_kind else "",
        p.leader_name,
        str(p.person) if p.person_id else "",
        p.solution,
        _day(p.deadline),
        STATE_LABELS[State(p.state)],
        "是" if is_overdue(p) else "否",
        progress,
    ]


def ledger_export(*, by, filters: ProblemFilter | None = None) -> Document:
    """The problems the user sees, filtered as on the ledger page, in the joint meeting's
    columns, by county and then as raised. Audited (action "export")."""
    require_export(by)
    filters = filters or ProblemFilter()
    qs = _with_progress(
        problem_list(user=by, filters=filters)
        .select_related("project__enterprise")
        .order_by("project__county__code", "raised_at", "pk")
    )
    count = 0

    def rows():
        nonlocal count
        for p in qs.iterator(chunk_size=CHUNK):
            count += 1
            yield ledger_row(count, p)

    today = timezone.localdate()
    scope = getattr(by, "scope_label", "") or "全市"
    title = "项目建设问题台账"
    note = (
        f"范围：{scope}；截至{today:%Y年%m月%d日}。是否超期：部署、反馈、办结任一时限已过"
        "而未按时完成；进展情况为最近一次反馈进展或办结说明。"
    )
    data = xlsx.report_workbook(title, LEDGER_HEADERS, rows(), note=note)
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="problems.ledger",
            object_repr=title,
            after={"filters": filters.as_params(), "count": count},
            message=f"导出{title}{count}个问题",
        )
    return Document(data, f"{title}-{_stamp()}.xlsx", count)


LEDGER_EXPORT = "problems.ledger_export"


# Reading and one audit row in the job's transaction: safe to run again.
@job_kind(LEDGER_EXPORT, label="问题台账导出", idempotent=True)
def ledger_export_job(job, progress):
    filters = ProblemFilter(**job.params.get("filters", {}))
    progress(0, 0, "导出")
    doc = ledger_export(by=job.user, filters=filters)
    return FileOutcome(f"已导出{doc.count}个问题", {"count": doc.count}, doc.data, doc.filename)


# --- the 督办通知 --------------------------------------------------------------------------

NOT_ASSIGNED = "该问题尚未交办（五到位未落实），不能生成督办通知；请先研判交办"
ENDED = {
    State.CLOSED: "该问题已销号，无需督办",
    State.WITHDRAWN: "该问题已撤回，无需督办",
}


def notice_refusal(problem: Problem) -> str:
    """Why no 督办通知 can be made for the problem ("" when it can)."""
    if not problem.unit_kind or problem.deadline is None:
        return NOT_ASSIGNED
    return ENDED.get(State(problem.state), "")


def clock_status(c: rules.ClockState) -> str:
    """A clock as the notice states it."""
    if c.stopped is not None:
        late = "超期完成" if c.breached else "按时完成"
        return f"{late}（{_moment(c.stopped)}，用时{c.used_days}个工作日）"
    if c.breached:
        return f"已超期{-c.left_days}个工作日"
    if c.light == Light.YELLOW:
        return f"临期，剩余{c.left_days}个工作日"
    return f"剩余{c.left_days}个工作日"


def notice_docx(*, by, problem: Problem) -> Document:
    """One problem's 督办通知 to its responsible unit: the problem, the five 到位, the
    deadline and each clock's status. Only within the user's scope (NotFound otherwise,
    whoever calls it); refused (ValidationFailed) before it is assigned or once ended."""
    require(by, Cap.VIEW_PROBLEMS)
    ensure_in_scope(by, problem)
    refusal = notice_refusal(problem)
    if refusal:
        raise ValidationFailed(refusal)
    project = problem.project
    unit = str(problem.unit)
    doc = word.document("督办通知")
    doc.add_paragraph(f"问题编号：{problem.pk}　　当前状态：{STATE_LABELS[State(problem.state)]}")
    doc.add_paragraph(f"{unit}：")
    assigned = timezone.localtime(problem.assigned_at) if problem.assigned_at else None
    handed = f"已于{assigned:%Y年%m月%d日}交办你单位" if assigned else "已交办你单位"
    doc.add_paragraph(
        f"{project.county.name}{project.name}（项目单位：{project.enterprise.name}）"
        f"遇到的“{problem.get_category_display()}”问题，{handed}。"
        f"按照“{problem.policy.name}”的时限要求，现予督办。请落实“五到位”，"
        f"于{problem.deadline:%Y年%m月%d日}前办结，办理中及时反馈进展，办结后报请企业确认。"
    )
    doc.add_heading("一、问题情况", level=2)
    word.add_table(
        doc,
        ("项目", "内容"),
        [
            ("县(市、区)", project.county.name),
            ("项目名称", project.name),
            ("项目单位", project.enterprise.name),
            ("问题类别", problem.get_category_display()),
            ("解决层级", LEVEL_LABELS[Level(problem.level)]),
            ("问题描述", problem.description),
            ("提出时间", _moment(problem.raised_at)),
            ("问题来源", problem.get_source_display()),
        ],
    )
    doc.add_heading("二、五到位", level=2)
    five = {
        "unit": unit,
        "leader": problem.leader_name,
        "person": str(problem.person) if problem.person_id else "",
        "solution": problem.solution,
        "deadline": f"{problem.deadline:%Y年%m月%d日}",
    }
    word.add_table(doc, ("要素", "内容"), [(FIVE[k], v) for k, v in five.items()])
    doc.add_heading("三、办理时限", level=2)
    light = rules.LIGHT_LABELS[Light(problem.light)]
    doc.add_paragraph(
        f"时限规则：{problem.policy.name}（第{problem.policy.version}版）；"
        f"{'复杂问题' if problem.is_complex else '一般问题'}；目前预警：{light}。"
    )
    labels = dict(CLOCK_LABELS)
    if problem.is_complex:
        labels[Clock.SOLVE] = "办结（复杂问题）"
    word.add_table(
        doc,
        ("时限", "应于", "状态"),
        [(labels[c.clock], _moment(c.due), clock_status(c)) for c in clocks(problem)],
    )
    doc.add_paragraph("")
    doc.add_paragraph("市项目办")
    data = word.finish(doc)
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            obj=problem,
            after={"document": "督办通知"},
            message=f"生成督办通知（{project.name}）",
        )
    return Document(data, f"督办通知-{project.name}-问题{problem.pk}-{_stamp()}.docx")
