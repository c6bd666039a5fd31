"""Helpers for the server-rendered views: thin views, one way to show service errors.

Views parse input with a Django form, call a selector or a service, and render. A
`ServiceError` from a service becomes messages next to the form's fields; an
out-of-scope object (`NotFound`) answers 404 and a refused act (`PermissionDenied`)
answers 403, never a 500.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404

from .errors import NotFound, PermissionDenied, ServiceError
from .services import require
from .xlsx import XLSX_CONTENT_TYPE

T = TypeVar("T")

PAGE_SIZE = 50
# A write that would move a (readable, in-scope) object out of the writer's own scope.
LEAVES_SCOPE = "修改后该对象将不在您的权限范围内，未保存；如需移交，请联系市项目办"


def web_view(view: Callable) -> Callable:
    """Turn the services' NotFound/PermissionDenied into Django's 404/403 responses."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except NotFound as exc:
            raise Http404(exc.message) from None
        except PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from None

    return wrapper


def attachment(data: bytes, filename: str, content_type: str = XLSX_CONTENT_TYPE) -> FileResponse:
    """A generated file (a workbook by default) as a download, named for people."""
    return FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type=content_type
    )


# Refuse a page early (403) when the role may not use it at all: the services' own check.
require_cap = require


def submit(
    request, form: forms.Form, action: Callable[[dict], T], *, editing: bool = False
) -> T | None:
    """Run `action` (a service call) on a POSTed, valid form's cleaned data.

    Returns what the service returned; None when there is nothing to save yet (GET, or
    the form itself is invalid) or when the service refused, in which case its Chinese
    messages are on the form. NotFound and PermissionDenied propagate (404/403), except
    that when `editing` an object the user could open, NotFound means the edit would take
    it out of their scope: a form error (LEAVES_SCOPE), not a 404.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return action(form.cleaned_data)
    except NotFound:
        if not editing:
            raise
        form.add_error(None, LEAVES_SCOPE)
    except ServiceError as exc:
        add_service_error(form, exc)
    return None


def errors_text(form: forms.Form) -> str:
    """A form's messages in one line, for a page that redirects instead of re-showing it."""
    return "；".join(e for errs in form.errors.values() for e in errs)


def add_service_error(form: forms.Form, exc: ServiceError) -> None:
    """Put a service's Chinese messages next to the fields they concern.

    NotFound and PermissionDenied are not form errors: they propagate (404/403).
    Messages for fields the form doesn't show go to the top of the form.
    """
    if isinstance(exc, NotFound | PermissionDenied):
        raise exc
    placed = False
    for name, messages in exc.fields.items():
        field = name if name in form.fields else None
        if name == NON_FIELD_ERRORS:
            field = None
        for message in messages:
            form.add_error(field, message)
            placed = True
        if field is not None:
            widget = form.fields[field].widget
            widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
    if not placed:
        form.add_error(None, exc.message)


def paginate(request, queryset, per_page: int = PAGE_SIZE, *, param: str = "page") -> Page:
    """The requested page; ``param`` names the query parameter, so that one page can
    hold several lists each with its own pages (includes/pagination.html follows it)."""
    page = Paginator(queryset, per_page).get_page(request.GET.get(param))
    page.param = param
    return page


class BootstrapFormMixin:
    """Bootstrap 5 classes on every widget (forms stay plain Django forms)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
        trim_overlong(self)


def trim_overlong(form: forms.Form) -> None:
    """Show a value refused for its length cut to the length allowed, not echoed whole.

    A field's max_length refuses a too-long value with its message; the page that says
    so must not send the value back (a 1,000,000-character name would be echoed into the
    input, a megabyte for every retry). Only the re-displayed data is cut: the form stays
    invalid and nothing reaches a service.
    """
    if not form.is_bound or not form.errors:
        return
    data = None
    for name, field in form.fields.items():
        limit = getattr(field, "max_length", None)
        if not limit or name not in form.errors:
            continue
        key = form.add_prefix(name)
        value = form.data.get(key)
        if isinstance(value, str) and len(value) > limit:
            if data is None:
                data = form.data.copy()
            data[key] = value[:limit]
    if data is not None:
        form.data = data


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


# --- audit rows as people read them ---------------------------------------------------

_NOISE_FIELDS = {"id", "created_at", "updated_at", "password", "key_hash"}


def _model_for(object_type: str):
    from django.apps import apps

    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model, name: str):
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except Exception:
        return None


def describe_audit(entries) -> list[tuple[object, list[tuple[str, str, str]]]]:
    """Each audit row with its changed fields as (Chinese label, before, after) texts.

    Foreign keys are shown by name (one query per related model for all the rows),
    choices by their label, booleans as 是/否, amounts with separators.
    """
    from decimal import Decimal, InvalidOperation

    from .money import wan_text

    entries = list(entries)
    wanted: dict[type, set] = {}
    for entry in entries:
        model = _model_for(entry.object_type)
        for name, before, after in entry.changes():
            field = _field(model, name)
            if field is not None and field.is_relation and field.related_model is not None:
                for value in (before, after):
                    if value not in (None, ""):
                        wanted.setdefault(field.related_model, set()).add(value)
    names: dict[type, dict] = {}
    for related, ids in wanted.items():
        names[related] = {
            obj.pk: str(obj) for obj in related._default_manager.filter(pk__in=list(ids))
        }

    def text(field, value) -> str:
        if value is None or value == "":
            return "—"
        if field is None:
            return str(value)
        if field.is_relation and field.related_model is not None:
            return names.get(field.related_model, {}).get(value, f"#{value}")
        if isinstance(value, bool):
            return "是" if value else "否"
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if field.get_internal_type() == "DecimalField":
            try:
                return wan_text(Decimal(str(value)))
            except InvalidOperation:
                return str(value)
        return str(value)

    out = []
    for entry in entries:
        model = _model_for(entry.object_type)
        changes = []
        for name, before, after in entry.changes():
            if name in _NOISE_FIELDS:
                continue
            if entry.before is None and after in (None, "", False):
                continue  # a creation: show what was filled in
            field = _field(model, name)
            label = str(field.verbose_name) if field is not None else name
            changes.append((label, text(field, before), text(field, after)))
        out.append((entry, changes))
    return out


def object_type_choices() -> list[tuple[str, str]]:
    """The audited kinds of object, by their Chinese names, each name once.

    sanpi's concrete models (audit rows name a proxy's concrete model, see
    `core.audit.object_type_of`, so proxies such as approvals' 项目 are not offered a
    second time), then the kinds that are no model, declared by their app as
    ``AppConfig.audit_object_types`` (the ledgers imported and exported, the database
    backed up, the audit log exported). A name that two kinds still share gets its app's
    name: 项目（项目） and 项目（审批事项） rather than 项目 twice.
    """
    from django.apps import apps

    choices: list[tuple[str, str, str]] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("sanpi."):
            continue
        for model in config.get_models():
            if model._meta.proxy or model._meta.label_lower == "core.auditlog":
                continue
            choices.append((model._meta.label_lower, str(model._meta.verbose_name), config))
        for key, label in getattr(config, "audit_object_types", {}).items():
            choices.append((key, str(label), config))
    counts: dict[str, int] = {}
    for _, label, _ in choices:
        counts[label] = counts.get(label, 0) + 1
    return [
        (key, label if counts[label] == 1 else f"{label}（{config.verbose_name}）")
        for key, label, config in choices
    ]
