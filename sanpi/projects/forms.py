"""Forms for projects and activities: parsing and widgets only (rules live in services)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from sanpi.accounts.roles import pinned_dimensions
from sanpi.core.web import BootstrapFormMixin, DateInput
from sanpi.regions.forms import ParseOnlyModelForm, county_choices
from sanpi.regions.selectors import enterprise_list, zone_list

from .models import (
    Activity,
    Health,
    Industry,
    Project,
    SignMode,
    StageChoices,
)
from .rules import ACTION_LABELS, ACTION_STAGE, STAGE_ORDER, Action, Stage, stage_index
from .selectors import ProjectFilter, activity_list, project_list
from .services import DATE_FIELDS, PROJECT_FIELDS

DATE_WIDGETS = {name: DateInput() for name in (*DATE_FIELDS, "planned_completion_date")}


class ProjectFilterForm(BootstrapFormMixin, forms.Form):
    """The list filters (ProjectFilter parses them; this form only draws them)."""

    q = forms.CharField(label="关键词", required=False)
    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    stage = forms.ChoiceField(
        label="阶段", required=False, choices=[("", "全部阶段"), *StageChoices.choices]
    )
    health = forms.ChoiceField(
        label="推进状态", required=False, choices=[("", "全部状态"), *Health.choices]
    )
    industry = forms.ChoiceField(
        label="产业类别", required=False, choices=[("", "全部产业"), *Industry.choices]
    )
    key = forms.ChoiceField(
        label="重点项目",
        required=False,
        choices=[("", "不限"), ("province", "省重点"), ("city", "市重点")],
    )
    activity = forms.ChoiceField(label="三个一批活动", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = "项目名称、代码或企业"
        # Filters by what the user's scope already fixes mean nothing to them.
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
        self.fields["activity"].choices = [
            ("", "全部活动"),
            *((str(a.pk), a.name) for a in activity_list(user=user)),
        ]


VERSION_HELP = "表单打开时项目的版本：他人在此期间保存过，本次保存被拒绝"


def version_field() -> forms.IntegerField:
    """The version of the record the form was opened on (see projects.services._lock)."""
    return forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, help_text=VERSION_HELP
    )


class ProjectForm(ParseOnlyModelForm):
    """Create or edit a project. On edit, only the dates of stages reached are offered."""

    version = version_field()

    stage = forms.ChoiceField(label="项目阶段", choices=StageChoices.choices, initial="reserve")
    evidence = forms.CharField(label="依据", required=False, max_length=500)
    confirm_large = forms.BooleanField(
        label="金额已核对",
        required=False,
        help_text="总投资超过500亿元、年产值超过1000亿元的，请核对单位（万元）后勾选",
    )

    class Meta:
        model = Project
        fields = [*PROJECT_FIELDS, *DATE_FIELDS]
        widgets = DATE_WIDGETS

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprise_list(user=user).order_by("name")
        self.fields["county"].queryset = county_choices(user=user)
        self.fields["zone"].queryset = zone_list(user=user)
        self.fields[
            "code"
        ].help_text = "全国投资项目在线审批监管平台代码，24位，如 2104-141100-89-01-123456"
        self.fields["evidence"].help_text = "登记阶段的依据，如签约协议、开工报告"
        self.fields["zone"].empty_label = "（不在开发区内）"
        if getattr(user, "scope_dimension", None) == "zone":
            # A zone officer's projects are in their zone: offer only what is accepted.
            self.fields["zone"].required = True
            self.fields["zone"].empty_label = None
            self.fields["zone"].initial = user.zone_id
            if not self.instance.pk and user.zone_id:
                self.fields["county"].initial = user.zone.county_id
        self.fields["investment_source"].label = "招商引资"
        # The planned completion date after the stage dates it follows.
        first = [f for f in PROJECT_FIELDS if f != "planned_completion_date"]
        self.order_fields(
            [*first, "stage", *DATE_FIELDS, "planned_completion_date", "evidence", "confirm_large"]
        )
        planned = self.fields["planned_completion_date"]
        planned.help_text = "建设完成的计划日期；推进状态按开工至此日的直线进度判断投资是否落后"
        if self.instance.pk:
            self.fields["version"].initial = self.instance.version
            del self.fields["stage"]
            del self.fields["evidence"]
            reached = stage_index(self.instance.stage)
            for stage, field in zip(STAGE_ORDER[1:], DATE_FIELDS, strict=True):
                if stage_index(stage) > reached:
                    del self.fields[field]
        else:
            del self.fields["version"]


class AdvanceForm(BootstrapFormMixin, forms.Form):
    to_stage = forms.ChoiceField(choices=StageChoices.choices, widget=forms.HiddenInput)
    date = forms.DateField(label="日期", widget=DateInput())
    evidence = forms.CharField(
        label="依据", required=False, max_length=500, widget=forms.TextInput()
    )
    version = version_field()

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = project.version
        target = next_stage(project)
        if target is not None:
            self.fields["to_stage"].initial = target.value
            self.fields["date"].label = f"{StageChoices(target.value).label}日期"
        self.fields["evidence"].widget.attrs["placeholder"] = "如：开工报告、投产批复"


def next_stage(project: Project) -> Stage | None:
    index = stage_index(project.stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


class HealthForm(BootstrapFormMixin, forms.Form):
    health = forms.ChoiceField(label="推进状态", choices=Health.choices)
    date = forms.DateField(label="日期", widget=DateInput())
    evidence = forms.CharField(label="依据", required=False, max_length=500)
    version = version_field()

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["health"].initial = project.health
        self.fields["version"].initial = project.version


class ActivityForm(ParseOnlyModelForm):
    confirm_move = forms.BooleanField(
        label="同时改动项目的阶段日期",
        required=False,
        help_text="改动日期时，归属本次活动的项目的签约、开工、投产日期随之改动",
    )

    class Meta:
        model = Activity
        fields = [
            "year",
            "sequence",
            "date",
            "level",
            "venue",
            "province_signed",
            "province_started",
            "province_produced",
        ]
        widgets = {"date": DateInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["confirm_move"]
        for name in ("province_signed", "province_started", "province_produced"):
            self.fields[name].help_text = "省里通报的全省数字（个）；填写后通报写明全市所占比例"


# The stage a project must be at to take each action in an activity.
ACTION_FROM_STAGE = {
    action: STAGE_ORDER[stage_index(stage) - 1] for action, stage in ACTION_STAGE.items()
}


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        return f"{obj.name}（{obj.county}·{obj.enterprise}）"


class ActivityAddForm(BootstrapFormMixin, forms.Form):
    """Add a project to an activity with one action; offers only projects that can take it.

    One form per action on the page, told apart by its prefix (the action's value).
    """

    project = ProjectChoiceField(label="项目", queryset=Project.objects.none())
    sign_mode = forms.ChoiceField(
        label="签约方式", choices=SignMode.choices, initial=SignMode.ONSITE
    )

    def __init__(self, *args, user, action: Action, **kwargs):
        super().__init__(*args, prefix=action.value, **kwargs)
        self.action = action
        self.label = ACTION_LABELS[action]
        from_stage = ACTION_FROM_STAGE[action]
        self.fields["project"].queryset = project_list(
            user=user, filters=ProjectFilter(stage=from_stage.value)
        )
        self.fields[
            "project"
        ].empty_label = f"选择处于“{StageChoices(from_stage.value).label}”阶段的项目"
        if action != Action.SIGN:
            del self.fields["sign_mode"]
        # Rendered: a bounded list (the first candidates and the one chosen), searched
        # further as one types (`activity_candidates`); validated against all of them.
        field = self.fields["project"]
        chosen = self.data.get(self.add_prefix("project"), "") if self.is_bound else ""
        shown = list(candidates(field.queryset, ""))
        if chosen.isdigit() and all(p.pk != int(chosen) for p in shown):
            shown += list(field.queryset.filter(pk=int(chosen)))
        field.widget.choices = [("", field.empty_label)] + [
            (p.pk, field.label_from_instance(p)) for p in shown
        ]


CANDIDATES_SHOWN = 30


def candidates(queryset, q: str):
    """The first projects of an activity picker matching what was typed (name or code)."""
    q = q.strip()[:100]
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(code__icontains=q))
    return queryset.order_by("name", "pk")[:CANDIDATES_SHOWN]


class BulkAddForm(BootstrapFormMixin, forms.Form):
    """Put the projects of a ledger selection into an activity with one action."""

    activity = forms.ModelChoiceField(label="活动", queryset=Activity.objects.none())
    action = forms.ChoiceField(label="行动", choices=[(a.value, ACTION_LABELS[a]) for a in Action])
    sign_mode = forms.ChoiceField(
        label="签约方式", choices=SignMode.choices, required=False, initial=SignMode.ONSITE
    )

    def __init__(self, *args, user, **kwargs):
        # Prefixed: the ledger's own filters (activity, stage…) travel in the same form.
        super().__init__(*args, prefix="bulk", **kwargs)
        self.fields["activity"].queryset = activity_list(user=user).order_by("-year", "-sequence")
        self.fields["activity"].empty_label = "选择活动"
