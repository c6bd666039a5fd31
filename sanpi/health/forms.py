"""Forms for health: parsing and widgets only (the rules live in rules.py and services.py)."""

from __future__ import annotations

import datetime as dt
import re

from django import forms

from sanpi.accounts.roles import pinned_dimensions
from sanpi.core.web import BootstrapFormMixin
from sanpi.projects.models import Health
from sanpi.regions.forms import county_choices
from sanpi.regions.selectors import zone_list

from .models import HealthSettings
from .rules import LIMITS


def _bounded(name: str) -> forms.IntegerField:
    low, high, label = LIMITS[name]
    return forms.IntegerField(
        label=label,
        help_text=HealthSettings._meta.get_field(name).help_text,
        min_value=low,
        max_value=high,
        error_messages={
            "required": f"请填写{label}",
            "invalid": f"{label}应为整数",
            "min_value": f"{label}应为{low}至{high}之间的整数",
            "max_value": f"{label}应为{low}至{high}之间的整数",
        },
    )


class MonthInput(forms.TextInput):
    input_type = "month"


class RulesForm(BootstrapFormMixin, forms.Form):
    signed_days = _bounded("signed_days")
    stall_months = _bounded("stall_months")
    behind_percent = _bounded("behind_percent")
    long_stall_months = _bounded("long_stall_months")
    counting_from = forms.CharField(
        label="起算月份",
        required=False,
        max_length=7,
        widget=MonthInput(),
        help_text="全市开始按月报送的月份（如 2026-01）：此前的月份不算“无投资”，"
        "此前开工的项目不按直线进度判断；留空则从各项目开工起算",
    )

    def __init__(self, *args, settings_row=None, **kwargs):
        if settings_row is not None and "initial" not in kwargs:
            since = settings_row.counting_from
            kwargs["initial"] = {
                "signed_days": settings_row.signed_days,
                "stall_months": settings_row.stall_months,
                "behind_percent": settings_row.behind_percent,
                "long_stall_months": settings_row.long_stall_months,
                "counting_from": f"{since:%Y-%m}" if since else "",
            }
        super().__init__(*args, **kwargs)

    def clean_counting_from(self) -> dt.date | None:
        text = self.cleaned_data["counting_from"].strip()
        if not text:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", text)
        if not match or not 1 <= int(match[2]) <= 12 or not 2000 <= int(match[1]) <= 2100:
            raise forms.ValidationError("起算月份应写成 年-月，如 2026-01")
        return dt.date(int(match[1]), int(match[2]), 1)


class OverrideForm(BootstrapFormMixin, forms.Form):
    health = forms.ChoiceField(
        label="推进状态",
        choices=Health.choices,
        error_messages={"required": "请选择推进状态", "invalid_choice": "请选择推进状态"},
    )
    reason = forms.CharField(
        label="理由",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": "请写明人工认定的理由（如：已复工，资金到位）",
            "max_length": "理由最多300字",
        },
        help_text="人工认定一直有效，直到项目情况变化（审核通过新的月报、阶段或日期、总投资变动）",
    )


class ListFilterForm(BootstrapFormMixin, forms.Form):
    """The lists' filters (selectors.ListFilter parses them; this form only draws them)."""

    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    q = forms.CharField(label="关键词", required=False)
    soon = forms.ChoiceField(
        label="计划竣工",
        required=False,
        choices=[("", "不限"), ("1", "年内计划竣工")],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = "项目名称或企业"
        for name in pinned_dimensions(user.scope_dimension) & self.fields.keys():
            del self.fields[name]
        if "county" in self.fields:
            self.fields["county"].choices = [
                ("", "全部县(市、区)"),
                *((c.code, c.name) for c in county_choices(user=user)),
            ]
        if "zone" in self.fields:
            self.fields["zone"].choices = [
                ("", "全部开发区"),
                *((str(z.pk), z.name) for z in zone_list(user=user).order_by("name")),
            ]
