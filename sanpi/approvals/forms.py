"""Forms for approvals: parsing and widgets only (rules live in the services)."""

from __future__ import annotations

from django import forms

from sanpi.accounts.models import User
from sanpi.accounts.roles import Role
from sanpi.core.web import BootstrapFormMixin, DateInput
from sanpi.regions.forms import ParseOnlyModelForm, county_choices
from sanpi.regions.models import County, Department, DevelopmentZone

from .models import (
    AgencyService,
    BuildingUseChoices,
    CatalogueItem,
    CatalogueMaterial,
    Commitment,
    OutcomeChoices,
    ProjectApproval,
    StageChoices,
)
from .rules import CLOCK_LABELS, Building
from .selectors import approval_project_list, department_list, track_list

STATE_CHOICES = [("", "全部状态"), ("open", "已受理未办结"), *CLOCK_LABELS.items()]


def _counties(user):
    if user.sees_all or not user.can("view_ledger"):
        return County.objects.order_by("code")  # reference data (GB/T 2260)
    return county_choices(user=user)


def _zones(user):
    """Zones of the projects the user reaches through approvals."""
    zones = DevelopmentZone.objects.order_by("name")
    if user.sees_all:
        return zones
    return zones.filter(pk__in=approval_project_list(user=user).values("zone_id"))


class ItemFilterForm(BootstrapFormMixin, forms.Form):
    """The item list's filters (selectors.ItemFilter parses them; this form draws them)."""

    q = forms.CharField(label="关键词", required=False)
    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    department = forms.ChoiceField(label="办理部门", required=False)
    track = forms.ChoiceField(label="事项清单", required=False)
    stage = forms.ChoiceField(
        label="阶段", required=False, choices=[("", "全部阶段"), *StageChoices.choices]
    )
    state = forms.ChoiceField(label="状态", required=False, choices=STATE_CHOICES)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = "项目、事项或企业"
        self.fields["county"].choices = [
            ("", "全部县(市、区)"),
            *((c.code, c.name) for c in _counties(user)),
        ]
        self.fields["zone"].choices = [
            ("", "全部开发区"),
            *((str(z.pk), z.name) for z in _zones(user)),
        ]
        self.fields["department"].choices = [
            ("", "全部部门"),
            *((str(d.pk), d.name) for d in department_list(user=user)),
        ]
        self.fields["track"].choices = [
            ("", "全部清单"),
            *((str(t.pk), t.name) for t in track_list(user=user)),
        ]


class CatalogueItemChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CatalogueItem) -> str:
        return f"{obj.track.name} · {obj.sequence}. {obj.name}（{obj.get_stage_display()}）"


class AddItemsForm(BootstrapFormMixin, forms.Form):
    """Put a whole list, or chosen items, on a project; the building facts for low-risk."""

    track = forms.ModelChoiceField(
        label="整份清单", queryset=None, required=False, empty_label="（不整份添加）"
    )
    catalogue_items = CatalogueItemChoice(
        label="或逐项选择", queryset=None, required=False, widget=forms.SelectMultiple
    )
    above_ground_m2 = forms.DecimalField(
        label="地上建筑面积(平方米)", required=False, min_value=0, decimal_places=2
    )
    height_m = forms.DecimalField(
        label="建筑高度(米)", required=False, min_value=0, decimal_places=2
    )
    underground_floors = forms.IntegerField(label="地下层数", required=False, min_value=0)
    underground_m2 = forms.DecimalField(
        label="地下建筑面积(平方米)", required=False, min_value=0, decimal_places=2
    )
    use = forms.ChoiceField(
        label="建筑用途", required=False, choices=[("", "—"), *BuildingUseChoices.choices]
    )
    single_use = forms.BooleanField(label="功能单一", required=False, initial=True)
    public_funds = forms.BooleanField(label="直接使用公共财政投资", required=False)

    BUILDING_FIELDS = (
        "above_ground_m2",
        "height_m",
        "underground_floors",
        "underground_m2",
        "use",
        "single_use",
        "public_funds",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["track"].queryset = track_list(user=user)
        self.fields["catalogue_items"].queryset = CatalogueItem.objects.select_related(
            "track"
        ).order_by("track", "sequence")
        self.fields["catalogue_items"].widget.attrs["size"] = 8
        self.fields["above_ground_m2"].help_text = "添加简易低风险事项时填写建筑情况"

    def clean(self):
        data = super().clean()
        if not data.get("track") and not data.get("catalogue_items"):
            raise forms.ValidationError("请选择一份清单或若干事项")
        return data

    def items(self) -> list[CatalogueItem]:
        data = self.cleaned_data
        chosen = list(data.get("catalogue_items") or [])
        if data.get("track"):
            chosen = list(data["track"].items.order_by("sequence")) + chosen
        return chosen

    def building(self) -> Building | None:
        data = self.cleaned_data
        if data.get("above_ground_m2") is None:
            return None
        missing = [self.fields[n].label for n in ("height_m", "use") if data.get(n) in (None, "")]
        if missing:
            self.add_error(None, "请填写完整建筑情况：" + "、".join(missing))
            return None
        return Building(
            above_ground_m2=data["above_ground_m2"],
            height_m=data["height_m"],
            underground_floors=data.get("underground_floors") or 0,
            underground_m2=data.get("underground_m2") or 0,
            use=data["use"],
            single_use=bool(data.get("single_use")),
            public_funds=bool(data.get("public_funds")),
        )


class AgentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj}（{obj.username}）"


def agent_queryset():
    return User.objects.filter(role=Role.AGENT, is_active=True).order_by("full_name", "username")


class ItemPlanForm(ParseOnlyModelForm):
    agent = AgentChoice(label="代办员", queryset=None, required=False, empty_label="（无）")

    class Meta:
        model = ProjectApproval
        fields = ["applied_on", "department", "handler", "agent", "committed_days", "notes"]
        widgets = {"applied_on": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        item = self.instance
        self.fields["department"].queryset = department_list(user=user).filter(
            kind=item.catalogue_item.department_kind
        )
        self.fields["department"].empty_label = "（未指定）"
        self.fields["agent"].queryset = agent_queryset()
        self.fields[
            "committed_days"
        ].help_text = f"法定时限{item.statutory_days}个工作日；受理后不能再修改"


class AcceptForm(BootstrapFormMixin, forms.Form):
    accepted_on = forms.DateField(label="受理日期", widget=DateInput())
    applied_on = forms.DateField(label="申请日期", widget=DateInput(), required=False)
    handler = forms.CharField(label="经办人", max_length=30, required=False)

    def __init__(self, *args, item: ProjectApproval, **kwargs):
        super().__init__(*args, **kwargs)
        if item.applied_on:
            del self.fields["applied_on"]
        self.fields["handler"].initial = item.handler


class DecideForm(BootstrapFormMixin, forms.Form):
    decided_on = forms.DateField(label="办结日期", widget=DateInput())
    outcome = forms.ChoiceField(
        label="办理结果", choices=[c for c in OutcomeChoices.choices if c[0] != "pending"]
    )
    handler = forms.CharField(label="经办人", max_length=30, required=False)
    notes = forms.CharField(label="备注", max_length=300, required=False)

    def __init__(self, *args, item: ProjectApproval, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].initial = item.handler


class AgencyStepForm(BootstrapFormMixin, forms.Form):
    step = forms.ChoiceField(label="环节", choices=[])
    date = forms.DateField(label="日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=500, required=False)
    extent = forms.ChoiceField(
        label="代办范围", required=False, choices=[("", "—"), *AgencyService.Extent.choices]
    )
    agent = AgentChoice(label="代办员", queryset=None, required=False, empty_label="—")
    county_lead = forms.CharField(label="县级领办人", max_length=50, required=False)
    zone_lead = forms.CharField(label="开发区领办人", max_length=50, required=False)
    items = forms.ModelMultipleChoiceField(
        label="委托代办的事项（部分代办）", queryset=None, required=False
    )
    satisfaction = forms.ChoiceField(
        label="满意度", required=False, choices=[("", "—"), *AgencyService.Satisfaction.choices]
    )
    comment = forms.CharField(label="评价意见", max_length=500, required=False)

    def __init__(self, *args, steps, project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["step"].choices = steps
        self.fields["agent"].queryset = agent_queryset()
        self.fields["items"].queryset = ProjectApproval.objects.filter(
            project_id=project.pk
        ).select_related("catalogue_item")
        self.fields["items"].label_from_instance = lambda i: i.catalogue_item.name
        wanted = {value for value, _ in steps}
        if "commission" not in wanted:
            for name in ("extent", "agent", "county_lead", "zone_lead", "items"):
                del self.fields[name]
        if "evaluate" not in wanted:
            del self.fields["satisfaction"]
            del self.fields["comment"]


class CommitmentForm(BootstrapFormMixin, forms.Form):
    content = forms.CharField(label="承诺内容", max_length=300)
    due_on = forms.DateField(label="承诺期限", widget=DateInput())


class FulfilForm(BootstrapFormMixin, forms.Form):
    fulfilled_on = forms.DateField(label="履行日期", widget=DateInput())


class CommitmentFilterForm(BootstrapFormMixin, forms.Form):
    county = forms.ChoiceField(label="县(市、区)", required=False)
    status = forms.ChoiceField(
        label="履行情况", required=False, choices=[("", "全部"), *Commitment.Status.choices]
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [
            ("", "全部县(市、区)"),
            *((c.code, c.name) for c in _counties(user)),
        ]


class CatalogueItemForm(ParseOnlyModelForm):
    class Meta:
        model = CatalogueItem
        fields = [
            "sequence",
            "name",
            "stage",
            "department_kind",
            "statutory_days",
            "committed_days",
            "basis",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sequence"].required = False
        for name in ("statutory_days", "committed_days"):
            # A limit of 0 or less is refused by the service with its own message.
            self.fields[name].min_value = None
            self.fields[name].validators = []


class MaterialForm(ParseOnlyModelForm):
    class Meta:
        model = CatalogueMaterial
        fields = ["name", "copies", "form", "notes"]

    def __init__(self, *args, **kwargs):
        # Shown under the item's own form, which also has a "name": ids of their own.
        kwargs.setdefault("auto_id", "id_material_%s")
        super().__init__(*args, **kwargs)


class DepartmentForm(ParseOnlyModelForm):
    class Meta:
        model = Department
        fields = ["name", "kind", "level", "county", "zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.order_by("code")
        self.fields["zone"].queryset = DevelopmentZone.objects.order_by("name")


class ReportForm(BootstrapFormMixin, forms.Form):
    start = forms.DateField(label="起始日期", widget=DateInput())
    end = forms.DateField(label="截止日期", widget=DateInput())
    county = forms.ChoiceField(label="县(市、区)", required=False)
    zone = forms.ChoiceField(label="开发区", required=False)
    department = forms.ChoiceField(label="办理部门", required=False)
    track = forms.ChoiceField(label="事项清单", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        filters = ItemFilterForm(user=user)
        for name in ("county", "zone", "department", "track"):
            self.fields[name].choices = filters.fields[name].choices

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "截止日期早于起始日期")
        return data
