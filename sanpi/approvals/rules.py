"""The approval module's rules. Pure: no Django imports.

* Deadlines: an item accepted on day A with a committed limit of N working days must be
  decided by ``calendar.add(A, N)`` (the day of acceptance not counted); decided on or
  before that day it is on time. Working days *used* run from acceptance to the decision
  (or to today while open), working days *left* from today to the deadline.
* Dates in order: applied ≤ accepted ≤ decided; limits are whole working days > 0 and
  the committed limit is not longer than the statutory one.
* Dates allowed but unusual are warned about, not refused: accepted on a day that is
  not an official working day, applied before 2000 or years before the acceptance.
* A project's planned total: its stages one after another, the items of a stage in
  parallel (并联审批), so Σ over stages of the longest limit. For the 全代办 list of
  `seeds/000…` this gives the 75 → 35 days the seed reports.
* The one-time materials notice: every distinct material once, instead of every item
  asking for its own copies (the seed's 288 → 21).
* The low-risk fast track's eligibility (吕政办发〔2021〕42号), each failed rule named.
* The 全代办 service flow of `seeds/000…` as allowed (status, step) transitions.

Every computed date or count that relied on a calendar year the official calendar does
not cover is *provisional* (core.workdays.WorkdayAnswer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sanpi.core.rates import Rate
from sanpi.core.workdays import WorkCalendar, WorkdayAnswer

# --- stages and outcomes ------------------------------------------------------------------


class ApprovalStage(StrEnum):
    """The stage of a project an approval item belongs to, in the order they run."""

    INITIATION = "initiation"
    LAND = "land"
    PLANNING = "planning"
    ENVIRONMENT = "environment"
    ENERGY = "energy"
    CONSTRUCTION = "construction"
    ACCEPTANCE = "acceptance"
    REGISTRATION = "registration"


STAGE_LABELS: dict[ApprovalStage, str] = {
    ApprovalStage.INITIATION: "立项",
    ApprovalStage.LAND: "用地",
    ApprovalStage.PLANNING: "规划",
    ApprovalStage.ENVIRONMENT: "环评",
    ApprovalStage.ENERGY: "能评",
    ApprovalStage.CONSTRUCTION: "施工许可",
    ApprovalStage.ACCEPTANCE: "竣工验收",
    ApprovalStage.REGISTRATION: "登记",
}
STAGE_ORDER = list(ApprovalStage)


class Outcome(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.PENDING: "未办结",
    Outcome.APPROVED: "准予许可",
    Outcome.REJECTED: "不予许可",
    Outcome.WITHDRAWN: "申请人撤回",
}

DATE_LABELS = {"applied_on": "申请日期", "accepted_on": "受理日期", "decided_on": "办结日期"}
DATE_ORDER_HINT = "日期须按 申请 ≤ 受理 ≤ 办结 的顺序"


def _d(day: dt.date) -> str:
    return day.isoformat()


def date_errors(
    *,
    applied_on: dt.date | None,
    accepted_on: dt.date | None,
    decided_on: dt.date | None,
    outcome: str,
    today: dt.date | None = None,
) -> dict[str, str]:
    """What is wrong with an item's dates and outcome, by field, in Chinese."""
    errors: dict[str, str] = {}
    if accepted_on and not applied_on:
        errors["applied_on"] = "已受理的事项须先填写申请日期"
    if decided_on and not accepted_on:
        errors["accepted_on"] = "已办结的事项须先填写受理日期"
    if applied_on and accepted_on and accepted_on < applied_on:
        errors["accepted_on"] = (
            f"受理日期（{_d(accepted_on)}）早于申请日期（{_d(applied_on)}）：{DATE_ORDER_HINT}"
        )
    if decided_on and applied_on and decided_on < applied_on:
        errors["decided_on"] = (
            f"办结日期（{_d(decided_on)}）早于申请日期（{_d(applied_on)}）：{DATE_ORDER_HINT}"
        )
    elif decided_on and accepted_on and decided_on < accepted_on:
        errors["decided_on"] = (
            f"办结日期（{_d(decided_on)}）早于受理日期（{_d(accepted_on)}）：{DATE_ORDER_HINT}"
        )
    if today is not None:
        for name, day in (
            ("applied_on", applied_on),
            ("accepted_on", accepted_on),
            ("decided_on", decided_on),
        ):
            if day and day > today and name not in errors:
                errors[name] = f"{DATE_LABELS[name]}（{_d(day)}）晚于今天，不能预先登记"
    if decided_on and outcome == Outcome.PENDING:
        errors.setdefault("outcome", "已办结的事项须选择办理结果")
    if not decided_on and outcome != Outcome.PENDING:
        errors.setdefault("decided_on", "选择了办理结果，须填写办结日期")
    return errors


# --- warnings: dates that are allowed but unusual -------------------------------------------

WEEKDAY_NAMES = "一二三四五六日"
# An application date before this day is almost certainly a mistyped year: sanpi's ledger
# and its official calendar (2004 on) do not reach further back.
EARLIEST_USUAL_APPLICATION = dt.date(2000, 1, 1)
# An application is accepted within days (行政许可法 第三十二条: five days); an application
# date more than this many years before its acceptance (or, not yet accepted, before today)
# is almost certainly a mistyped year.
STALE_APPLICATION_YEARS = 5


def years_before(day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` years earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def _with_weekday(day: dt.date) -> str:
    return f"{_d(day)}，星期{WEEKDAY_NAMES[day.weekday()]}"


def date_warnings(
    calendar: WorkCalendar,
    *,
    applied_on: dt.date | None,
    accepted_on: dt.date | None,
    today: dt.date,
) -> dict[str, str]:
    """Dates that are allowed but unusual, by field, in Chinese: worth a second look.

    * 受理日期 on a day that is not an official working day (a weekend that was not a
      调休 working day, or a public holiday). In a year whose holiday schedule is not
      entered, only weekends can be told, and the warning says the answer is provisional.
    * 申请日期 before 2000, or more than five years before the acceptance date (before
      today while the item is not accepted): a mistyped year, most likely.
    """
    warnings: dict[str, str] = {}
    if applied_on is not None:
        reference = accepted_on or today
        if applied_on < EARLIEST_USUAL_APPLICATION:
            warnings["applied_on"] = f"申请日期（{_d(applied_on)}）早于2000年，请核对年份是否填错"
        elif applied_on < years_before(reference, STALE_APPLICATION_YEARS):
            if accepted_on:
                than = f"比受理日期（{_d(accepted_on)}）早{STALE_APPLICATION_YEARS}年以上"
            else:
                than = f"比今天（{_d(today)}）早{STALE_APPLICATION_YEARS}年以上仍未受理"
            warnings["applied_on"] = f"申请日期（{_d(applied_on)}）{than}，请核对年份是否填错"
    if accepted_on is not None:
        check = calendar.check(accepted_on)
        if not check.value:
            day = _with_weekday(accepted_on)
            if check.provisional:
                warnings["accepted_on"] = (
                    f"受理日期（{day}）按周末推算不是工作日（{check.note()}；"
                    "如该日是调休上班日则无误），请核对"
                )
            elif accepted_on.weekday() < 5:
                warnings["accepted_on"] = f"受理日期（{day}）是节假日（放假），不是工作日，请核对"
            else:
                warnings["accepted_on"] = f"受理日期（{day}）是休息日，不是工作日，请核对"
    return warnings


def limit_errors(*, statutory_days: int | None, committed_days: int | None) -> dict[str, str]:
    """Working-day limits: whole days > 0, the committed one not longer than the statutory."""
    errors: dict[str, str] = {}
    if statutory_days is not None and statutory_days <= 0:
        errors["statutory_days"] = f"法定时限须为大于0的工作日数（填写的是{statutory_days}）"
    if committed_days is not None and committed_days <= 0:
        errors["committed_days"] = f"承诺时限须为大于0的工作日数（填写的是{committed_days}）"
    if (
        not errors
        and statutory_days is not None
        and committed_days is not None
        and committed_days > statutory_days
    ):
        errors["committed_days"] = (
            f"承诺时限（{committed_days}个工作日）不能超过法定时限（{statutory_days}个工作日）"
        )
    return errors


# --- the clock of one item ------------------------------------------------------------------


class ClockState(StrEnum):
    NOT_APPLIED = "not_applied"
    APPLIED = "applied"  # applied, not yet accepted: no deadline yet
    RUNNING = "running"  # accepted, open, within the limit
    OVERDUE = "overdue"  # accepted, open, past the deadline
    ON_TIME = "on_time"  # decided on or before the deadline
    LATE = "late"  # decided after the deadline
    WITHDRAWN = "withdrawn"


CLOCK_LABELS: dict[ClockState, str] = {
    ClockState.NOT_APPLIED: "未申请",
    ClockState.APPLIED: "已申请待受理",
    ClockState.RUNNING: "办理中",
    ClockState.OVERDUE: "已超期",
    ClockState.ON_TIME: "按时办结",
    ClockState.LATE: "超期办结",
    ClockState.WITHDRAWN: "已撤回",
}


@dataclass(frozen=True)
class Clock:
    state: ClockState
    deadline: dt.date | None = None
    used: int | None = None  # working days from acceptance to the decision (or today)
    left: int | None = None  # open and in time: working days from today to the deadline
    overdue_days: int = 0  # working days past the deadline (to today, or to the decision)
    uncovered_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.uncovered_years)

    @property
    def label(self) -> str:
        return CLOCK_LABELS[self.state]

    @property
    def overdue(self) -> bool:
        return self.state == ClockState.OVERDUE

    @property
    def decided(self) -> bool:
        return self.state in (ClockState.ON_TIME, ClockState.LATE)

    @property
    def on_time(self) -> bool | None:
        return self.state == ClockState.ON_TIME if self.decided else None

    def note(self) -> str:
        return provisional_note(self.uncovered_years)


def provisional_note(years: Iterable[int]) -> str:
    """ "2027年节假日安排未录入，按周末推算" for the years an answer relied on."""
    years = sorted(set(years))
    if not years:
        return ""
    return WorkdayAnswer(0, True, tuple(years)).note()


def deadline(calendar: WorkCalendar, accepted_on: dt.date, committed_days: int) -> WorkdayAnswer:
    if committed_days <= 0:
        raise ValueError("committed_days must be > 0")
    return calendar.add(accepted_on, committed_days)


def due_date(
    calendar: WorkCalendar, accepted_on: dt.date | None, committed_days: int | None
) -> dt.date | None:
    """The committed deadline of an accepted item (None before acceptance): the date the
    clock counts against, as stored on the item for queries."""
    if accepted_on is None or not committed_days or committed_days <= 0:
        return None
    return deadline(calendar, accepted_on, committed_days).value


def clock(
    calendar: WorkCalendar,
    *,
    applied_on: dt.date | None,
    accepted_on: dt.date | None,
    decided_on: dt.date | None,
    committed_days: int,
    today: dt.date,
    withdrawn: bool = False,
) -> Clock:
    """Deadline, working days used and left, and the state of one item on `today`."""
    if accepted_on is None:
        if withdrawn:
            return Clock(ClockState.WITHDRAWN)
        return Clock(ClockState.APPLIED if applied_on else ClockState.NOT_APPLIED)
    due = deadline(calendar, accepted_on, committed_days)
    years = set(due.uncovered_years)
    end = decided_on or today
    used = calendar.between(accepted_on, end)
    years.update(used.uncovered_years)
    if withdrawn:
        return Clock(
            ClockState.WITHDRAWN, due.value, used.value, uncovered_years=tuple(sorted(years))
        )
    left: int | None = None
    overdue_days = 0
    if end > due.value:
        late = calendar.between(due.value, end)
        years.update(late.uncovered_years)
        overdue_days = late.value
    if decided_on is not None:
        state = ClockState.LATE if decided_on > due.value else ClockState.ON_TIME
    elif today > due.value:
        state = ClockState.OVERDUE
    else:
        state = ClockState.RUNNING
        remaining = calendar.between(today, due.value)
        years.update(remaining.uncovered_years)
        left = remaining.value
    return Clock(state, due.value, used.value, left, overdue_days, tuple(sorted(years)))


# --- figures ---------------------------------------------------------------------------------

ONE_DECIMAL = Decimal("0.1")


def average(values: Iterable[int | Decimal]) -> Decimal | None:
    """The mean to one decimal, rounded half-up; None for no values."""
    values = [Decimal(v) for v in values]
    if not values:
        return None
    return (sum(values) / len(values)).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def on_time_rate(clocks: Iterable[Clock]) -> Rate:
    """Items decided on time over items decided (withdrawn ones are not decisions)."""
    decided = [c for c in clocks if c.decided]
    return Rate(sum(1 for c in decided if c.on_time), len(decided))


def planned_total(limits: Iterable[tuple[str, int]]) -> int:
    """A project's total limit: stages one after another, a stage's items in parallel.

    `limits`: (stage, working days) of each item. Σ over stages of the longest limit.
    """
    longest: dict[str, int] = {}
    for stage, days in limits:
        longest[stage] = max(longest.get(stage, 0), days)
    return sum(longest.values())


# --- the one-time materials notice (一次性告知清单) -----------------------------------------


@dataclass(frozen=True)
class Requirement:
    """One item asking for one material."""

    item: str
    material: str
    copies: int
    original: bool
    notes: str = ""


@dataclass(frozen=True)
class NoticeEntry:
    material: str
    original: bool  # any item wants the original
    items: tuple[str, ...]  # the items that use it
    copies_before: int  # copies the items asked for one by one
    notes: str


@dataclass(frozen=True)
class Notice:
    entries: tuple[NoticeEntry, ...]

    @property
    def copies_before(self) -> int:
        """Copies when every item asks for its own (the seed's 288)."""
        return sum(e.copies_before for e in self.entries)

    @property
    def copies_after(self) -> int:
        """Copies when each material is handed in once and shared (the seed's 21)."""
        return len(self.entries)


def one_time_notice(requirements: Iterable[Requirement]) -> Notice:
    """Each distinct material once, in order of first use, with the items that use it."""
    order: list[str] = []
    grouped: dict[str, list[Requirement]] = {}
    for req in requirements:
        if req.material not in grouped:
            order.append(req.material)
            grouped[req.material] = []
        grouped[req.material].append(req)
    entries = []
    for name in order:
        reqs = grouped[name]
        notes = "；".join(dict.fromkeys(r.notes for r in reqs if r.notes))
        entries.append(
            NoticeEntry(
                material=name,
                original=any(r.original for r in reqs),
                items=tuple(dict.fromkeys(r.item for r in reqs)),
                copies_before=sum(r.copies for r in reqs),
                notes=notes,
            )
        )
    return Notice(tuple(entries))


# --- the low-risk fast track (吕政办发〔2021〕42号) ------------------------------------------


class BuildingUse(StrEnum):
    OFFICE = "office"
    COMMERCIAL = "commercial"
    PUBLIC_SERVICE = "public_service"
    WAREHOUSE = "warehouse"
    PLANT = "plant"
    OTHER = "other"


BUILDING_USE_LABELS: dict[BuildingUse, str] = {
    BuildingUse.OFFICE: "办公建筑",
    BuildingUse.COMMERCIAL: "商业建筑",
    BuildingUse.PUBLIC_SERVICE: "公共服务设施",
    BuildingUse.WAREHOUSE: "普通仓库",
    BuildingUse.PLANT: "厂房",
    BuildingUse.OTHER: "其他（住宅、综合体等）",
}
LOW_RISK_USES = frozenset(
    {
        BuildingUse.OFFICE,
        BuildingUse.COMMERCIAL,
        BuildingUse.PUBLIC_SERVICE,
        BuildingUse.WAREHOUSE,
        BuildingUse.PLANT,
    }
)
LOW_RISK_MAX_ABOVE_M2 = Decimal(2000)
LOW_RISK_MAX_HEIGHT_M = Decimal(24)
LOW_RISK_MAX_UNDERGROUND_FLOORS = 1
LOW_RISK_MAX_UNDERGROUND_M2 = Decimal(1000)
LOW_RISK_TOTAL_DAYS = 20  # 吕政办发〔2021〕40号 第10条: 全过程审批累计最多20个工作日


@dataclass(frozen=True)
class Building:
    above_ground_m2: Decimal
    height_m: Decimal
    underground_floors: int
    underground_m2: Decimal
    use: str
    single_use: bool
    public_funds: bool


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def low_risk_failures(b: Building) -> list[str]:
    """The rules of 吕政办发〔2021〕42号 (二、适用范围) the building fails, in Chinese."""
    failures = []
    if b.public_funds:
        failures.append("直接使用了公共财政投资：简易低风险项目须为社会投资项目")
    if b.above_ground_m2 > LOW_RISK_MAX_ABOVE_M2:
        failures.append(f"地上建筑面积{_num(b.above_ground_m2)}平方米，超过2000平方米")
    if b.height_m > LOW_RISK_MAX_HEIGHT_M:
        failures.append(f"建筑高度{_num(b.height_m)}米，超过24米")
    if b.underground_floors > LOW_RISK_MAX_UNDERGROUND_FLOORS:
        failures.append(f"地下{b.underground_floors}层，超过1层")
    if b.underground_m2 > LOW_RISK_MAX_UNDERGROUND_M2:
        failures.append(f"地下建筑面积{_num(b.underground_m2)}平方米，超过1000平方米")
    if b.use not in LOW_RISK_USES:
        label = BUILDING_USE_LABELS.get(BuildingUse(b.use), b.use)
        failures.append(f"用途为“{label}”：限办公建筑、商业建筑、公共服务设施、普通仓库和厂房")
    if not b.single_use:
        failures.append("功能不单一：简易低风险项目须为功能单一的建筑")
    return failures


# --- the 全代办 service (seeds/000…: 一流程) ------------------------------------------------


class AgencyStatus(StrEnum):
    CONSULTING = "consulting"
    COMMISSIONED = "commissioned"
    HANDLING = "handling"
    ENDED = "ended"
    EVALUATED = "evaluated"


class AgencyStep(StrEnum):
    CONSULT = "consult"
    COMMISSION = "commission"
    HANDLE = "handle"
    END = "end"
    CONTINUE = "continue"
    EVALUATE = "evaluate"


AGENCY_STATUS_LABELS: dict[AgencyStatus, str] = {
    AgencyStatus.CONSULTING: "接待咨询",
    AgencyStatus.COMMISSIONED: "已受理委托",
    AgencyStatus.HANDLING: "领办代办中",
    AgencyStatus.ENDED: "服务已终止",
    AgencyStatus.EVALUATED: "已评价",
}
AGENCY_STEP_LABELS: dict[AgencyStep, str] = {
    AgencyStep.CONSULT: "接待咨询",
    AgencyStep.COMMISSION: "受理委托",
    AgencyStep.HANDLE: "领办代办",
    AgencyStep.END: "服务终止",
    AgencyStep.CONTINUE: "续办",
    AgencyStep.EVALUATE: "事后评价",
}
# step → (the statuses it may follow (None: no service yet), the status it leads to)
AGENCY_FLOW: dict[AgencyStep, tuple[tuple[AgencyStatus | None, ...], AgencyStatus]] = {
    AgencyStep.CONSULT: ((None,), AgencyStatus.CONSULTING),
    AgencyStep.COMMISSION: ((AgencyStatus.CONSULTING,), AgencyStatus.COMMISSIONED),
    AgencyStep.HANDLE: ((AgencyStatus.COMMISSIONED,), AgencyStatus.HANDLING),
    AgencyStep.END: ((AgencyStatus.HANDLING,), AgencyStatus.ENDED),
    AgencyStep.CONTINUE: ((AgencyStatus.ENDED,), AgencyStatus.HANDLING),
    AgencyStep.EVALUATE: ((AgencyStatus.ENDED,), AgencyStatus.EVALUATED),
}


def agency_next_steps(status: str | None) -> list[AgencyStep]:
    current = AgencyStatus(status) if status else None
    return [step for step, (before, _) in AGENCY_FLOW.items() if current in before]


def agency_step_error(status: str | None, step: str) -> str | None:
    """Why `step` can't follow the service's `status`, or None when it can."""
    target = AgencyStep(step)
    if (AgencyStatus(status) if status else None) in AGENCY_FLOW[target][0]:
        return None
    label = AGENCY_STEP_LABELS[target]
    if status is None:
        return f"该项目尚无全代办服务，须先“接待咨询”，不能直接“{label}”"
    nexts = "、".join(f"“{AGENCY_STEP_LABELS[s]}”" for s in agency_next_steps(status))
    where = AGENCY_STATUS_LABELS[AgencyStatus(status)]
    return f"全代办服务当前为“{where}”，不能“{label}”" + (
        f"；下一步可以{nexts}" if nexts else "；服务流程已结束"
    )


# --- 承诺制 -------------------------------------------------------------------------------


def commitment_broken(*, due_on: dt.date, fulfilled_on: dt.date | None, today: dt.date) -> bool:
    """Unfulfilled after its due date (a commitment due today can still be kept today)."""
    return fulfilled_on is None and due_on < today
