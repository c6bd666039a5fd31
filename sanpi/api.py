"""The JSON API, version 1 (``/api/v1/``): the NinjaAPI instance, token auth, the error shape.

* Auth: ``Authorization: Bearer <key>`` only (no session, so no CSRF). Keys are issued by
  ``sanpi.accounts.services.api_token_create``.
* Errors, all of them, as ``{"error": {"code", "message", "fields"}}`` with Chinese messages:
  400 bad input (ninja's request validation included), 401 no/invalid/expired token,
  403 missing capability, 404 absent *or out of scope* (existence is never revealed),
  409 conflicts; unexpected failures are 500 in the same shape and logged.
* Each app owns its Router and schemas in ``<app>/api.py``; views only parse, look up
  through the app's selectors (scope) and call its services (capability, audit).
"""

from __future__ import annotations

import functools
import json
import logging
import types
import typing
from typing import Any

import pydantic
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import re_path
from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError, ValidationErrorContext
from ninja.openapi.docs import Swagger
from ninja.renderers import JSONRenderer
from ninja.security import HttpBearer

from sanpi.accounts.models import User
from sanpi.accounts.services import api_token_user
from sanpi.core.errors import NotFound, ServiceError
from sanpi.core.uploads import size_text

logger = logging.getLogger("sanpi.api")

DESCRIPTION = """\
吕梁市开发区“三个一批”项目平台的数据接口：县(市、区)、开发区、企业、项目、“三个一批”活动及其报表。

**认证**：每个请求在请求头带上个人接口令牌 `Authorization: Bearer <令牌>`。令牌只显示一次，
过期或吊销后返回 401。每个用户只能看到自己权限范围内的数据，范围之外的对象一律返回 404。

**错误**：所有错误的响应体都是
`{"error": {"code": "错误代码", "message": "中文说明", "fields": {"字段": ["中文说明"]}}}`；
400 输入有误，401 未认证，403 无权执行，404 不存在或不在权限范围内，409 数据冲突。

**格式**：金额以万元为单位、以十进制字符串表示（如 `"12345.67"`）；日期为 `YYYY-MM-DD`；
选项字段给出代码，并附带同名 `_label` 中文说明。所有写操作都记入审计日志（来源“接口”）。
"""

# pydantic error types → Chinese. Types raised by sanpi's own validators carry Chinese already.
_MESSAGES: dict[str, str] = {
    "missing": "必须填写",
    "extra_forbidden": "不是可接受的字段",
    "string_type": "须为字符串",
    "string_too_long": "不能超过{max_length}个字符",
    "string_pattern_mismatch": "格式不正确",
    "int_type": "须为整数",
    "int_parsing": "须为整数",
    "int_from_float": "须为整数",
    "int_parsing_size": "数值过大",
    "float_type": "须为数字",
    "float_parsing": "须为数字",
    "bool_type": "须为 true 或 false",
    "bool_parsing": "须为 true 或 false",
    "greater_than": "须大于{gt}",
    "greater_than_equal": "不能小于{ge}",
    "less_than": "须小于{lt}",
    "less_than_equal": "不能大于{le}",
    "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
    "dict_type": "须为 JSON 对象",
    "list_type": "须为列表",
    "json_invalid": "不是有效的 JSON",
    "literal_error": "须为以下之一：{expected}",
    "enum": "须为以下之一：{expected}",
    "date_type": "须为 YYYY-MM-DD 格式的日期",
    "date_parsing": "须为 YYYY-MM-DD 格式的日期",
    "decimal_type": "须为数字",
    "decimal_parsing": "须为数字",
}
_SOURCES = {"body": "请求体", "query": "查询参数", "path": "路径参数"}


def _chinese(error: dict[str, Any]) -> str:
    kind = error["type"]
    if kind not in _MESSAGES and _has_cjk(error.get("msg", "")):
        return error["msg"]  # sanpi's own field types (sanpi.core.api) speak Chinese already
    if kind.endswith("_type") and error.get("input", ...) is None:
        return "不能为空"
    if kind == "string_too_short":
        min_length = (error.get("ctx") or {}).get("min_length", 1)
        return "不能为空" if min_length == 1 else f"至少{min_length}个字符"
    template = _MESSAGES.get(kind)
    if template is None:
        return "格式不正确"
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return template.split("{")[0].rstrip("：") or "格式不正确"


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _inner_model(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model inside an annotation (unwrapping Optional, Annotated, list)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _inner_model(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None


def _describe(model: type[pydantic.BaseModel], loc: tuple) -> tuple[list[str], str | None]:
    """The field names along a pydantic error location and the label of the last one."""
    current: type[pydantic.BaseModel] | None = model
    names: list[str] = []
    label: str | None = None
    for part in loc:
        if isinstance(part, int):
            names.append(str(part))
            continue
        info = current.model_fields.get(part) if current is not None else None
        names.append(str(part))
        label = info.title if info is not None else None
        current = _inner_model(info.annotation) if info is not None else None
    return names, label


class SanpiAPI(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        """Request validation errors, each with its field key and Chinese label and message."""
        errors: list[dict[str, Any]] = []
        for context in error_contexts:
            model = context.model
            source = model.__ninja_param_source__
            # A single body schema is read into one attribute; the client never sent its name.
            single = getattr(model, "__read_from_single_attr__", None)
            for error in context.pydantic_validation_error.errors(include_url=False):
                loc = tuple(error["loc"])
                names, label = _describe(model, loc)
                mapped = model.__ninja_flatten_map_reverse__.get(loc, loc)
                keys = [str(p) for p in mapped]
                if single and keys and keys[0] == single:
                    keys = keys[1:]
                key = ".".join(keys) or source
                if label is None or not keys:
                    label = names[-1] if keys else _SOURCES.get(source, source)
                errors.append({"key": key, "label": label, "message": _chinese(error)})
        return ValidationError(errors)


class ChineseJSONRenderer(JSONRenderer):
    """JSON with Chinese as UTF-8 (readable with curl), not as \\u escapes.

    A lone surrogate echoed from bad input can't be UTF-8; it is written as its
    JSON escape instead (it can only occur inside a JSON string).
    """

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        text = json.dumps(data, cls=self.encoder_class, ensure_ascii=False)
        return text.encode("utf-8", "backslashreplace")


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <key>``: the token's active, unexpired user, else 401."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return api_token_user(token.strip())


api = SanpiAPI(
    title="“三个一批”项目平台接口",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=Swagger(settings={"persistAuthorization": True}),
    # The interface document describes every endpoint and field: for signed-in users only.
    docs_decorator=login_required,
    renderer=ChineseJSONRenderer(),
)


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    fields: dict[str, list[str]] | None = None,
) -> HttpResponse:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = api.create_response(request, body, status=status)
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    lines: list[str] = []
    for error in exc.errors:
        if "key" not in error:  # raised by ninja itself, not by our translation
            error = {
                "key": ".".join(str(p) for p in error.get("loc", ())[1:]) or "body",
                "label": str((error.get("loc") or ("请求",))[-1]),
                "message": _chinese(error),
            }
        fields.setdefault(error["key"], []).append(error["message"])
        lines.append(f"{error['label']}: {error['message']}")
    return error_response(request, 400, "validation_failed", "；".join(lines) or "输入有误", fields)


_HTTP_ERRORS = {
    400: ("bad_request", "请求体不是有效的 JSON", {"body": ["请求体不是有效的 JSON"]}),
    401: (
        "unauthenticated",
        "未认证：请在请求头提供有效的接口令牌 Authorization: Bearer <令牌>（令牌可能已过期或被吊销）",
        {},
    ),
    403: ("permission_denied", "您没有权限执行此操作", {}),
    404: ("not_found", NotFound().message, {}),
    429: ("throttled", "请求过于频繁，请稍后再试", {}),
}


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code, message, fields = _HTTP_ERRORS.get(
        exc.status_code, ("http_error", f"请求无法处理（HTTP {exc.status_code}）", {})
    )
    return error_response(request, exc.status_code, code, message, fields)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", NotFound().message)


@api.exception_handler(IntegrityError)
def _conflict(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    # Validation runs before every save; this is a race with a concurrent write.
    logger.warning("API write conflict: %s", exc)
    return error_response(request, 409, "conflict", "数据与其他人同时进行的修改冲突，请刷新后重试")


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django refuses to read a body over DATA_UPLOAD_MAX_MEMORY_SIZE (settings): not a 500.
    limit = size_text(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return error_response(request, 413, "too_large", f"请求体太大：不能超过{limit}，本次请求未处理")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(
        request, 500, "server_error", "服务器内部错误，已记录，请稍后重试或联系管理员"
    )


def _register_routers() -> None:
    from sanpi.approvals.api import router as approvals_router
    from sanpi.cockpit.api import router as cockpit_router
    from sanpi.core.calendar_api import router as calendar_router
    from sanpi.dispatch.api import router as dispatch_router
    from sanpi.indicators.api import router as indicators_router
    from sanpi.problems.api import router as problems_router
    from sanpi.projects.api import router as projects_router
    from sanpi.regions.api import router as regions_router
    from sanpi.targets.api import router as targets_router

    api.add_router("", regions_router)
    api.add_router("", projects_router)
    api.add_router("", cockpit_router)
    api.add_router("", approvals_router)
    api.add_router("", calendar_router)
    api.add_router("", dispatch_router)
    api.add_router("", targets_router)
    api.add_router("", problems_router)
    api.add_router("", indicators_router)


_register_routers()


def _in_error_shape(view):
    """ninja answers a wrong method with a bare 405 and its root with Django's 404 page;
    give both the one error shape."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return unknown_path(request)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            out = error_response(
                request,
                405,
                "method_not_allowed",
                f"此地址不支持 {request.method} 方法，可用：{allowed}",
            )
            out["Allow"] = allowed
            return out
        return response

    return wrapper


def unknown_path(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any address under /api/ that is no endpoint: a 404 in the error shape."""
    return error_response(request, 404, "not_found", "没有这个接口地址")


unknown_path.csrf_exempt = True  # type: ignore[attr-defined]


def urls() -> tuple[list, str, str]:
    """The API's URL patterns, each answering in the error shape, with a JSON 404 at the end."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = _in_error_shape(pattern.callback)
    patterns.append(re_path(r"^(?P<rest>.*)$", unknown_path, name="unknown"))
    return patterns, app_name, namespace
