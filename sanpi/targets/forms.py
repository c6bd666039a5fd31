"""Forms for targets, weights and the ranking's month: parsing only (rules in services)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from sanpi.core import uploads
from sanpi.core.web import BootstrapFormMixin

from .io import COUNT_MAX
from .models import UnitTarget
from .rules import CAP_MAX, CAP_MIN, INDICATORS, WEIGHT_MAX
from .selectors import KIND_LABELS

KIND_CHOICES = list(KIND_LABELS.items())


class MonthForm(BootstrapFormMixin, forms.Form):
    """Which month's ranking, of which kind of unit (a GET form)."""

    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label="月份", coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)]
    )
    kind = forms.ChoiceField(label="单位类型", choices=KIND_CHOICES, initial="county")


# The import's wording (core.cells) for what the page refuses alike.
AMOUNT_ERRORS = {
    "invalid": "请填写数字",
    "max_decimal_places": "最多保留两位小数",
    "max_digits": "数值过大（应小于100,000,000,000,000）",
    "max_whole_digits": "数值过大（应小于100,000,000,000,000）",
}
COUNT_ERRORS = {"invalid": "请填写整数"}


def _target_field(ind) -> forms.Field:
    label = str(UnitTarget._meta.get_field(ind.target_field).verbose_name)
    if ind.is_amount:
        return forms.DecimalField(
            label=label, required=False, min_value=0, max_digits=16, decimal_places=2,
            error_messages=AMOUNT_ERRORS,
        )  # fmt: skip
    return forms.IntegerField(
        label=label, required=False, min_value=0, max_value=COUNT_MAX, error_messages=COUNT_ERRORS
    )


class _TargetFormBase(BootstrapFormMixin, forms.Form):
    """One unit's annual targets: an empty field is no target (left out of the score)."""

    @classmethod
    def build(cls, *args, instance: UnitTarget | None = None, **kwargs):
        initial = {}
        if instance is not None:
            initial = {ind.target_field: getattr(instance, ind.target_field) for ind in INDICATORS}
        return cls(*args, initial=initial, **kwargs)


# A field per indicator, in the indicators' order.
TargetForm = type(
    "TargetForm",
    (_TargetFormBase,),
    {ind.target_field: _target_field(ind) for ind in INDICATORS},
)


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label="目标文件（.xlsx、.xls 或 .csv）",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的"},
    )

    def clean_file(self):
        # SANPI_UPLOAD_MAX_BYTES, checked before anything reads the file (core.uploads).
        return uploads.check_upload_size(self.cleaned_data["file"])


class YearForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)


class _SchemeFormBase(BootstrapFormMixin, forms.Form):
    """The weights and cap in force from a month on."""

    year = forms.IntegerField(label="生效年份", min_value=2000, max_value=2100)
    month = forms.TypedChoiceField(
        label="生效月份", coerce=int, choices=[(m, f"{m}月") for m in range(1, 13)]
    )
    cap = forms.DecimalField(
        label="封顶系数",
        max_digits=4,
        decimal_places=2,
        error_messages={
            **AMOUNT_ERRORS,
            "max_digits": "封顶系数应在1.00至2.00之间",
            "max_whole_digits": "封顶系数应在1.00至2.00之间",
        },
        help_text=f"完成率计分的上限（{CAP_MIN}至{CAP_MAX}），如1.20：超过120%按120%计",
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["month"].initial = today.month

    def weights(self) -> dict[str, int]:
        return {ind.key: self.cleaned_data[f"w_{ind.key}"] for ind in INDICATORS}


# A weight per indicator (0: shown, not scored), after the month and the cap.
SchemeForm = type(
    "SchemeForm",
    (_SchemeFormBase,),
    {
        f"w_{ind.key}": forms.IntegerField(
            label=f"{ind.name}权重", min_value=0, max_value=WEIGHT_MAX, help_text="0：不计分"
        )
        for ind in INDICATORS
    },
)
