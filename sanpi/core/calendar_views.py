"""The working-day calendar page: a year's holidays and 调休 days, the years' coverage, a
calculator for every signed-in user, and the forms with which the city office and the
system administrator enter or correct the schedule (with a confirm step when open
deadlines would move)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from sanpi.accounts.roles import Cap

from . import calendar
from .errors import NotFound, ServiceError
from .models import CalendarDay
from .web import BootstrapFormMixin, DateInput, add_service_error, require_cap, web_view

COVERED_CHOICES = [("1", "已录入（全年安排完整）"), ("0", "未录入（按周末推算）")]


class DaysForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label="日期", widget=DateInput())
    end = forms.DateField(
        label="至（含）", required=False, widget=DateInput(), help_text="连续多天时填写，如放假7天"
    )
    kind = forms.ChoiceField(label="类型", choices=CalendarDay.Kind.choices)
    name = forms.CharField(label="节日名称", max_length=50, help_text="如：国庆节")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class RemoveForm(forms.Form):
    date = forms.DateField(label="日期")
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class YearForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(
        label="年份", min_value=calendar.MIN_YEAR, max_value=calendar.MAX_YEAR
    )
    covered = forms.ChoiceField(label="全年安排", choices=COVERED_CHOICES)
    basis = forms.CharField(
        label="依据",
        required=False,
        max_length=200,
        help_text="如：国务院办公厅关于2027年部分节假日安排的通知",
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


class AddCalcForm(BootstrapFormMixin, forms.Form):
    date = forms.DateField(label="起算日期", widget=DateInput())
    n = forms.IntegerField(label="工作日数", min_value=0, max_value=calendar.MAX_WORKDAYS)


class BetweenCalcForm(BootstrapFormMixin, forms.Form):
    a = forms.DateField(label="起始日期（不计）", widget=DateInput())
    b = forms.DateField(label="截止日期（计入）", widget=DateInput())


def _year_param(request) -> tuple[int, str]:
    raw = (request.GET.get("year") or "").strip()
    this_year = calendar.today().year
    if not raw:
        return this_year, ""
    try:
        return calendar.check_year(int(raw)), ""
    except (ValueError, ServiceError):
        return this_year, (
            f"年份“{raw[:20]}”无效，须为{calendar.MIN_YEAR}至{calendar.MAX_YEAR}之间的整数，"
            f"已显示{this_year}年"
        )


def _calc(request, form_class, prefix: str, compute):
    """A calculator form bound from the query string when it was submitted, and its answer."""
    if not any(key.startswith(prefix + "-") for key in request.GET):
        return form_class(prefix=prefix), None
    form = form_class(request.GET, prefix=prefix)
    if not form.is_valid():
        return form, None
    try:
        return form, compute(form.cleaned_data)
    except ServiceError as exc:
        add_service_error(form, exc)
        return form, None


def _page(request, *, year: int | None = None, **forms_and_pending):
    user = request.user
    year_error = ""
    if year is None:
        year, year_error = _year_param(request)
    this_year = calendar.today().year
    add_form, add_answer = _calc(
        request, AddCalcForm, "add", lambda d: calendar.workdays_add(d["date"], d["n"])
    )
    between_form, between_answer = _calc(
        request, BetweenCalcForm, "between", lambda d: calendar.workdays_between(d["a"], d["b"])
    )
    can_manage = user.can(Cap.MANAGE_CALENDAR)
    years = calendar.years_status(extra=[this_year, this_year + 1, year])
    context = {
        "year": year,
        "year_error": year_error,
        "status": next(s for s in years if s.year == year),
        "years": years,
        "days": [(d, calendar.weekday_label(d.date)) for d in calendar.year_days(year)],
        "add_form": add_form,
        "add_answer": add_answer,
        "between_form": between_form,
        "between_answer": between_answer,
        "can_manage": can_manage,
    }
    if can_manage:
        context["days_form"] = forms_and_pending.get("days_form") or DaysForm(
            initial={"kind": CalendarDay.Kind.HOLIDAY}
        )
        context["year_form"] = forms_and_pending.get("year_form") or YearForm(
            initial={"year": this_year + 1, "covered": "1"}
        )
        context["pending"] = forms_and_pending.get("pending")
        context["remove_error"] = forms_and_pending.get("remove_error", "")
    return render(request, "core/calendar.html", context)


def _pending(action: str, form: forms.Form, what: str, exc: calendar.ConfirmationRequired):
    """The confirm step: what would move, and the same request again with confirm set."""
    fields = [
        (name, value)
        for name, value in form.data.items()
        if name not in ("confirm", "csrfmiddlewaretoken")
    ]
    return {"action": reverse(action), "fields": fields, "what": what, "moved": exc.moved}


@web_view
def calendar_page(request):
    return _page(request)


def _back(year: int):
    return redirect(f"{reverse('core:calendar')}?year={year}")


@require_POST
@web_view
def calendar_days_set(request):
    user = request.user
    require_cap(user, Cap.MANAGE_CALENDAR)
    form = DaysForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            days = calendar.calendar_days_set(
                by=user,
                start=data["start"],
                end=data["end"],
                kind=data["kind"],
                name=data["name"],
                confirm=data["confirm"],
            )
        except calendar.ConfirmationRequired as exc:
            label = dict(CalendarDay.Kind.choices)[data["kind"]]
            span = data["start"].isoformat() + (
                f" 至 {data['end'].isoformat()}" if data["end"] else ""
            )
            what = f"将 {span} 设为“{label}”（{data['name']}）"
            pending = _pending("core:calendar_days_set", form, what, exc)
            return _page(request, year=data["start"].year, days_form=form, pending=pending)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            first, last = days[0].date, days[-1].date
            span = (
                first.isoformat() if first == last else f"{first.isoformat()} 至 {last.isoformat()}"
            )
            messages.success(
                request, f"已保存：{span} {days[0].get_kind_display()}（{days[0].name}）"
            )
            return _back(data["start"].year)
    year = form.cleaned_data.get("start").year if form.cleaned_data.get("start") else None
    return _page(request, year=year, days_form=form)


@require_POST
@web_view
def calendar_day_remove(request):
    user = request.user
    require_cap(user, Cap.MANAGE_CALENDAR)
    form = RemoveForm(request.POST)
    if not form.is_valid():
        return _page(request, remove_error="请选择要删除的日期（YYYY-MM-DD）")
    day = form.cleaned_data["date"]
    try:
        calendar.calendar_day_remove(by=user, day=day, confirm=form.cleaned_data["confirm"])
    except calendar.ConfirmationRequired as exc:
        what = f"删除 {day.isoformat()} 的记录（该日恢复按周末规则计算）"
        pending = _pending("core:calendar_day_remove", form, what, exc)
        return _page(request, year=day.year, pending=pending)
    except NotFound as exc:
        return _page(request, year=day.year, remove_error=exc.message)
    except ServiceError as exc:
        return _page(request, year=day.year, remove_error=exc.message)
    messages.success(request, f"已删除 {day.isoformat()} 的记录，该日按周末规则计算")
    return _back(day.year)


@require_POST
@web_view
def calendar_year_set(request):
    user = request.user
    require_cap(user, Cap.MANAGE_CALENDAR)
    form = YearForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        covered = data["covered"] == "1"
        try:
            row = calendar.calendar_year_set(
                by=user,
                year=data["year"],
                covered=covered,
                basis=data["basis"],
                confirm=data["confirm"],
            )
        except calendar.ConfirmationRequired as exc:
            what = f"将{data['year']}年标记为“{'已录入' if covered else '未录入'}”"
            pending = _pending("core:calendar_year_set", form, what, exc)
            return _page(request, year=data["year"], year_form=form, pending=pending)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            state = "已录入，按录入的节假日安排计算" if row.covered else "未录入，按周末推算"
            messages.success(request, f"{row.year}年已标记为{state}")
            return _back(row.year)
    return _page(request, year_form=form)
