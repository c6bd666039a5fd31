"""Building blocks for the JSON API's schemas. No domain knowledge.

Field types whose validation messages are Chinese and whose OpenAPI schema says what
the wire format is: money as decimal strings in 万元, dates as ``YYYY-MM-DD``, choice
fields as their codes. Each factory takes the Django model field it stands for, so the
label (``verbose_name``), length and digit limits have one source.
"""

import datetime as dt
import re
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from django.db import models
from django.db.models import QuerySet
from ninja import Field, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from .money import AmountError, parse_wan

MAX_ID = 2**63 - 1  # BIGINT; a larger id would overflow the database driver
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class InputSchema(Schema):
    """Request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Schema):
    code: str = Field(title="错误代码", examples=["validation_failed"])
    message: str = Field(title="错误说明", examples=["项目名称: 必须填写"])
    fields: dict[str, list[str]] = Field(title="各字段的错误", examples=[{"name": ["必须填写"]}])


class ErrorOut(Schema):
    """Every error of the API has this shape."""

    error: ErrorDetail


ERROR_RESPONSES: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
}

T = TypeVar("T")


class Page(Schema, Generic[T]):
    count: int = Field(title="总数")
    limit: int = Field(title="每页条数")
    offset: int = Field(title="起始位置")
    next_after: int | None = Field(
        None,
        title="下一页的 after",
        description="按编号翻页（传了 after）时，下一页应传的 after；已是最后一页时为 null",
    )
    items: list[T] = Field(title="本页条目")


class PageQuery(Schema):
    limit: int = Field(50, ge=1, le=1000, title="每页条数", description="1–1000，默认 50")
    offset: int = Field(0, ge=0, le=1_000_000_000, title="起始位置", description="默认 0")
    after: int | None = Field(
        None,
        ge=0,
        le=2**62,
        title="在此编号之后",
        description="按编号翻页（键集分页）：传上一页的 next_after。给出时结果按编号排序、"
        "忽略 offset；翻到很深的页时比 offset 快得多",
    )


PAGE_FIELDS = frozenset(PageQuery.model_fields)  # a query's paging, not its filters


def paginate(qs: QuerySet, page: PageQuery, rows=None) -> dict[str, Any]:
    """One COUNT and one page query; the queryset must be ordered. With ``after`` the page
    is the next ``limit`` rows by primary key after that key (an index range, however deep)
    instead of an OFFSET that reads and throws away every row before it. ``rows``: what an
    offset page is sliced from, if not ``qs`` itself (e.g. a ``core.paging.GroupedRows``)."""
    if page.after is not None:
        items = list(qs.order_by("pk").filter(pk__gt=page.after)[: page.limit])
        full = len(items) == page.limit
        return {
            "count": qs.count(),
            "limit": page.limit,
            "offset": 0,
            "next_after": items[-1].pk if full else None,
            "items": items,
        }
    rows = qs if rows is None else rows
    return {
        "count": rows.count(),
        "limit": page.limit,
        "offset": page.offset,
        "items": list(rows[page.offset : page.offset + page.limit]),
    }


def input_error(kind: str, message: str, **ctx: Any) -> PydanticCustomError:
    """A validation error with a Chinese message, for sanpi's own field types."""
    return PydanticCustomError(kind, message, ctx or None)


def _clean_text(value: str) -> str:
    # PostgreSQL refuses NUL characters and lone surrogates can't be encoded: refuse them
    # here as bad input instead of letting the database driver fail.
    if "\x00" in value:
        raise input_error("text_nul", "不能包含空字符（\\u0000）")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise input_error("text_encoding", "含有无法识别的字符") from None
    return value.strip()


def label_of(field: models.Field) -> str:
    return str(field.verbose_name)


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def id_field(title: str, *, required: bool = True, description: str = "") -> Any:
    """A reference by id in a body: ``Annotated`` type and its Field."""
    return Field(... if required else None, title=title, description=description, ge=1, le=MAX_ID)


def text(field: models.Field, *, required: bool | None = None, **kw: Any) -> Any:
    """A string field of `field`'s length; blank allowed unless required."""
    required = (not field.blank) if required is None else required
    return Field(
        ... if required else "",
        title=label_of(field),
        max_length=field.max_length,
        min_length=1 if required else None,
        **kw,
    )


Text = Annotated[str, AfterValidator(_clean_text)]
OptionalText = Annotated[
    str | None, AfterValidator(lambda v: None if v is None else _clean_text(v))
]


def choice_type(
    field_or_choices: models.Field | list[tuple[str, str]],
    *,
    nullable: bool = False,
    blank_as_none: bool = False,
) -> Any:
    """A choice's code, checked against the choices with a Chinese message listing them.

    `blank_as_none` is for query strings, where ``?stage=`` means "no filter".
    """
    raw = (
        field_or_choices.choices if isinstance(field_or_choices, models.Field) else field_or_choices
    )
    choices = [(str(code), str(label)) for code, label in raw]
    blank_allowed = isinstance(field_or_choices, models.Field) and field_or_choices.blank
    if blank_allowed and "" not in {code for code, _ in choices}:
        choices.append(("", "不填"))
    codes = [c for c, _ in choices]
    listed = "、".join(f"{c or '（空）'}（{label}）" for c, label in choices)
    nullable = nullable or blank_as_none

    def check(value: object) -> str | None:
        if value is None and nullable:
            return None
        if blank_as_none and value == "":
            return None
        if not isinstance(value, str) or value not in codes:
            raise input_error("choice", f"须为以下之一：{listed}")
        return value

    schema: dict[str, Any] = {
        "type": "string",
        "enum": codes,
        "description": "；".join(f"{c or '空字符串'} = {label}" for c, label in choices),
    }
    if blank_as_none:
        schema["enum"] = [*codes, ""] if "" not in codes else codes  # ?stage= means no filter
    elif nullable:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return Annotated[str | None if nullable else str, PlainValidator(check), WithJsonSchema(schema)]


def optional_int(**constraints: Any) -> Any:
    """An optional integer query parameter; empty means absent."""
    integer: dict[str, Any] = {"type": "integer"}
    if "ge" in constraints:
        integer["minimum"] = constraints["ge"]
    if "le" in constraints:
        integer["maximum"] = constraints["le"]
    schema = {"anyOf": [integer, {"type": "string", "maxLength": 0}, {"type": "null"}]}
    return Annotated[
        Annotated[int, Field(**constraints)] | None,
        BeforeValidator(empty_as_none),
        WithJsonSchema(schema),
    ]


def _check_date(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not DATE_RE.match(value.strip()):
        raise input_error("date", "须为 YYYY-MM-DD 格式的日期，如 2021-09-26")
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise input_error("date", f"“{value}”不是有效的日期") from None


Date = Annotated[
    dt.date,
    PlainValidator(_check_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2021-09-26"]}),
]
OptionalDate = Annotated[
    dt.date | None,
    PlainValidator(lambda v: None if v is None else _check_date(v)),
    WithJsonSchema(
        {"anyOf": [{"type": "string", "format": "date"}, {"type": "null"}], "examples": [None]}
    ),
]


def _fmt_decimal(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def decimal_type(field: models.DecimalField, *, nullable: bool | None = None) -> Any:
    """An exact amount for a DecimalField: a decimal string (or JSON number), never a float.

    Accepts up to the field's decimal places, non-negative, within its digits.
    """
    nullable = field.null if nullable is None else nullable
    whole_digits = field.max_digits - field.decimal_places
    limit = Decimal(10) ** whole_digits

    def check(value: object) -> Decimal | None:
        if value is None:
            if nullable:
                return None
            raise input_error("missing", "必须填写")
        if isinstance(value, str) and not value.strip():
            raise input_error("decimal", "不能为空字符串" + ("，不填请用 null" if nullable else ""))
        if not isinstance(value, str | int | float | Decimal) or isinstance(value, bool):
            raise input_error("decimal", '须为数字（字符串如 "1234.56" 或 JSON 数字）')
        if isinstance(value, str) and len(value) > 40:
            raise input_error("decimal", "数值过长")
        try:
            amount = parse_wan(value)
        except AmountError as exc:
            raise input_error("decimal", str(exc)) from None
        except ArithmeticError:
            raise input_error("decimal", f"数值过大（整数部分最多{whole_digits}位）") from None
        if amount is None:
            if nullable:
                return None
            raise input_error("missing", "必须填写")
        if amount >= limit:
            raise input_error("decimal", f"数值过大（整数部分最多{whole_digits}位）")
        return amount

    number = {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$", "examples": ["12345.67"]}
    schema: dict[str, Any] = {"anyOf": [number, {"type": "number", "minimum": 0}]}
    if nullable:
        schema["anyOf"].append({"type": "null"})
    return Annotated[
        Decimal | None if nullable else Decimal,
        PlainValidator(check),
        WithJsonSchema(schema),
    ]


def decimal_field(field: models.DecimalField, *, required: bool | None = None) -> Any:
    required = (not field.null) if required is None else required
    return Field(
        ... if required else None,
        title=label_of(field),
        description=f"{label_of(field)}，最多{field.decimal_places}位小数，以字符串传递以免精度损失",
    )


# Output: amounts as decimal strings.
DecimalOut = Annotated[
    Decimal,
    PlainSerializer(_fmt_decimal, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["12345.67"]}),
]
OptionalDecimalOut = Annotated[
    Decimal | None,
    PlainSerializer(_fmt_decimal, return_type=str | None),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "null"}], "examples": ["12345.67"]}),
]


def empty_as_none(value: object) -> object:
    """Query strings: ``?zone=`` means no filter, like an absent parameter."""
    return None if value == "" else value


def partial(schema: type[Schema], name: str, doc: str = "") -> type[Schema]:
    """The PATCH twin of a create schema: every field optional, only sent fields change.

    Sending ``null`` for a field that can't be empty is an error, not "leave as is".
    """
    from pydantic import create_model

    fields: dict[str, Any] = {
        field_name: (
            info.rebuild_annotation(),
            Field(None, title=info.title, description=info.description),
        )
        for field_name, info in schema.model_fields.items()
    }
    return create_model(name, __base__=InputSchema, __doc__=doc or schema.__doc__, **fields)
