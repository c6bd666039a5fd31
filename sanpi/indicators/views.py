"""Pages of the main indicators: the table for a year, one indicator, a year's value. Thin."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from sanpi.accounts.roles import Cap
from sanpi.core.audit import history_for
from sanpi.core.errors import Conflict
from sanpi.core.web import attachment, describe_audit, require_cap, submit, web_view

from . import io, rules, selectors, services
from .forms import ValueForm, YearForm
from .models import IndicatorValue


def _year(request) -> tuple[YearForm, int]:
    """The year asked for (?year=), the last full year by default; a year out of range
    is said on the form and the default shown."""
    years = selectors.years()
    default = min(selectors.default_year(), years[-1])
    form = YearForm({"year": request.GET.get("year") or default}, years=years)
    if form.is_valid():
        return form, form.cleaned_data["year"]
    return form, default


@require_GET
@web_view
def table(request):
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    form, year = _year(request)
    result = selectors.indicator_table(user=user, year=year)
    return render(
        request,
        "indicators/table.html",
        {
            "form": form,
            "table": result,
            "summary": result.summary(),
            "year": year,
            "can_manage": user.can(Cap.MANAGE_TARGETS),
            "can_export": user.can(Cap.EXPORT_LEDGER),
            "path_labels": rules.PATH_LABELS,
        },
    )


@require_GET
@web_view
def export(request):
    user = request.user
    require_cap(user, Cap.EXPORT_LEDGER)
    _form, year = _year(request)
    document = io.table_export(by=user, year=year)
    return attachment(document.data, document.filename)


@require_GET
@web_view
def detail(request, pk: int):
    user = request.user
    indicator = selectors.indicator_get(user=user, pk=pk)
    lines = selectors.indicator_years(user=user, indicator=indicator)
    history = []
    for line in lines:
        if line.value is not None:
            history.extend(_exact(describe_audit(history_for(line.value))))
    history.sort(key=lambda item: item[0].pk, reverse=True)
    return render(
        request,
        "indicators/detail.html",
        {
            "indicator": indicator,
            "lines": lines,
            "path_label": rules.PATH_LABELS[rules.PathKind(indicator.path_kind)],
            "progress_note": rules.progress(indicator.spec(), None).reason,
            "can_manage": user.can(Cap.MANAGE_TARGETS),
            "history": history,
        },
    )


def _exact(rows):
    """The audit rows with the actual values as entered (describe_audit shows decimals as
    万元 to two places; an indicator's value has up to four)."""
    label = str(IndicatorValue._meta.get_field("actual").verbose_name)
    out = []
    for entry, changes in rows:
        fixed = []
        for name, before, after in changes:
            if name == label:
                before = _value_text((entry.before or {}).get("actual"))
                after = _value_text((entry.after or {}).get("actual"))
            fixed.append((name, before, after))
        out.append((entry, fixed))
    return out


def _value_text(raw) -> str:
    try:
        return rules.text(Decimal(str(raw))) if raw not in (None, "") else "—"
    except InvalidOperation:
        return str(raw)


@web_view
def value_edit(request, pk: int, year: int):
    """Enter or correct a year's actual value. A form read before someone else changed
    the value is refused with 409 and the message, the other's value shown."""
    user = request.user
    require_cap(user, Cap.MANAGE_TARGETS)
    indicator = selectors.indicator_get(user=user, pk=pk)
    selectors.check_year_or_404(year)
    current = selectors.value_get(user=user, indicator=indicator, year=year)
    initial = {"version": current.version if current else 0}
    if current is not None:
        initial.update(actual=rules.text(current.actual), note=current.note)
    form = ValueForm(
        request.POST if request.method == "POST" else None, initial=initial, unit=indicator.unit
    )
    conflict = False

    def save(data):
        nonlocal conflict
        try:
            return services.value_set(
                by=user, indicator=indicator, year=year, actual=data["actual"],
                note=data["note"], version=data["version"],
            )  # fmt: skip
        except Conflict:
            conflict = True
            raise

    if submit(request, form, save):
        messages.success(request, f"已保存{indicator.name}{year}年实际值")
        return redirect("indicators:detail", pk=indicator.pk)
    if conflict:
        # Show what is stored now, and the version to overwrite it knowingly.
        current = selectors.value_get(user=user, indicator=indicator, year=year)
        data = request.POST.copy()
        data["version"] = str(current.version if current else 0)
        form.data = data
    expected = rules.expected(indicator.spec(), year)
    return render(
        request,
        "indicators/value_form.html",
        {
            "form": form,
            "indicator": indicator,
            "year": year,
            "current": current,
            "expected": expected,
            "expected_text": rules.text(expected.value),
        },
        status=409 if conflict else 200,
    )
