"""API for the reports: the activity bulletin and figures, and the cohort rates.

The figures are exactly what ``sanpi report … --json`` prints (the same ``as_json()``),
scoped to the user like every other read.
"""

from ninja import Field, Query, Router, Schema

from sanpi.accounts.roles import Cap
from sanpi.core.api import ERROR_RESPONSES, Text, optional_int
from sanpi.core.errors import ValidationFailed
from sanpi.core.services import require
from sanpi.projects.selectors import activity_get_by_key

from . import selectors

router = Router(tags=["报表"])


class BatchOut(Schema):
    count: int = Field(title="项目数")
    investment_wan: str = Field(title="总投资(万元)")


class SignedOut(BatchOut):
    onsite: BatchOut = Field(title="现场签约")
    sync: BatchOut = Field(title="同步签约")


class ProducedOut(BatchOut):
    annual_output_wan: str = Field(title="预计年新增产值(万元)")


class CountRateOut(Schema):
    num: int = Field(title="分子")
    den: int = Field(title="分母")
    pct: str | None = Field(title="百分比", description="四舍五入到一位小数；分母为 0 时为 null")


class ProvinceShareOut(Schema):
    signed: CountRateOut | None = Field(
        title="签约项目数占全省", description="分母为市项目办录入的全省签约项目数；未录入时为 null"
    )
    started: CountRateOut | None = Field(title="开工项目数占全省")
    produced: CountRateOut | None = Field(title="投产项目数占全省")


class ActivityReportOut(Schema):
    signed: SignedOut = Field(title="签约")
    started: BatchOut = Field(title="开工")
    produced: ProducedOut = Field(title="投产")
    province: ProvinceShareOut = Field(title="占全省的比例")
    bulletin: str = Field(
        title="通报文字",
        description="报纸通稿的表述，金额以亿元计、按本系统设置保留一位或两位小数（四舍五入）",
    )


class ValueRateOut(Schema):
    num: str = Field(title="分子(万元)")
    den: str = Field(title="分母(万元)")
    pct: str | None = Field(title="百分比", description="四舍五入到一位小数；分母为 0 时为 null")


class RatesOut(Schema):
    start_rate: CountRateOut = Field(title="开工率", description="签约项目中已开工的 ÷ 签约项目")
    production_rate: CountRateOut = Field(
        title="投产率", description="开工项目中已投产的 ÷ 开工项目"
    )
    target_rate: ValueRateOut = Field(
        title="达效率", description="投产项目实际年产值 ÷ 预计年产值（价值比）"
    )


class NarrowQuery(Schema):
    county: Text = Field(
        "", title="县(市、区)", description="行政区划代码，如 141102", max_length=6
    )
    zone: Text = Field("", title="开发区", description="开发区编号、名称或简称", max_length=50)


class ActivityReportQuery(NarrowQuery):
    year: int = Field(title="年度", ge=2000, le=2100)
    seq: int = Field(title="批次", ge=1, le=99)


class RatesQuery(NarrowQuery):
    year: optional_int(ge=2000, le=2100) = Field(
        None, title="年度", description="只给年度：按阶段日期落在该年的项目计算"
    )
    seq: optional_int(ge=1, le=99) = Field(
        None, title="批次", description="与年度一起给出：按该次活动的批次归属计算"
    )


def _narrowing(user, query: NarrowQuery) -> dict[str, str]:
    """Check the county and zone a report is narrowed to; unknown ones are bad input."""
    selectors.check_narrowing(user=user, county=query.county, zone=query.zone)
    return {"county": query.county, "zone": query.zone}


@router.get(
    "/reports/activity",
    response={200: ActivityReportOut, **ERROR_RESPONSES},
    summary="活动通报",
    description="某次“三个一批”活动签约、开工、投产的项目数和金额（万元），及通报文字。"
    "只计本人权限范围内的项目。",
)
def activity_report(request, query: Query[ActivityReportQuery]):
    require(request.auth, Cap.VIEW_LEDGER)
    activity = activity_get_by_key(user=request.auth, year=query.year, sequence=query.seq)
    figures = selectors.activity_figures(
        user=request.auth, activity=activity, **_narrowing(request.auth, query)
    )
    return {**figures.as_json(), "bulletin": figures.bulletin()}


@router.get(
    "/reports/rates",
    response={200: RatesOut, **ERROR_RESPONSES},
    summary="开工率、投产率、达效率",
    description="给出年度和批次：该次活动的批次归属；只给年度：阶段日期在该年；都不给：全部项目。"
    "每个比率都带分子和分母。只计本人权限范围内的项目。",
)
def rates_report(request, query: Query[RatesQuery]):
    require(request.auth, Cap.VIEW_LEDGER)
    activity = None
    if query.seq is not None:
        if query.year is None:
            raise ValidationFailed.of("year", "指定批次时须同时指定年度")
        activity = activity_get_by_key(user=request.auth, year=query.year, sequence=query.seq)
    rates = selectors.cohort_rates(
        user=request.auth,
        year=query.year if activity is None else None,
        activity=activity,
        **_narrowing(request.auth, query),
    )
    return rates.as_json()
