"""API for counties, development zones and enterprises (mounted at /api/v1/)."""

import datetime as dt
import re
from typing import Annotated

from ninja import Field, Path, Query, Router, Schema
from ninja.responses import Status
from pydantic import PlainValidator, WithJsonSchema

from sanpi.accounts.roles import Cap
from sanpi.core.api import (
    ERROR_RESPONSES,
    MAX_ID,
    InputSchema,
    OptionalDate,
    OptionalDecimalOut,
    Page,
    PageQuery,
    Text,
    choice_type,
    decimal_field,
    decimal_type,
    input_error,
    paginate,
    partial,
    text,
)
from sanpi.core.errors import ValidationFailed
from sanpi.core.services import require

from . import selectors, services
from .models import County, DevelopmentZone, Enterprise

router = Router(tags=["区域与企业"])

_zone = DevelopmentZone._meta.get_field
_enterprise = Enterprise._meta.get_field

ZoneId = Path(..., title="开发区编号", ge=1, le=MAX_ID)
EnterpriseId = Path(..., title="企业编号", ge=1, le=MAX_ID)
COUNTY_CODE_SCHEMA = {"type": "string", "pattern": "^[0-9]{6}$", "examples": ["141102"]}


def _county_code(value: object) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{6}", value.strip()):
        raise input_error("county_code", "须为6位行政区划代码，如 141102")
    return value.strip()


# A county in a body: its GB/T 2260 code.
CountyCode = Annotated[str, PlainValidator(_county_code), WithJsonSchema(COUNTY_CODE_SCHEMA)]
OptionalCountyCode = Annotated[
    str | None,
    PlainValidator(lambda v: None if v is None else _county_code(v)),
    WithJsonSchema({"anyOf": [COUNTY_CODE_SCHEMA, {"type": "null"}]}),
]


def resolve_county(code: str | None, *, field: str = "county") -> County | None:
    """Counties are reference data: look one up by its code, any user may name any county."""
    if code in (None, ""):
        return None
    county = County.objects.filter(code=code).first()
    if county is None:
        raise ValidationFailed.of(field, f"没有行政区划代码为“{code}”的县(市、区)")
    return county


# --- schemas ------------------------------------------------------------------------------


class CountyOut(Schema):
    code: str = Field(title="行政区划代码")
    name: str = Field(title="名称")


class ZoneOut(Schema):
    id: int
    name: str = Field(title="名称")
    short_name: str = Field(title="简称")
    level: str = Field(title="级别")
    level_label: str = Field(title="级别（中文）")
    county: str = Field(title="所在县(市、区)代码")
    county_name: str = Field(title="所在县(市、区)")
    area_km2: OptionalDecimalOut = Field(title="规划面积(平方公里)")
    project_count: int = Field(title="项目数")

    @staticmethod
    def resolve_level_label(obj: DevelopmentZone) -> str:
        return obj.get_level_display()

    @staticmethod
    def resolve_county(obj: DevelopmentZone) -> str:
        return obj.county.code

    @staticmethod
    def resolve_county_name(obj: DevelopmentZone) -> str:
        return obj.county.name

    @staticmethod
    def resolve_project_count(obj: DevelopmentZone) -> int:
        return obj.project_count  # the projects the caller may see (selectors annotate it)


class ZoneIn(InputSchema):
    """新建开发区。"""

    name: Text = text(_zone("name"))
    short_name: Text = text(_zone("short_name"))
    level: choice_type(_zone("level")) = Field(title="级别")
    county: CountyCode = Field(title="所在县(市、区)", description="行政区划代码，如 141102")
    area_km2: decimal_type(_zone("area_km2")) = decimal_field(_zone("area_km2"))


ZonePatch = partial(ZoneIn, "ZonePatch", "修改开发区：只改所传字段。")


class EnterpriseOut(Schema):
    id: int
    name: str = Field(title="企业名称")
    credit_code: str = Field(title="统一社会信用代码")
    county: str | None = Field(title="注册地县(市、区)代码")
    county_name: str | None = Field(title="注册地县(市、区)")
    contact: str = Field(title="联系人")
    phone: str = Field(title="联系电话")
    above_size_since: dt.date | None = Field(title="上规日期")
    project_count: int = Field(title="项目数")

    @staticmethod
    def resolve_county(obj: Enterprise) -> str | None:
        return obj.county.code if obj.county_id else None

    @staticmethod
    def resolve_county_name(obj: Enterprise) -> str | None:
        return obj.county.name if obj.county_id else None

    @staticmethod
    def resolve_project_count(obj: Enterprise) -> int:
        return obj.project_count  # the projects the caller may see (selectors annotate it)


class EnterpriseIn(InputSchema):
    """新建企业。县(市、区)用户不填注册地时，默认为本县。"""

    name: Text = text(_enterprise("name"))
    credit_code: Text = text(_enterprise("credit_code"), description="18位，含校验码")
    county: OptionalCountyCode = Field(
        None, title="注册地县(市、区)", description="行政区划代码，如 141102；不填为 null"
    )
    contact: Text = text(_enterprise("contact"))
    phone: Text = text(_enterprise("phone"))
    above_size_since: OptionalDate = Field(
        None, title="上规日期", description="企业达到规模以上的日期（YYYY-MM-DD），不能晚于今天"
    )


EnterprisePatch = partial(EnterpriseIn, "EnterprisePatch", "修改企业：只改所传字段。")


class EnterpriseQuery(PageQuery):
    q: Text = Field(
        "", title="关键词", description="企业名称或统一社会信用代码的一部分", max_length=100
    )


def _zone_data(payload: InputSchema) -> dict:
    data = payload.model_dump(exclude_unset=True)
    if "county" in data:
        data["county"] = resolve_county(data["county"])
        if data["county"] is None:
            raise ValidationFailed.of("county", "请填写所在县(市、区)")
    return data


def _enterprise_data(payload: InputSchema) -> dict:
    data = payload.model_dump(exclude_unset=True)
    if "county" in data:
        data["county"] = resolve_county(data["county"])
    return data


# --- endpoints ----------------------------------------------------------------------------


@router.get(
    "/counties",
    response={200: Page[CountyOut], **ERROR_RESPONSES},
    summary="县(市、区)列表",
    description="权限范围内的县(市、区)，按行政区划代码排序。",
)
def county_list(request, page: Query[PageQuery]):
    return paginate(selectors.county_list(user=request.auth).order_by("code"), page)


@router.get(
    "/zones",
    response={200: Page[ZoneOut], **ERROR_RESPONSES},
    summary="开发区列表",
)
def zone_list(request, page: Query[PageQuery]):
    zones = selectors.zone_list(user=request.auth, with_counts=True)
    return paginate(zones.order_by("county__code", "name"), page)


@router.get("/zones/{id}", response={200: ZoneOut, **ERROR_RESPONSES}, summary="开发区详情")
def zone_get(request, id: int = ZoneId):
    return selectors.zone_get(user=request.auth, pk=id)


@router.post(
    "/zones",
    response={201: ZoneOut, **ERROR_RESPONSES},
    summary="新建开发区",
    description="需要“管理开发区”权限（市项目办）。",
)
def zone_create(request, payload: ZoneIn):
    require(request.auth, Cap.MANAGE_ZONES)
    zone = services.zone_create(by=request.auth, **_zone_data(payload))
    return Status(201, selectors.zone_get(user=request.auth, pk=zone.pk))


@router.patch(
    "/zones/{id}",
    response={200: ZoneOut, **ERROR_RESPONSES},
    summary="修改开发区",
    description="只改所传字段。需要“管理开发区”权限（市项目办）。",
)
def zone_update(request, payload: ZonePatch, id: int = ZoneId):
    zone = selectors.zone_get(user=request.auth, pk=id)
    require(request.auth, Cap.MANAGE_ZONES)
    services.zone_update(by=request.auth, zone=zone, **_zone_data(payload))
    return selectors.zone_get(user=request.auth, pk=id)


@router.get(
    "/enterprises",
    response={200: Page[EnterpriseOut], **ERROR_RESPONSES},
    summary="企业列表",
    description="权限范围内的企业：县(市、区)看注册在本县或在本县有项目的企业，开发区看在本区有项目的企业，企业只看自己。",
)
def enterprise_list(request, query: Query[EnterpriseQuery]):
    qs = selectors.enterprise_list(user=request.auth, q=query.q).order_by("name", "pk")
    return paginate(qs, query)


@router.get(
    "/enterprises/{id}", response={200: EnterpriseOut, **ERROR_RESPONSES}, summary="企业详情"
)
def enterprise_get(request, id: int = EnterpriseId):
    return selectors.enterprise_get(user=request.auth, pk=id)


@router.post(
    "/enterprises",
    response={201: EnterpriseOut, **ERROR_RESPONSES},
    summary="新建企业",
    description="需要“维护台账”权限（市项目办、县(市、区)、开发区）。",
)
def enterprise_create(request, payload: EnterpriseIn):
    require(request.auth, Cap.CHANGE_LEDGER)
    enterprise = services.enterprise_create(by=request.auth, **_enterprise_data(payload))
    return Status(201, selectors.enterprise_get(user=request.auth, pk=enterprise.pk))


@router.patch(
    "/enterprises/{id}",
    response={200: EnterpriseOut, **ERROR_RESPONSES},
    summary="修改企业",
    description="只改所传字段。需要“维护台账”权限。",
)
def enterprise_update(request, payload: EnterprisePatch, id: int = EnterpriseId):
    enterprise = selectors.enterprise_get(user=request.auth, pk=id)
    require(request.auth, Cap.CHANGE_LEDGER)
    services.enterprise_update(by=request.auth, enterprise=enterprise, **_enterprise_data(payload))
    return selectors.enterprise_get(user=request.auth, pk=id)
