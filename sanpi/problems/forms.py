"""Problem forms: raising one (phone-friendly), one form per move of the loop, the SLA
policies. Forms parse; the services decide (their Chinese refusals come back next to the
fields named alike: unit, leader, person, solution, deadline, text, files)."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from sanpi.accounts.models import User
from sanpi.accounts.roles import Role
from sanpi.core.web import BootstrapFormMixin, DateInput
from sanpi.projects.selectors import project_list
from sanpi.regions.forms import ParseOnlyModelForm
from sanpi.regions.models import County, Department, DevelopmentZone

from .attachments import FILES_PER_NOTE
from .models import Category, LevelChoices, Policy, UnitKind
from .permissions import UNIT_ROLES
from .rules import Move
from .services import POLICY_FIELDS, TEXT_MAX

PROJECTS_SHOWN = 30
STALE_FORM = "页面缺少版本信息，请刷新后重试"


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name}（{obj.enterprise.name}）"


class RaiseForm(BootstrapFormMixin, forms.Form):
    """A problem of a project in the user's scope. The project list shown is bounded (the
    first PROJECTS_SHOWN matching the search, and the one chosen); any project in scope
    is accepted."""

    project = ProjectChoiceField(
        label="项目",
        queryset=None,
        empty_label="选择项目",
        error_messages={
            "required": "请选择项目",
            "invalid_choice": "该项目不存在或不在您的权限范围内",
        },
    )
    category = forms.ChoiceField(
        label="问题类别",
        choices=[("", "选择类别"), *Category.choices],
        error_messages={
            "required": "请选择问题类别",
            "invalid_choice": "“%(value)s”不是有效的问题类别",
        },
    )
    description = forms.CharField(
        label="问题描述",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="写清需要协调解决的事项、卡在哪个环节、希望谁来协调",
        error_messages={"required": "请填写问题描述"},
    )
    level = forms.TypedChoiceField(
        label="解决层级",
        choices=LevelChoices.choices,
        initial=LevelChoices.COUNTY,
        required=False,
        empty_value=LevelChoices.COUNTY,
        help_text="一般先由县级研判交办，县级解决不了的再提级",
    )

    def __init__(self, *args, user, q: str = "", chosen: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["project"]
        field.queryset = project_list(user=user)
        if self.is_bound:
            chosen = str(self.data.get("project") or "")
        shown_qs = field.queryset
        q = q.strip()[:100]
        if q:
            shown_qs = shown_qs.filter(Q(name__icontains=q) | Q(code__icontains=q))
        shown = list(shown_qs.order_by("name", "pk")[:PROJECTS_SHOWN])
        if chosen.isdigit() and all(p.pk != int(chosen) for p in shown):
            shown += list(field.queryset.filter(pk=int(chosen)))
        self.more = len(shown) >= PROJECTS_SHOWN
        field.widget.choices = [("", field.empty_label)] + [
            (p.pk, field.label_from_instance(p)) for p in shown
        ]


# --- the moves ---------------------------------------------------------------------------


class MoveForm(BootstrapFormMixin, forms.Form):
    """What every move's form carries: the problem's version the user saw."""

    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=1,
        error_messages={"required": STALE_FORM, "invalid": STALE_FORM, "min_value": STALE_FORM},
    )

    def __init__(self, *args, move: Move, problem=None, **kwargs):
        kwargs.setdefault("auto_id", f"{move.value}_%s")
        super().__init__(*args, **kwargs)
        self.move = move

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class AnalyseForm(MoveForm):
    solution = forms.CharField(
        label="研判意见（解决措施）",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写解决措施"},
    )
    is_complex = forms.BooleanField(label="复杂问题（办结时限按月计）", required=False)


class PersonSelect(forms.Select):
    """Persons grouped by unit; each option says its unit (``data-unit``), so the page
    can offer only the chosen unit's people."""

    def __init__(self, *args, units: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.units = units or {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        unit = self.units.get(str(value))
        if unit:
            option["attrs"]["data-unit"] = unit
        return option


def unit_choices() -> list:
    """Every unit a problem may be assigned to, grouped: departments, counties, zones and
    the city office (values as `services.problem_move` reads them: ``kind:id``)."""
    departments = Department.objects.select_related("county", "zone").order_by("level", "name")
    return [
        ("", "选择责任单位"),
        ("市项目办", [("city", "市项目办")]),
        ("部门", [(f"department:{d.pk}", d.name) for d in departments]),
        ("县(市、区)", [(f"county:{c.pk}", c.name) for c in County.objects.order_by("code")]),
        (
            "开发区",
            [(f"zone:{z.pk}", z.name) for z in DevelopmentZone.objects.order_by("county", "name")],
        ),
    ]


# Each responsible unit's role, and the user field naming that unit (none for the city
# office): the reverse of `permissions.UNIT_ROLES`.
UNIT_OF_ROLE = {
    role: (None if kind == UnitKind.CITY else kind.value) for kind, role in UNIT_ROLES.items()
}


def person_choices() -> tuple[list, dict[str, str]]:
    """The active users of every unit, grouped by their unit, and each one's unit key."""
    users = (
        User.objects.filter(is_active=True, role__in=[r.value for r in UNIT_OF_ROLE])
        .select_related("department", "county", "zone")
        .order_by("role", "department__name", "county__code", "zone__name", "username")
    )
    groups: dict[str, list] = {}
    units: dict[str, str] = {}
    for u in users:
        kind = UNIT_OF_ROLE[Role(u.role)]
        unit = getattr(u, kind) if kind else None
        if kind and unit is None:
            continue
        key = f"{kind}:{unit.pk}" if kind else "city"
        group = f"{UnitKind(kind).label}：{unit}" if kind else "市项目办"
        groups.setdefault(group, []).append((u.pk, f"{u}（{u.username}）"))
        units[str(u.pk)] = key
    return [("", "选择责任人"), *groups.items()], units


class AssignForm(MoveForm):
    """交办 with the five 到位."""

    unit = forms.ChoiceField(label="责任单位", error_messages={"required": "请选择责任单位"})
    leader = forms.CharField(
        label="责任领导",
        max_length=50,
        help_text="姓名和职务，如：王副县长",
        error_messages={"required": "请填写责任领导"},
    )
    person = forms.TypedChoiceField(
        label="责任人",
        coerce=int,
        help_text="责任单位的在用账号",
        error_messages={"required": "请选择责任人", "invalid_choice": "请在列表中选择责任人"},
    )
    solution = forms.CharField(
        label="解决措施",
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写解决措施"},
    )
    deadline = forms.DateField(
        label="完成时限",
        widget=DateInput(),
        error_messages={"required": "请填写完成时限", "invalid": "完成时限应为日期，如 2026-12-31"},
    )
    is_complex = forms.BooleanField(label="复杂问题（办结时限按月计）", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = unit_choices()
        persons, units = person_choices()
        self.fields["person"].choices = persons
        self.fields["person"].widget = PersonSelect(
            choices=persons, units=units, attrs={"class": "form-select"}
        )
        self.fields["unit"].widget.attrs["data-person"] = self["person"].auto_id

    def service_data(self) -> dict:
        data = self.cleaned_data
        kind, _, unit_id = data["unit"].partition(":")
        return {
            "unit_kind": kind,
            "unit_id": unit_id or None,
            "leader_name": data["leader"],
            "person_id": data["person"],
            "solution": data["solution"],
            "deadline": data["deadline"],
            "is_complex": data["is_complex"],
        }


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (a list, possibly empty)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,application/pdf"}),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


TEXT_LABELS = {
    Move.FEEDBACK: "进展情况",
    Move.SOLVE: "办理结果",
    Move.REJECT: "不满意的原因",
    Move.ESCALATE: "提级原因",
    Move.WITHDRAW: "撤回原因",
}


class NoteForm(MoveForm):
    """A move with a text: feedback and solve (with files), reject, escalate, withdraw."""

    text = forms.CharField(max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(
        label=f"附件（照片或PDF，最多{FILES_PER_NOTE}个，每个不超过10MB）",
        required=False,
        error_messages={"empty": "上传的文件是空的"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        label = TEXT_LABELS[self.move]
        self.fields["text"].label = label
        self.fields["text"].error_messages["required"] = f"请填写{label}"
        if self.move not in (Move.FEEDBACK, Move.SOLVE):
            del self.fields["files"]


class ConfirmForm(MoveForm):
    text = forms.CharField(
        label="意见（可不填）",
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


MOVE_FORMS: dict[Move, type[MoveForm]] = {
    Move.ANALYSE: AnalyseForm,
    Move.ASSIGN: AssignForm,
    Move.FEEDBACK: NoteForm,
    Move.SOLVE: NoteForm,
    Move.CONFIRM: ConfirmForm,
    Move.REJECT: NoteForm,
    Move.ESCALATE: NoteForm,
    Move.WITHDRAW: NoteForm,
}


def move_form(move: Move, problem, data=None, files=None) -> MoveForm:
    """The form of one move, bound to a POST or showing the problem as it is."""
    initial = {"version": problem.version}
    if move == Move.ANALYSE:
        initial.update(solution=problem.solution, is_complex=problem.is_complex)
    elif move == Move.ASSIGN:
        unit = {
            "department": f"department:{problem.unit_department_id}",
            "county": f"county:{problem.unit_county_id}",
            "zone": f"zone:{problem.unit_zone_id}",
            "city": "city",
        }.get(problem.unit_kind, "")
        initial.update(
            unit=unit,
            leader=problem.leader_name,
            person=problem.person_id,
            solution=problem.solution,
            deadline=problem.deadline,
            is_complex=problem.is_complex,
        )
    return MOVE_FORMS[move](data, files, move=move, problem=problem, initial=initial)


class PolicyForm(ParseOnlyModelForm):
    class Meta:
        model = Policy
        fields = list(POLICY_FIELDS)
