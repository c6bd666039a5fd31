"""The 政银企 forms. Forms parse; the services decide."""

from __future__ import annotations

from django import forms

from sanpi.core.web import BootstrapFormMixin, DateInput
from sanpi.regions.models import Enterprise

from .models import Bank

MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0.01}


def _amount(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **MONEY,
        error_messages={"min_value": "金额须大于0"},
    )  # fmt: skip


class BankForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label="机构名称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=30, required=False)


class MeetingForm(BootstrapFormMixin, forms.Form):
    date = forms.DateField(label="会议日期", widget=DateInput())
    title = forms.CharField(label="会议名称", max_length=100)
    place = forms.CharField(label="地点", max_length=100, required=False)
    banks = forms.ModelMultipleChoiceField(
        label="参会银行", queryset=Bank.objects.all(), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请选择参会银行"},
    )  # fmt: skip
    enterprises = forms.CharField(
        label="参会企业", required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一个企业名称（与企业库中的名称一致）",
    )  # fmt: skip

    def clean_enterprises(self) -> list[Enterprise]:
        names = [n.strip() for n in self.cleaned_data["enterprises"].splitlines() if n.strip()]
        if len(names) > 500:
            raise forms.ValidationError("一次最多填写500个企业")
        found = {e.name: e for e in Enterprise.objects.filter(name__in=names)}
        missing = [n for n in names if n not in found]
        if missing:
            raise forms.ValidationError(f"企业库中没有：{'、'.join(missing[:10])}")
        return list(dict.fromkeys(found[n] for n in names))


class SigningForm(BootstrapFormMixin, forms.Form):
    bank = forms.ModelChoiceField(label="银行", queryset=Bank.objects.none())
    project = forms.TypedChoiceField(label="项目", coerce=int)
    amount_wan = _amount("意向金额(万元)")

    def __init__(self, *args, banks, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks
        self.fields["project"].choices = [("", "请选择项目"), *((p.pk, str(p)) for p in projects)]


class NeedForm(BootstrapFormMixin, forms.Form):
    amount_wan = _amount("融资需求(万元)")
    purpose = forms.CharField(label="用途", max_length=200)
    term_months = forms.IntegerField(label="期限(月)", min_value=1, max_value=600)
    recorded_on = forms.DateField(label="提出日期", widget=DateInput())


class _LendingForm(BootstrapFormMixin, forms.Form):
    bank = forms.ModelChoiceField(label="银行", queryset=Bank.objects.none())

    def __init__(self, *args, banks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank"].queryset = banks
        if len(banks) == 1:  # a bank's officer: their own bank, already chosen
            self.fields["bank"].initial = banks[0].pk
            self.fields["bank"].empty_label = None


class CreditForm(_LendingForm):
    amount_wan = _amount("授信金额(万元)")
    granted_on = forms.DateField(label="授信日期", widget=DateInput())


class LoanForm(_LendingForm):
    amount_wan = _amount("放贷金额(万元)")
    disbursed_on = forms.DateField(label="放贷日期", widget=DateInput())


class ReportForm(BootstrapFormMixin, forms.Form):
    date_from = forms.DateField(label="开始日期", widget=DateInput())
    date_to = forms.DateField(label="结束日期", widget=DateInput())
