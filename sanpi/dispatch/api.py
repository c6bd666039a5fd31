"""API for the monthly dispatch (月调度): the month's list of who owes a report and where
each stands, one project's report read, saved or submitted, and the county's review."""

import datetime as dt
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import Field, Path, Query, Router, Schema
from pydantic import PlainValidator, StrictBool, WithJsonSchema

from sanpi.accounts.roles import Cap
from sanpi.core.api import (
    ERROR_RESPONSES,
    MAX_ID,
    DecimalOut,
    InputSchema,
    OptionalDecimalOut,
    Page,
    PageQuery,
    Text,
    choice_type,
    decimal_field,
    decimal_type,
    input_error,
    optional_int,
    paginate,
    text,
)
from sanpi.core.errors import NotFound, ValidationFailed
from sanpi.core.money import AmountError, exact_wan, parse_wan
from sanpi.core.services import require

from . import rules, selectors, services
from .models import MonthlyReport

router = Router(tags=["月调度"])

_report = MonthlyReport._meta.get_field

ProjectId = Path(..., title="项目编号", ge=1, le=MAX_ID)
# Checked by the dispatch rules (rules.check_month), which say what is wrong in Chinese.
Year = Path(..., title="年份", description="2000 至明年")
Month = Path(..., title="月份", description="1–12；不能是还没到的月份")

NOT_FILED = "该月报还没有填报"

# --- output schemas --------------------------------------------------------------------------


class StatusCountsOut(Schema):
    missing: int = Field(title="未填报")
    draft: int = Field(title="草稿")
    submitted: int = Field(title="已报送")
    accepted: int = Field(title="已审核")
    returned: int = Field(title="已退回")


class MonthOut(Schema):
    year: int = Field(title="年份")
    month: int = Field(title="月份")
    deadline: dt.date = Field(title="报送截止日期", description="默认为次月第5个工作日")
    overdue: bool = Field(title="已过截止日期")
    closed: bool = Field(title="已关账", description="关账后月报锁定，只有市项目办能重新打开")
    closed_at: dt.datetime | None = Field(title="关账时间")
    counts: StatusCountsOut = Field(
        title="各状态的项目数", description="本人权限范围内应填报该月月报的项目"
    )


class MonthRowOut(Schema):
    """A project owing the month's report, with where its report stands."""

    project: int = Field(title="项目编号")
    project_name: str = Field(title="项目名称")
    project_code: str | None = Field(title="项目代码")
    enterprise_name: str = Field(title="项目单位")
    county: str = Field(title="所属县(市、区)代码")
    county_name: str = Field(title="所属县(市、区)")
    zone: int | None = Field(title="所属开发区编号")
    zone_name: str | None = Field(title="所属开发区")
    stage: str = Field(title="项目阶段")
    stage_label: str = Field(title="项目阶段（中文）")
    status: str = Field(
        title="月报状态",
        description="missing 未填报，draft 草稿，submitted 已报送，"
        "accepted 已审核，returned 已退回",
    )
    status_label: str = Field(title="月报状态（中文）")
    report: int | None = Field(title="月报编号", description="未填报时为 null")
    investment_wan: OptionalDecimalOut = Field(
        title="本月完成投资(万元)", description="未填报时为 null"
    )
    cumulative_wan: DecimalOut = Field(
        title="累计完成投资(万元)", description="截至该月已审核月报的本月完成投资之和"
    )
    total_investment_wan: DecimalOut = Field(title="总投资(万元)")

    @staticmethod
    def resolve_project(obj) -> int:
        return obj.pk

    @staticmethod
    def resolve_project_name(obj) -> str:
        return obj.name

    @staticmethod
    def resolve_project_code(obj) -> str | None:
        return obj.code

    @staticmethod
    def resolve_enterprise_name(obj) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_county(obj) -> str:
        return obj.county.code

    @staticmethod
    def resolve_county_name(obj) -> str:
        return obj.county.name

    @staticmethod
    def resolve_zone(obj) -> int | None:
        return obj.zone_id

    @staticmethod
    def resolve_zone_name(obj) -> str | None:
        return obj.zone.name if obj.zone_id else None

    @staticmethod
    def resolve_stage_label(obj) -> str:
        return obj.get_stage_display()

    @staticmethod
    def resolve_status(obj) -> str:
        return obj.report_status

    @staticmethod
    def resolve_status_label(obj) -> str:
        return selectors.STATUS_FILTERS[obj.report_status]

    @staticmethod
    def resolve_report(obj) -> int | None:
        return obj.report_id

    @staticmethod
    def resolve_investment_wan(obj) -> Decimal | None:
        # Sums and subqueries come back unscaled on some databases: exact 万元.
        return None if obj.report_investment is None else exact_wan(obj.report_investment)

    @staticmethod
    def resolve_cumulative_wan(obj) -> Decimal:
        return exact_wan(obj.cumulative_wan)


class ReportOut(Schema):
    id: int
    project: int = Field(title="项目编号")
    project_name: str = Field(title="项目名称")
    year: int = Field(title="年份")
    month: int = Field(title="月份")
    status: str = Field(
        title="状态", description="draft 草稿，submitted 已报送，accepted 已审核，returned 已退回"
    )
    status_label: str = Field(title="状态（中文）")
    investment_wan: DecimalOut = Field(title="本月完成投资(万元)")
    progress_percent: int = Field(title="形象进度(%)")
    progress_text: str = Field(title="形象进度说明")
    output_wan: OptionalDecimalOut = Field(title="本月产值(万元)")
    tax_wan: OptionalDecimalOut = Field(title="本月税收(万元)")
    jobs: int | None = Field(title="用工人数")
    problems: str = Field(title="遇到的问题")
    return_reason: str = Field(title="退回原因")
    cumulative_wan: DecimalOut = Field(
        title="累计完成投资(万元)", description="截至该月已审核月报的本月完成投资之和"
    )
    filed_by: str | None = Field(title="填报人")
    submitted_at: dt.datetime | None = Field(title="报送时间")
    reviewed_by: str | None = Field(title="审核人")
    reviewed_at: dt.datetime | None = Field(title="审核时间")
    version: int = Field(
        title="版本", description="保存、报送或审核时原样传回；他人已修改时返回 409"
    )
    created_at: dt.datetime = Field(title="创建时间")
    updated_at: dt.datetime = Field(title="更新时间")

    @staticmethod
    def resolve_project(obj: MonthlyReport) -> int:
        return obj.project_id

    @staticmethod
    def resolve_project_name(obj: MonthlyReport) -> str:
        return obj.project.name

    @staticmethod
    def resolve_status_label(obj: MonthlyReport) -> str:
        return obj.get_status_display()

    @staticmethod
    def resolve_cumulative_wan(obj: MonthlyReport) -> Decimal:
        return exact_wan(
            selectors.cumulative_investment(obj.project, year=obj.year, month=obj.month)
        )

    @staticmethod
    def resolve_filed_by(obj: MonthlyReport) -> str | None:
        return str(obj.filed_by) if obj.filed_by_id else None

    @staticmethod
    def resolve_reviewed_by(obj: MonthlyReport) -> str | None:
        return str(obj.reviewed_by) if obj.reviewed_by_id else None

    @staticmethod
    def resolve_submitted_at(obj: MonthlyReport) -> dt.datetime | None:
        return timezone.localtime(obj.submitted_at) if obj.submitted_at else None

    @staticmethod
    def resolve_reviewed_at(obj: MonthlyReport) -> dt.datetime | None:
        return timezone.localtime(obj.reviewed_at) if obj.reviewed_at else None

    @staticmethod
    def resolve_created_at(obj: MonthlyReport) -> dt.datetime:
        return timezone.localtime(obj.created_at)

    @staticmethod
    def resolve_updated_at(obj: MonthlyReport) -> dt.datetime:
        return timezone.localtime(obj.updated_at)


# --- input schemas ---------------------------------------------------------------------------


def _signed_wan(field) -> object:
    """本月完成投资: like ``decimal_type`` but a correction month may be negative
    (核减上月多报的填负数); the cumulative figure is checked by the service."""
    whole_digits = field.max_digits - field.decimal_places
    limit = Decimal(10) ** whole_digits

    def check(value: object) -> Decimal:
        if value is None:
            raise input_error("missing", "必须填写（没有投资填0）")
        if isinstance(value, str) and not value.strip():
            raise input_error("decimal", "不能为空字符串（没有投资填0）")
        if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
            raise input_error("decimal", '须为数字（字符串如 "1234.56" 或 JSON 数字）')
        if isinstance(value, str) and len(value) > 40:
            raise input_error("decimal", "数值过长")
        try:
            amount = parse_wan(value, allow_negative=True)
        except AmountError as exc:
            raise input_error("decimal", str(exc)) from None
        except ArithmeticError:
            raise input_error("decimal", f"数值过大（整数部分最多{whole_digits}位）") from None
        if amount is None:
            raise input_error("missing", "必须填写（没有投资填0）")
        if abs(amount) >= limit:
            raise input_error("decimal", f"数值过大（整数部分最多{whole_digits}位）")
        return amount

    number = {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$", "examples": ["1200.00"]}
    schema = {"anyOf": [number, {"type": "number"}]}
    return Annotated[Decimal, PlainValidator(check), WithJsonSchema(schema)]


class ReportIn(InputSchema):
    """保存月报草稿，或报送县级审核（submit 为 true）。"""

    investment_wan: _signed_wan(_report("investment_wan")) = Field(
        title="本月完成投资(万元)",
        description="单位：万元，最多2位小数，以字符串传递以免精度损失；没有投资填0；"
        "核减上月多报的填负数。累计完成投资不能超过项目总投资",
    )
    progress_percent: int = Field(title="形象进度(%)", description="0至100")
    progress_text: Text = text(_report("progress_text"))
    output_wan: decimal_type(_report("output_wan")) = decimal_field(
        _report("output_wan"), required=False
    )
    tax_wan: decimal_type(_report("tax_wan")) = decimal_field(_report("tax_wan"), required=False)
    jobs: int | None = Field(None, title="用工人数", ge=0, le=2_147_483_647)
    problems: Text = text(_report("problems"))
    submit: StrictBool = Field(
        False, title="报送", description="false 只保存草稿；true 报送县级审核，报送后不能再修改"
    )
    version: int = Field(
        title="版本",
        description="读取月报时的版本（新月报传0）；他人已修改时返回 409",
        ge=0,
        le=2_147_483_647,
    )


class ReviewIn(InputSchema):
    """县级审核已报送的月报：通过，或写明原因退回（填报人会收到通知）。"""

    accept: StrictBool = Field(title="审核通过", description="true 通过；false 退回")
    reason: Text = Field("", title="退回原因", description="退回时必填", max_length=500)
    version: int = Field(
        title="版本", description="读取月报时的版本；他人已修改时返回 409", ge=0, le=2_147_483_647
    )


class MonthQuery(PageQuery):
    """The API face of MonthFilter."""

    county: Text = Field(
        "", title="县(市、区)", description="行政区划代码，如 141102", max_length=6
    )
    zone: optional_int(ge=1, le=MAX_ID) = Field(None, title="开发区编号")
    status: choice_type(list(selectors.STATUS_FILTERS.items()), blank_as_none=True) = Field(
        None, title="月报状态"
    )
    q: Text = Field("", title="关键词", description="项目名称或项目单位的一部分", max_length=100)

    def to_filter(self) -> selectors.MonthFilter:
        return selectors.MonthFilter(
            county=self.county,
            zone="" if self.zone is None else str(self.zone),
            status=self.status or "",
            q=self.q,
        )


# --- helpers -----------------------------------------------------------------------------------


def _month(year: int, month: int) -> None:
    """A month whose reports may exist: refused in the dispatch rules' words."""
    problem = rules.check_month(year, month, timezone.localdate())
    if problem:
        raise ValidationFailed.of("year" if problem.startswith("年份") else "month", problem)


def _report_or_404(user, project_id: int, year: int, month: int) -> MonthlyReport:
    report = selectors.report_get(user=user, project_id=project_id, year=year, month=month)
    if report is None:
        raise NotFound(NOT_FILED)
    return report


# --- the month ---------------------------------------------------------------------------------


@router.get(
    "/dispatch/{year}/{month}",
    response={200: MonthOut, **ERROR_RESPONSES},
    summary="调度月份",
    description="该月月报的报送截止日期、是否已关账，及本人权限范围内应填报的项目各状态的数量。",
)
def month_get(request, year: int = Year, month: int = Month):
    _month(year, month)
    counts = selectors.month_counts(user=request.auth, year=year, month=month)
    row = services.month_get(year, month)
    return {
        "year": year,
        "month": month,
        "deadline": row.deadline,
        "overdue": timezone.localdate() > row.deadline,
        "closed": row.closed,
        "closed_at": timezone.localtime(row.closed_at) if row.closed_at else None,
        "counts": counts,
    }


@router.get(
    "/dispatch/{year}/{month}/reports",
    response={200: Page[MonthRowOut], **ERROR_RESPONSES},
    summary="月报填报情况",
    description="权限范围内应填报该月月报的项目（签约、开工、投产阶段，未清理退出），"
    "每个项目的月报状态、本月完成投资、累计完成投资和总投资；可按县(市、区)、开发区、"
    "月报状态和关键词筛选，分页返回。",
)
def month_reports(request, query: Query[MonthQuery], year: int = Year, month: int = Month):
    _month(year, month)
    qs = selectors.month_rows(user=request.auth, year=year, month=month, filters=query.to_filter())
    return paginate(qs, query)


# --- one report -------------------------------------------------------------------------------


@router.get(
    "/projects/{id}/reports/{year}/{month}",
    response={200: ReportOut, **ERROR_RESPONSES},
    summary="项目月报",
    description="项目该月的月报；还没有填报时返回 404。",
)
def report_get(request, id: int = ProjectId, year: int = Year, month: int = Month):
    project = selectors.project_for_report(user=request.auth, project_id=id)
    _month(year, month)
    return _report_or_404(request.auth, project.pk, year, month)


@router.put(
    "/projects/{id}/reports/{year}/{month}",
    response={200: ReportOut, **ERROR_RESPONSES},
    summary="保存或报送月报",
    description="需要“填报月报”权限。保存草稿（submit 为 false）或报送县级审核（submit 为 true）。"
    "version 传读取时的版本（新月报传0），他人已修改时返回 409。已报送、已审核或已关账的"
    "月报不能修改；尚未投产的项目不填产值和税收；累计完成投资不能超过项目总投资。",
)
def report_save(
    request, payload: ReportIn, id: int = ProjectId, year: int = Year, month: int = Month
):
    project = selectors.project_for_report(user=request.auth, project_id=id)
    require(request.auth, Cap.FILE_REPORTS)
    _month(year, month)
    data = payload.model_dump(exclude={"submit", "version"})
    services.report_save(
        by=request.auth,
        project=project,
        year=year,
        month=month,
        data=data,
        submit=payload.submit,
        version=payload.version,
    )
    return _report_or_404(request.auth, project.pk, year, month)


@router.post(
    "/projects/{id}/reports/{year}/{month}/review",
    response={200: ReportOut, **ERROR_RESPONSES},
    summary="审核月报",
    description="需要“审核月报”权限（县级）。已报送的月报审核通过，或写明原因退回"
    "（填报人会收到通知）。version 传读取时的版本，他人已修改时返回 409。",
)
def report_review(
    request, payload: ReviewIn, id: int = ProjectId, year: int = Year, month: int = Month
):
    project = selectors.project_for_report(user=request.auth, project_id=id)
    require(request.auth, Cap.REVIEW_REPORTS)
    _month(year, month)
    report = _report_or_404(request.auth, project.pk, year, month)
    services.report_review(
        by=request.auth,
        report=report,
        accept=payload.accept,
        reason=payload.reason,
        version=payload.version,
    )
    return _report_or_404(request.auth, project.pk, year, month)
