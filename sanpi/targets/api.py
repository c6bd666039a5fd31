"""API for the monthly ranking of the counties and the zones (sanpi.targets).

The figures are exactly what ``sanpi report ranking --json`` prints (the same
``Ranking.as_json()``). The ranking is published: the same for every reader.
"""

from ninja import Field, Query, Router, Schema

from sanpi.core.api import ERROR_RESPONSES, choice_type

from . import selectors

router = Router(tags=["报表"])

KIND_CHOICES = [("county", "县(市、区)"), ("zone", "开发区")]


class IndicatorOut(Schema):
    key: str = Field(title="指标代码")
    name: str = Field(title="指标")
    actual: str | int | None = Field(
        title="完成", description="金额指标为万元的十进制字符串，个数指标为整数"
    )
    target: str | int | None = Field(title="目标", description="未下达目标时为 null")
    completion: str | None = Field(
        title="完成率", description="完成 ÷ 目标，四位小数；没有目标时为 null"
    )
    weight: int = Field(title="权重(分)")
    points: str | None = Field(title="得分", description="不计分的指标为 null")


class UnitOut(Schema):
    code: str = Field(title="单位代码", description="县(市、区)为行政区划代码；开发区为其名称")
    name: str = Field(title="单位名称")
    rank: int | None = Field(title="名次", description="没有下达目标、不参加排名时为 null")
    score: str | None = Field(title="总分", description="不参加排名时为 null")
    indicators: list[IndicatorOut] = Field(title="各项指标")


class RankingOut(Schema):
    year: int = Field(title="年份")
    month: int = Field(title="月份")
    kind: str = Field(title="单位类型", description="county 县(市、区)，zone 开发区")
    units: list[UnitOut] = Field(title="各单位", description="按名次排列，最好的在前")


class RankingQuery(Schema):
    # Year and month are checked by the ranking's own rules, which say what is wrong.
    year: int = Field(title="年份")
    month: int = Field(title="月份", description="1–12；不能是还没到的月份")
    kind: choice_type(KIND_CHOICES) = Field("county", title="单位类型")


@router.get(
    "/reports/ranking",
    response={200: RankingOut, **ERROR_RESPONSES},
    summary="月度排名",
    description="该月各县(市、区)或各开发区按年度目标完成情况的得分和名次，及各项指标的完成、"
    "目标、完成率、权重和得分。与 sanpi report ranking --json 的输出相同；对所有读者相同。",
)
def ranking(request, query: Query[RankingQuery]):
    result = selectors.ranking(
        user=request.auth, year=query.year, month=query.month, kind=query.kind
    )
    return result.as_json()
