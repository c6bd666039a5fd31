"""The audit log page: every write and security event, for the audit administrator."""

from __future__ import annotations

from django import forms
from django.shortcuts import render

from .models import AuditLog
from .selectors import audit_log_list
from .web import (
    BootstrapFormMixin,
    DateInput,
    describe_audit,
    object_type_choices,
    paginate,
    web_view,
)


class AuditFilterForm(BootstrapFormMixin, forms.Form):
    username = forms.CharField(label="用户", required=False)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部操作"), *AuditLog.Action.choices]
    )
    object_type = forms.ChoiceField(label="对象类型", required=False)
    object_id = forms.CharField(label="对象编号", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput())
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["object_type"].choices = [("", "全部对象"), *object_type_choices()]


@web_view
def audit_log(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    rows = audit_log_list(user=request.user, **{k: v for k, v in filters.items() if v})
    page = paginate(request, rows)
    return render(
        request,
        "core/audit_log.html",
        {"form": form, "page": page, "rows": describe_audit(page.object_list)},
    )
