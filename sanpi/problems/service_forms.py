"""Forms of the figures, liaison and visit pages: parsing and widgets only (the rules
live in figures.py and services.py)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.accounts.roles import Role, pinned_dimensions
from sanpi.core.calendar import MAX_YEAR, MIN_YEAR
from sanpi.core.web import BootstrapFormMixin, DateInput
from sanpi.projects.models import Project
from sanpi.projects.selectors import project_list
from sanpi.regions.forms import county_choices
from sanpi.regions.selectors import zone_list

from .liaison_selectors import recent_quarters
from .models import Category, LevelChoices
from .rules import Level

MONTH_CHOICES = [("", "全年"), *((str(m), f"{m}月") for m in range(1, 13))]


class PeriodForm(BootstrapFormMixin, forms.Form):
    """Which month (or whole year) the figures are for (a GET form)."""

    year = forms.IntegerField(
        label="年份",
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        error_messages={
            "required": "请填写年份",
            "invalid": "年份应为整数，如 2026",
            "min_value": f"年份须在{MIN_YEAR}年至{MAX_YEAR}年之间",
            "max_value": f"年份须在{MIN_YEAR}年至{MAX_YEAR}年之间",
        },
    )
    month = forms.TypedChoiceField(
        label="月份",
        choices=MONTH_CHOICES,
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": "月份应为1至12月或全年"},
    )


def _project_label(p: Project) -> str:
    return f"{p.county.name} · {p.name}"


class _ProjectChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _project_label(obj)


PROJECT_ERRORS = {
    "required": "请选择项目",
    "invalid_choice": "请选择权限范围内的项目",
}


class LiaisonForm(BootstrapFormMixin, forms.Form):
    """A leader liaises for a project (the city office's form)."""

    leader = forms.ModelChoiceField(
        label="包联领导",
        queryset=User.objects.none(),
        error_messages={"required": "请选择包联领导", "invalid_choice": "请选择在用的领导账号"},
    )
    project = _ProjectChoice(
        label="项目", queryset=Project.objects.none(), error_messages=PROJECT_ERRORS
    )
    since = forms.DateField(
        label="包联起始日期",
        widget=DateInput(),
        error_messages={"required": "请填写包联起始日期", "invalid": "日期格式应为 2026-01-31"},
    )
    until = forms.DateField(
        label="包联截止日期",
        required=False,
        widget=DateInput(),
        help_text="留空为长期包联",
        error_messages={"invalid": "日期格式应为 2026-01-31"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = User.objects.filter(
            role=Role.LEADER, is_active=True
        ).order_by("full_name", "username")
        self.fields["project"].queryset = project_list(user=user).order_by("county__code", "name")


class LiaisonEndForm(BootstrapFormMixin, forms.Form):
    until = forms.DateField(
        label="包联截止日期",
        widget=DateInput(),
        error_messages={"required": "请填写包联截止日期", "invalid": "日期格式应为 2026-01-31"},
    )


class VisitFilterForm(BootstrapFormMixin, forms.Form):
    """The visit log's filters (liaison_selectors.VisitFilter parses them; this form draws
    them and says what is wrong)."""

    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    quarter = forms.ChoiceField(
        label="季度",
        required=False,
        error_messages={"invalid_choice": "季度“%(value)s”无效，请从列表中选择"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name in pinned_dimensions(user.scope_dimension) & self.fields.keys():
            del self.fields[name]
        if "county" in self.fields:
            self.fields["county"].choices = [
                ("", "全部县(市、区)"),
                *((c.code, c.name) for c in county_choices(user=user)),
            ]
            self.fields["county"].error_messages["invalid_choice"] = "请从列表中选择县(市、区)"
        if "zone" in self.fields:
            self.fields["zone"].choices = [
                ("", "全部开发区"),
                *((str(z.pk), z.name) for z in zone_list(user=user).order_by("name")),
            ]
            self.fields["zone"].error_messages["invalid_choice"] = "请从列表中选择开发区"
        self.fields["quarter"].choices = [
            ("", "全部季度"),
            *((q.key, q.label) for q in recent_quarters()),
        ]


PROBLEM_SLOTS = 3  # problems raised on one visit, at most
TEXT_MAX = 2000


class VisitForm(BootstrapFormMixin, forms.Form):
    """A visit of the service team, with up to three problems found on it."""

    project = _ProjectChoice(
        label="项目", queryset=Project.objects.none(), error_messages=PROJECT_ERRORS
    )
    date = forms.DateField(
        label="走访日期",
        widget=DateInput(),
        error_messages={"required": "请填写走访日期", "invalid": "日期格式应为 2026-01-31"},
    )
    visitors = forms.CharField(
        label="走访人员",
        max_length=200,
        error_messages={"required": "请填写走访人员", "max_length": "走访人员最多200字"},
    )
    findings = forms.CharField(
        label="发现的情况",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": f"发现的情况最多{TEXT_MAX}字"},
    )
    promises = forms.CharField(
        label="作出的承诺",
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": f"作出的承诺最多{TEXT_MAX}字"},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = project_list(user=user).order_by("county__code", "name")
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate())
        for i in range(1, PROBLEM_SLOTS + 1):
            self.fields[f"p{i}_description"] = forms.CharField(
                label=f"问题{i}：问题描述",
                required=False,
                max_length=TEXT_MAX,
                widget=forms.Textarea(attrs={"rows": 2}),
                error_messages={"max_length": f"问题描述最多{TEXT_MAX}字"},
            )
            self.fields[f"p{i}_category"] = forms.ChoiceField(
                label=f"问题{i}：问题类别",
                required=False,
                choices=[("", "请选择"), *Category.choices],
                error_messages={"invalid_choice": "请从列表中选择问题类别"},
            )
            self.fields[f"p{i}_level"] = forms.ChoiceField(
                label=f"问题{i}：解决层级",
                required=False,
                initial=Level.COUNTY.value,
                choices=LevelChoices.choices,
                error_messages={"invalid_choice": "请从列表中选择解决层级"},
            )
        # Bootstrap classes for the fields added above (the mixin styled the others).
        for name, field in self.fields.items():
            if name.startswith("p") and name[1:2].isdigit():
                widget = field.widget
                css = "form-select" if isinstance(widget, forms.Select) else "form-control"
                widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()

    def clean(self):
        data = super().clean()
        for i in range(1, PROBLEM_SLOTS + 1):
            text = (data.get(f"p{i}_description") or "").strip()
            if data.get(f"p{i}_category") and not text:
                self.add_error(f"p{i}_description", f"请填写问题{i}的问题描述，或清空其问题类别")
            elif text and not data.get(f"p{i}_category"):
                self.add_error(f"p{i}_category", f"请选择问题{i}的问题类别")
        return data

    def problems(self) -> list[dict]:
        """The problems filled in, as ``services.visit_record`` takes them."""
        out = []
        for i in range(1, PROBLEM_SLOTS + 1):
            text = (self.cleaned_data.get(f"p{i}_description") or "").strip()
            if text:
                out.append(
                    {
                        "description": text,
                        "category": self.cleaned_data[f"p{i}_category"],
                        "level": self.cleaned_data.get(f"p{i}_level") or Level.COUNTY.value,
                    }
                )
        return out

    def slots(self) -> list[list[forms.BoundField]]:
        """The problem fields, three per slot, for the template."""
        return [
            [self[f"p{i}_{k}"] for k in ("description", "category", "level")]
            for i in range(1, PROBLEM_SLOTS + 1)
        ]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in ("project", "date", "visitors", "findings", "promises")]

    def slot_of(self, index: int) -> int:
        """The form's slot (1-based) of the ``index``-th problem passed to the service."""
        filled = [
            i
            for i in range(1, PROBLEM_SLOTS + 1)
            if (self.cleaned_data.get(f"p{i}_description") or "").strip()
        ]
        return filled[index] if index < len(filled) else 1
