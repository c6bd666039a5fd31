"""The assessment's pages: the schemes and years, a year's results with every unit's
breakdown, the template, the import (a job), the results as .xlsx and the Word 通报."""

from __future__ import annotations

from decimal import Decimal
from pathlib import PurePath

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from sanpi.accounts.roles import Cap
from sanpi.core import jobs, uploads
from sanpi.core.errors import NotFound, ServiceError, ValidationFailed
from sanpi.core.web import (
    BootstrapFormMixin,
    attachment,
    paginate,
    require_cap,
    submit,
    web_view,
)

from . import io, services
from .jobs import IMPORT, RESCORE_MINUTES
from .schemes import COMPUTED, SCHEMES
from .selectors import (
    Results,
    check_scheme_key,
    entry_find,
    indicator_groups,
    ranking_rows,
    scheme_of,
    scheme_year_find,
    unit_score,
    years_of,
)


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label="考核数据文件（.xlsx、.xls 或 .csv）",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的"},
    )

    def clean_file(self):
        return uploads.check_upload_size(self.cleaned_data["file"])


RESULTS_SHOWN = 50  # units per page of the ranking (each with its breakdown)


def _year(key: str, year: int) -> tuple[str, int]:
    """The scheme and year of an address; a year out of range is a page that is not there."""
    check_scheme_key(key)
    try:
        io.check_year(year)
    except ValidationFailed as exc:
        raise NotFound(exc.message) from None
    return key, year


@require_GET
@web_view
def index(request):
    if not request.user.can(Cap.ENTER_ASSESSMENT):
        require_cap(request.user, Cap.VIEW_LEDGER)
    last_year = timezone.localdate().year - 1
    schemes = [(s, years_of(k)) for k, s in SCHEMES.items()]
    return render(
        request,
        "assessment/index.html",
        {"schemes": schemes, "last_year": last_year, "reads": request.user.can(Cap.VIEW_LEDGER)},
    )


@require_GET
@web_view
def year_results(request, key: str, year: int):
    """One page of the year's stored ranking (RESULTS_SHOWN units, with their breakdowns),
    narrowed by a unit's name; the page says when the results were computed and whether
    newer data are still being scored."""
    require_cap(request.user, Cap.VIEW_LEDGER)
    _year(key, year)
    row = scheme_year_find(key, year)
    scheme = scheme_of(row, key)
    q = (request.GET.get("q") or "").strip()[:100]
    page = paginate(request, ranking_rows(row, q), RESULTS_SHOWN)
    units = [unit_score(x) for x in page.object_list]
    r = Results(key, year, scheme, row, units, {}, indicator_groups(scheme))
    labels = {x.unit: x.labels for x in page.object_list}
    rows = [(u, r.group_points(u), labels.get(u.name, [])) for u in units]
    return render(
        request,
        "assessment/results.html",
        {
            "r": r,
            "rows": rows,
            "page": page,
            "q": q,
            "count": row.scored_units if row else 0,
            "can_manage": request.user.can(Cap.MANAGE_TARGETS),
            "computed": key in COMPUTED,
            "moves": [
                (to, label)
                for (frm, to), label in services.TRANSITIONS.items()
                if frm == (r.row.state if r.row else "open")
            ],
            "can_export": request.user.can(Cap.EXPORT_LEDGER),
            "rescore_minutes": RESCORE_MINUTES,
        },
    )


class PointsForm(BootstrapFormMixin, forms.Form):
    """The maximum points of each indicator of a year's scheme."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, scheme, version: int, **kwargs):
        kwargs.setdefault(
            "initial", {"version": version, **{i.key: i.max_points for i in scheme.indicators}}
        )
        super().__init__(*args, **kwargs)
        for i in scheme.indicators:
            self.fields[i.key] = forms.DecimalField(
                label=f"{i.group}·{i.name}{'（加分项）' if i.bonus else ''}", max_digits=5,
                decimal_places=2, min_value=Decimal("0.01"), max_value=100,
            )  # fmt: skip

    def points(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


@web_view
def scheme_page(request, key: str, year: int):
    """The year's scheme: inputs, formulas, indicators and their methods; the city office
    changes the points while the year is open (other years keep theirs)."""
    user = request.user
    require_cap(user, Cap.VIEW_LEDGER)
    _year(key, year)
    row = scheme_year_find(key, year)
    scheme = scheme_of(row, key)
    form = None
    if user.can(Cap.MANAGE_TARGETS) and (row is None or row.state == "open"):
        form = PointsForm(request.POST or None, scheme=scheme, version=row.version if row else 1)
    if request.method == "POST":
        require_cap(user, Cap.MANAGE_TARGETS)
        if form is not None:
            saved = submit(request, form, lambda d: services.scheme_points_set(
                by=user, key=key, year=year, points=form.points(), version=d["version"]))  # fmt: skip
            if saved is not None:
                messages.success(request, "已保存指标分值")
                return redirect("assessment:scheme", key=key, year=year)
    return render(request, "assessment/scheme.html", {
        "scheme": scheme, "row": row, "key": key, "year": year, "form": form,
    })  # fmt: skip


def _act(request, key: str, year: int, action, done) -> HttpResponse:
    """A city-office action on the year from the results page: its outcome, or the
    service's reason it was refused, shown there."""
    require_cap(request.user, Cap.MANAGE_TARGETS)
    _year(key, year)
    try:
        outcome = action()
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done(outcome))
    return redirect("assessment:results", key=key, year=year)


class EntryForm(BootstrapFormMixin, forms.Form):
    """One unit's inputs, as text: read by the import's own cell readers (io.entry_set)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(self, *args, scheme, inputs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"] = forms.CharField(label=scheme.unit_label, max_length=100)
        if scheme.peer_group:
            self.fields["group"] = forms.CharField(label="组别", max_length=30)
        for i in inputs:
            self.fields[i.key] = forms.CharField(label=i.name, required=False, max_length=200)


def _entry_initial(scheme, inputs, entry) -> dict:
    if entry is None:
        return {"version": 0}
    out = {"version": entry.version, "unit": entry.unit, "group": entry.group}
    for i in inputs:
        raw = entry.values.get(i.key)
        if raw not in (None, ""):
            out[i.key] = ("是" if Decimal(raw) else "否") if i.kind == "yesno" else raw
    return out


@web_view
def entry(request, key: str, year: int):
    """Enter one unit's inputs on a page (?unit= an existing one); the user's own columns."""
    user = request.user
    require_cap(user, Cap.ENTER_ASSESSMENT)
    _year(key, year)
    row = scheme_year_find(key, year)
    scheme = scheme_of(row, key)
    if key in COMPUTED:
        raise NotFound("该考核方案的数据由系统从台账计算")
    inputs = io.inputs_of(scheme, user)
    found = entry_find(row, request.GET.get("unit", ""))
    form = EntryForm(request.POST or None, scheme=scheme, inputs=inputs,
                     initial=_entry_initial(scheme, inputs, found))  # fmt: skip
    saved = submit(request, form, lambda d: io.entry_set(
        by=user, key=key, year=year, unit=d["unit"], group=d.get("group", ""),
        raw={i.key: d.get(i.key, "") for i in inputs}, version=d.get("version") or 0))  # fmt: skip
    if saved is not None:
        messages.success(request, f"已保存{saved.unit}的数据")
        if user.can(Cap.VIEW_LEDGER):
            return redirect("assessment:results", key=key, year=year)
        return redirect("assessment:import", key=key, year=year)
    return render(request, "assessment/entry.html", {
        "form": form, "scheme": scheme, "key": key, "year": year,
        "reads": user.can(Cap.VIEW_LEDGER),
    })  # fmt: skip


@require_POST
@web_view
def compute(request, key: str, year: int):
    """Fill the zones' inputs from the ledger."""
    return _act(
        request, key, year,
        lambda: services.inputs_compute(by=request.user, key=key, year=year),
        lambda n: f"已从台账计算{n}个单位的考核数据",
    )  # fmt: skip


@require_POST
@web_view
def state(request, key: str, year: int):
    """Close, lock or reopen the year."""
    version = request.POST.get("version", "")
    return _act(
        request, key, year,
        lambda: services.scheme_year_state_set(
            by=request.user, key=key, year=year, state=request.POST.get("state", ""),
            version=int(version) if version.isdigit() else -1,
            reason=request.POST.get("reason", "")[:200],
        ),
        lambda row: f"{row}现为“{row.get_state_display()}”",
    )  # fmt: skip


@require_GET
@web_view
def template(request, key: str, year: int):
    _year(key, year)
    document = io.template(by=request.user, key=key, year=year)
    return attachment(document.data, document.filename)


@web_view
def import_page(request, key: str, year: int):
    """A year's inputs from a workbook: checked here for size, read in a job."""
    user = request.user
    require_cap(user, Cap.ENTER_ASSESSMENT)
    _year(key, year)
    scheme = scheme_of(scheme_year_find(key, year), key)
    columns = io.inputs_of(scheme, user)  # an assessor: only theirs (403 for none)
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = jobs.job_start(
            user=user,
            kind=IMPORT,
            filename=PurePath(upload.name or "考核数据.xlsx").name,
            source=upload.read(),
            params={"scheme": key, "year": year},
        )
        return redirect("core:job", pk=job.pk)
    return render(
        request,
        "assessment/import.html",
        {"form": form, "scheme": scheme, "key": key, "year": year, "columns": columns,
         "reads": user.can(Cap.VIEW_LEDGER)},
    )  # fmt: skip


@require_GET
@web_view
def results_xlsx(request, key: str, year: int):
    require_cap(request.user, Cap.EXPORT_LEDGER)
    _year(key, year)
    document = io.results_xlsx(by=request.user, key=key, year=year)
    return attachment(document.data, document.filename)


@require_GET
@web_view
def classes_xlsx(request, key: str, year: int):
    require_cap(request.user, Cap.EXPORT_LEDGER)
    _year(key, year)
    try:
        document = io.classes_xlsx(by=request.user, key=key, year=year)
    except ValidationFailed as exc:
        raise NotFound(exc.message) from None
    return attachment(document.data, document.filename)


@require_GET
@web_view
def results_docx(request, key: str, year: int):
    require_cap(request.user, Cap.EXPORT_LEDGER)
    _year(key, year)
    document = io.results_docx(by=request.user, key=key, year=year)
    return attachment(document.data, document.filename)
