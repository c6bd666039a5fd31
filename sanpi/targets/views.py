"""Pages: the monthly ranking, its bulletin, the units' targets and the weights. Thin."""

from __future__ import annotations

from pathlib import PurePath

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from sanpi.accounts.roles import Cap
from sanpi.core import jobs
from sanpi.core.audit import history_for
from sanpi.core.errors import NotFound
from sanpi.core.web import (
    attachment,
    describe_audit,
    errors_text,
    require_cap,
    submit,
    web_view,
)

from . import io, rules, selectors, services
from .forms import ImportForm, MonthForm, SchemeForm, TargetForm, YearForm
from .jobs import BULLETIN, IMPORT
from .rules import INDICATORS


def _default_month() -> tuple[int, int]:
    """The month last ended: the one a ranking is usually published for."""
    today = timezone.localdate()
    return rules.previous_month(today.year, today.month)


def _month_form(request) -> tuple[MonthForm, int, int, str]:
    """The month and kind asked for (the last month and counties by default)."""
    year, month = _default_month()
    data = {"year": year, "month": month, "kind": "county", **request.GET.dict()}
    form = MonthForm(data)
    if form.is_valid():
        year, month = form.cleaned_data["year"], form.cleaned_data["month"]
        problem = rules.check_ranking_month(year, month, timezone.localdate())
        if not problem:
            return form, year, month, form.cleaned_data["kind"]
        form.add_error("month", problem)
    year, month = _default_month()
    kind = data["kind"] if data["kind"] in selectors.KINDS else "county"
    return form, year, month, kind


@require_GET
@web_view
def ranking(request):
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    form, year, month, kind = _month_form(request)
    result = selectors.ranking(user=user, year=year, month=month, kind=kind)
    return render(
        request,
        "targets/ranking.html",
        {
            "form": form,
            "ranking": result,
            "indicators": _indicator_heads(result.scheme),
            "can_manage": user.can(Cap.MANAGE_TARGETS),
        },
    )


def _indicator_heads(scheme: rules.Scheme) -> list[tuple[rules.Indicator, int]]:
    return [(ind, scheme.weight(ind.key)) for ind in INDICATORS]


@require_GET
@web_view
def bulletin_page(request):
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    form, year, month, _kind = _month_form(request)
    b = selectors.bulletin(user=user, year=year, month=month)
    return render(
        request,
        "targets/bulletin.html",
        {
            "form": form,
            "b": b,
            "overall_text": io.overall_text(b),
            "sections": [
                (number, r, io.podium_text(r), b.lagging[r.kind])
                for number, r in zip(io.SECTION_NUMBERS, b.rankings, strict=True)
            ],
            "indicators": _indicator_heads(b.counties.scheme),
        },
    )


@require_GET
@web_view
def bulletin_file(request, fmt: str):
    """The bulletin as Word or Excel, built by a background job for the reader's scope;
    its page shows progress and then the file."""
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    if fmt not in io.BUILDERS:
        raise NotFound()
    form, year, month, _kind = _month_form(request)
    if form.errors:
        messages.error(request, errors_text(form))
        return redirect("targets:ranking")
    job = jobs.job_start(
        user=user, kind=BULLETIN, params={"year": year, "month": month, "fmt": fmt}
    )
    return redirect("core:job", pk=job.pk)


# --- targets ---------------------------------------------------------------------------------


def _kind(request) -> str:
    kind = request.GET.get("kind", "county")
    return kind if kind in selectors.KINDS else "county"


@require_GET
@web_view
def target_list(request, year: int):
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    kind = _kind(request)
    return render(
        request,
        "targets/target_list.html",
        {
            "year": year,
            "kind": kind,
            "kind_label": selectors.KIND_LABELS[kind],
            "kinds": selectors.KIND_LABELS.items(),
            "rows": selectors.target_rows(user=user, year=year, kind=kind),
            "indicators": INDICATORS,
            "can_manage": user.can(Cap.MANAGE_TARGETS),
            "year_form": YearForm(initial={"year": year}),
        },
    )


@web_view
def target_edit(request, year: int, kind: str, pk: int):
    user = request.user
    require_cap(user, Cap.MANAGE_TARGETS)
    if kind not in selectors.KINDS:
        raise NotFound()
    unit = selectors.unit_get(kind=kind, pk=pk)
    row = selectors.target_get(year=year, kind=kind, pk=pk)
    form = TargetForm.build(request.POST if request.method == "POST" else None, instance=row)
    if submit(
        request,
        form,
        lambda data: services.target_set(by=user, year=year, kind=kind, pk=pk, **data),
    ):
        messages.success(request, f"已保存{unit.name}{year}年度目标")
        return redirect(f"{_url('targets:target_list', year=year)}?kind={kind}")
    return render(
        request,
        "targets/target_form.html",
        {
            "form": form,
            "unit": unit,
            "year": year,
            "kind": kind,
            "kind_label": selectors.KIND_LABELS[kind],
            "history": describe_audit(history_for(row)) if row is not None else [],
        },
    )


def _url(name: str, **kwargs) -> str:
    return reverse(name, kwargs=kwargs)


@web_view
def target_import(request, year: int):
    """The year's targets from a workbook: checked here for size, read in a job."""
    user = request.user
    require_cap(user, Cap.MANAGE_TARGETS)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = jobs.job_start(
            user=user,
            kind=IMPORT,
            filename=PurePath(upload.name or "目标.xlsx").name,
            source=upload.read(),
            params={"year": year},
        )
        return redirect("core:job", pk=job.pk)
    return render(request, "targets/target_import.html", {"form": form, "year": year})


@require_GET
@web_view
def target_template(request, year: int):
    document = io.targets_template(by=request.user, year=year)
    return attachment(document.data, document.filename)


# --- weights ---------------------------------------------------------------------------------


@require_GET
@web_view
def scheme_list(request):
    user = request.user
    today = timezone.localdate()
    schemes = selectors.scheme_list(user=user)
    rows = [(s, selectors.as_scheme(s)) for s in schemes]
    return render(
        request,
        "targets/scheme_list.html",
        {
            "rows": rows,
            "current": selectors.scheme_for(today.year, today.month),
            "default": rules.DEFAULT_SCHEME,
            "indicators": INDICATORS,
            "can_manage": user.can(Cap.MANAGE_TARGETS),
        },
    )


@web_view
def scheme_create(request):
    user = request.user
    require_cap(user, Cap.MANAGE_TARGETS)
    today = timezone.localdate()
    current = selectors.scheme_for(today.year, today.month)
    initial = {
        "year": today.year,
        "month": today.month,
        "cap": current.cap,
        **{f"w_{ind.key}": current.weight(ind.key) for ind in INDICATORS},
    }
    form = SchemeForm(request.POST if request.method == "POST" else None, initial=initial)

    def save(data):
        return services.scheme_set(
            by=user,
            year=data["year"],
            month=data["month"],
            cap=data["cap"],
            weights=form.weights(),
            note=data.get("note", ""),
        )

    if scheme := submit(request, form, save):
        messages.success(request, f"已设置{scheme}")
        return redirect("targets:scheme_list")
    return render(request, "targets/scheme_form.html", {"form": form})
