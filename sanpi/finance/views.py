"""政银企对接 pages: meetings and their signings, a project's finance (needs, credit,
loans), the loans report with its sentence, the projects still unfunded, the banks."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from sanpi.accounts.roles import Cap
from sanpi.core.errors import ValidationFailed
from sanpi.core.web import PAGE_SIZE, attachment, require_cap, submit, web_view

from . import io, selectors, services
from .forms import BankForm, CreditForm, LoanForm, MeetingForm, NeedForm, ReportForm, SigningForm

UNFUNDED_SHOWN = 50


def _year_start() -> dt.date:
    return timezone.localdate().replace(month=1, day=1)


@require_GET
@web_view
def index(request):
    user = request.user
    require_cap(user, Cap.VIEW_FINANCE)
    today = timezone.localdate()
    page = Paginator(selectors.meeting_list(user=user), PAGE_SIZE).get_page(request.GET.get("page"))
    unfunded = selectors.unfunded(user=user)
    return render(request, "finance/index.html", {
        "page": page,
        # The sentence names the user's place: 全市, their county, zone or bank.
        "sentence": selectors.loan_report(
            user=user, date_from=_year_start(), date_to=today
        ).sentence(user.scope_label),
        "unfunded": unfunded[:UNFUNDED_SHOWN],
        "unfunded_count": unfunded.count(),
        "can_record": user.can(services.RECORD),
    })  # fmt: skip


@web_view
def meeting_new(request):
    user = request.user
    require_cap(user, services.RECORD)
    form = MeetingForm(request.POST or None)
    meeting = submit(request, form, lambda d: services.meeting_create(by=user, **d))
    if meeting is not None:
        messages.success(request, f"已创建{meeting}")
        return redirect("finance:meeting", pk=meeting.pk)
    return render(request, "finance/form.html", {"form": form, "title": "新建政银企对接会"})


@web_view
def meeting_detail(request, pk: int):
    user = request.user
    meeting = selectors.meeting_get(user=user, pk=pk)
    if request.method == "POST":
        require_cap(user, services.RECORD)
    # The projects a bank may sign with here: those of the attending enterprises.
    projects = (
        selectors.project_list(user=user)
        .filter(enterprise__in=meeting.enterprises.all())
        .order_by("name")
    )
    form = None
    if user.can(services.RECORD):
        form = SigningForm(request.POST or None, banks=meeting.banks.all(), projects=projects[:500])

        def sign(d):
            project = selectors.project_get(user=user, pk=d["project"])
            return services.signing_add(by=user, meeting=meeting, bank=d["bank"], project=project,
                                        amount_wan=d["amount_wan"])  # fmt: skip

        if submit(request, form, sign) is not None:
            messages.success(request, "已登记签约")
            return redirect("finance:meeting", pk=meeting.pk)
    unfunded = selectors.unfunded(user=user, on=meeting.date)
    return render(request, "finance/meeting.html", {
        "meeting": meeting,
        "signings": selectors.signings(user=user, meeting=meeting),
        "form": form,
        "unfunded": unfunded[:UNFUNDED_SHOWN],
        "unfunded_count": unfunded.count(),
    })  # fmt: skip


@web_view
def project_finance(request, pk: int):
    user = request.user
    project = selectors.project_get(user=user, pk=pk)
    forms = {}
    if user.can(Cap.CHANGE_LEDGER):
        forms["need"] = NeedForm(request.POST if request.POST.get("form") == "need" else None,
                                 prefix="need")  # fmt: skip
    if user.can(services.LENDING):
        banks = selectors.lending_banks(user=user)
        for key, cls in (("credit", CreditForm), ("loan", LoanForm)):
            data = request.POST if request.POST.get("form") == key else None
            forms[key] = cls(data, prefix=key, banks=banks)
    actions = {
        "need": lambda d: services.need_add(by=user, project=project, **d),
        "credit": lambda d: services.credit_add(by=user, project=project, **d),
        "loan": lambda d: services.loan_add(by=user, project=project, **d),
    }
    posted = request.POST.get("form", "")
    if request.method == "POST":
        require_cap(user, Cap.CHANGE_LEDGER if posted == "need" else services.LENDING)
        if posted in forms and submit(request, forms[posted], actions[posted]) is not None:
            messages.success(request, "已保存")
            return redirect("finance:project", pk=project.pk)
    return render(request, "finance/project.html", {
        "project": project,
        "finance": selectors.project_finance(user=user, project=project),
        "forms": forms,
        "ledger": user.can(Cap.VIEW_LEDGER),  # a bank's officer has no project page
    })  # fmt: skip


@web_view
def report(request):
    user = request.user
    require_cap(user, Cap.VIEW_FINANCE)
    initial = {"date_from": _year_start(), "date_to": timezone.localdate()}
    form = ReportForm(request.GET or None, initial=initial)
    if form.is_bound and form.is_valid():
        date_from, date_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    else:
        date_from, date_to = initial["date_from"], initial["date_to"]
    result = None
    try:
        result = selectors.loan_report(user=user, date_from=date_from, date_to=date_to)
    except ValidationFailed as exc:  # the period the user typed
        form.add_error("date_to", exc.message)
    if result is not None and request.GET.get("format") == "xlsx":
        require_cap(user, Cap.EXPORT_LEDGER)
        document = io.report_xlsx(by=user, report=result, place=user.scope_label)
        return attachment(document.data, document.filename)
    return render(request, "finance/report.html", {
        "form": form, "report": result,
        "sentence": result.sentence(user.scope_label) if result else "",
    })  # fmt: skip


@web_view
def banks(request):
    user = request.user
    require_cap(user, Cap.VIEW_FINANCE)
    form = BankForm(request.POST or None) if user.can(services.RECORD) else None
    if request.method == "POST":
        require_cap(user, services.RECORD)
        if submit(request, form, lambda d: services.bank_create(by=user, **d)) is not None:
            messages.success(request, "已登记")
            return redirect("finance:banks")
    return render(request, "finance/banks.html", {"banks": selectors.bank_list(), "form": form})
