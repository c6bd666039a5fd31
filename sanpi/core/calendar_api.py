"""API for the official working-day calendar (mounted at /api/v1/calendar/).

Every signed-in user may compute and read; entering or correcting the schedule needs
the capability “管理工作日历” (city office, system administrator). A change that would
move open deadlines answers 409 ``confirmation_required`` listing them, and is saved
when sent again with ``"confirm": true``.
"""

from __future__ import annotations

import datetime as dt

from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from . import calendar
from .api import ERROR_RESPONSES, Date, InputSchema, OptionalDate, Text, choice_type, text
from .models import CalendarDay

router = Router(tags=["工作日历"])

_day = CalendarDay._meta.get_field
PROVISIONAL = (
    "为 true 时，计算用到了节假日安排尚未录入的年份，该年只按周末推算，"
    "note 给出说明（如“2027年节假日安排未录入，按周末推算”）"
)


# --- schemas ------------------------------------------------------------------------------


class AddQuery(Schema):
    date: Date = Field(..., title="起算日期", description="YYYY-MM-DD；当天不计")
    n: int = Field(
        ..., ge=0, le=calendar.MAX_WORKDAYS, title="工作日数", description="0 即起算日本身"
    )


class BetweenQuery(Schema):
    a: Date = Field(..., title="起始日期", description="YYYY-MM-DD；当天不计")
    b: Date = Field(..., title="截止日期", description="YYYY-MM-DD；当天计入")


class YearQuery(Schema):
    year: int = Field(..., ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR, title="年份")


class AddOut(Schema):
    date: dt.date = Field(title="第N个工作日")
    provisional: bool = Field(title="是否推算", description=PROVISIONAL)
    note: str = Field(title="说明")


class BetweenOut(Schema):
    count: int = Field(title="工作日数")
    provisional: bool = Field(title="是否推算", description=PROVISIONAL)
    note: str = Field(title="说明")


class DayOut(Schema):
    date: dt.date = Field(title="日期")
    weekday: str = Field(title="星期")
    kind: str = Field(title="类型", description="holiday = 放假；workday = 调休上班")
    kind_label: str = Field(title="类型（中文）")
    name: str = Field(title="节日名称")
    source: str = Field(title="来源", description="package = 数据包；admin = 管理员录入")
    source_label: str = Field(title="来源（中文）")
    working: bool = Field(title="是否上班")

    @staticmethod
    def resolve_weekday(obj: CalendarDay) -> str:
        return calendar.weekday_label(obj.date)

    @staticmethod
    def resolve_kind_label(obj: CalendarDay) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_source_label(obj: CalendarDay) -> str:
        return obj.get_source_display()

    @staticmethod
    def resolve_working(obj: CalendarDay) -> bool:
        return obj.kind == CalendarDay.Kind.WORKDAY


class YearOut(Schema):
    year: int = Field(title="年份")
    covered: bool = Field(title="全年安排已录入")
    source: str = Field(title="来源", description="package、admin；无记录时为空")
    source_label: str = Field(title="来源（中文）")
    basis: str = Field(title="依据")
    holidays: int = Field(title="放假天数")
    workdays: int = Field(title="调休上班天数")
    note: str = Field(title="说明", description="未录入的年份：按周末推算的说明")


class YearDaysOut(YearOut):
    days: list[DayOut] = Field(title="放假和调休上班的日期")


class DaysIn(InputSchema):
    """录入或更正节假日：从 start 到 end（含）的每一天。"""

    start: Date = Field(..., title="日期", description="YYYY-MM-DD")
    end: OptionalDate = Field(
        None, title="至（含）", description="连续多天时填写（最多62天）；不填为 null"
    )
    kind: choice_type(_day("kind")) = Field(..., title="类型")
    name: Text = text(_day("name"), description="如：国庆节")
    confirm: bool = Field(
        False, title="确认", description="修改会改变未办结事项的期限时，须为 true 才保存"
    )


class YearIn(InputSchema):
    """标记某年的节假日安排是否已完整录入。"""

    year: int = Field(..., ge=calendar.MIN_YEAR, le=calendar.MAX_YEAR, title="年份")
    covered: bool = Field(..., title="全年安排已录入")
    basis: Text = Field(
        "",
        max_length=200,
        title="依据",
        description="如：国务院办公厅关于2027年部分节假日安排的通知",
    )
    confirm: bool = Field(
        False, title="确认", description="修改会改变未办结事项的期限时，须为 true 才保存"
    )


def _year_out(status: calendar.YearStatus) -> dict:
    return {
        "year": status.year,
        "covered": status.covered,
        "source": status.source,
        "source_label": status.source_label,
        "basis": status.basis,
        "holidays": status.holidays,
        "workdays": status.workdays,
        "note": status.note,
    }


# --- endpoints ----------------------------------------------------------------------------


@router.get(
    "/calendar/workdays/add",
    response={200: AddOut, **ERROR_RESPONSES},
    summary="某日之后第N个工作日",
    description="按法定工作日历（周末、法定节假日休息，调休日上班）计算。",
)
def workdays_add(request, query: Query[AddQuery]):
    answer = calendar.workdays_add(query.date, query.n)
    return {"date": answer.value, "provisional": answer.provisional, "note": answer.note()}


@router.get(
    "/calendar/workdays/between",
    response={200: BetweenOut, **ERROR_RESPONSES},
    summary="两日之间的工作日数",
    description="a 之后至 b（含）的工作日数；b 不晚于 a 时为 0。",
)
def workdays_between(request, query: Query[BetweenQuery]):
    answer = calendar.workdays_between(query.a, query.b)
    return {"count": answer.value, "provisional": answer.provisional, "note": answer.note()}


@router.get(
    "/calendar/years",
    response={200: list[YearOut], **ERROR_RESPONSES},
    summary="各年度节假日安排录入情况",
)
def year_list(request):
    this_year = calendar.today().year
    return [_year_out(s) for s in calendar.years_status(extra=[this_year, this_year + 1])]


@router.get(
    "/calendar/days",
    response={200: YearDaysOut, **ERROR_RESPONSES},
    summary="某年的放假和调休安排",
    description="未列出的日期按周末规则：周一至周五上班，周六、周日休息。",
)
def day_list(request, query: Query[YearQuery]):
    return {
        **_year_out(calendar.year_status(query.year)),
        "days": list(calendar.year_days(query.year)),
    }


@router.post(
    "/calendar/days",
    response={200: list[DayOut], **ERROR_RESPONSES},
    summary="录入或更正节假日",
    description="需要“管理工作日历”权限（市项目办、系统管理员）。"
    "会改变未办结事项期限的修改返回 409（confirmation_required）并列出这些事项，"
    "确认后带 confirm: true 再次提交。",
)
def days_set(request, payload: DaysIn):
    return calendar.calendar_days_set(
        by=request.auth,
        start=payload.start,
        end=payload.end,
        kind=payload.kind,
        name=payload.name,
        confirm=payload.confirm,
    )


@router.delete(
    "/calendar/days/{day}",
    response={204: None, **ERROR_RESPONSES},
    summary="删除某天的节假日记录",
    description="删除后该日按周末规则计算。需要“管理工作日历”权限；"
    "会改变未办结事项期限时返回 409，确认后带 ?confirm=true 再次请求。",
)
def day_remove(request, day: str, confirm: bool = Query(False, title="确认")):
    when = calendar.parse_date(day, field="day")
    calendar.calendar_day_remove(by=request.auth, day=when, confirm=confirm)
    return Status(204, None)


@router.post(
    "/calendar/years",
    response={200: YearOut, **ERROR_RESPONSES},
    summary="标记年度安排是否完整",
    description="covered 为 true：该年按录入的节假日安排计算；false：按周末推算并标注。"
    "需要“管理工作日历”权限。",
)
def year_set(request, payload: YearIn):
    row = calendar.calendar_year_set(
        by=request.auth,
        year=payload.year,
        covered=payload.covered,
        basis=payload.basis,
        confirm=payload.confirm,
    )
    return _year_out(calendar.year_status(row.year))
