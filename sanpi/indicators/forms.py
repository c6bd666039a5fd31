"""Forms of the main indicators: parsing only (the rules are in services and rules)."""

from __future__ import annotations

from django import forms

from sanpi.core.web import BootstrapFormMixin

from .models import IndicatorValue


class YearForm(BootstrapFormMixin, forms.Form):
    """Which year's table (a GET form)."""

    year = forms.TypedChoiceField(label="年份", coerce=int, choices=())

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年") for y in years]
        self.fields["year"].error_messages["invalid_choice"] = (
            f"年份应在{years[0]}至{years[-1]}之间"
        )


class ValueForm(BootstrapFormMixin, forms.Form):
    """A year's actual value. The number is read by the service (rules.parse_value), so
    the page and the API refuse the same things with the same words."""

    actual = forms.CharField(
        label="实际值",
        max_length=40,
        error_messages={"required": "请填写实际值", "max_length": "数值过长"},
    )
    note = forms.CharField(
        label=str(IndicatorValue._meta.get_field("note").verbose_name),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="数据来源或口径，如“统计公报”",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, initial=0)

    def clean(self):
        cleaned = super().clean()
        if "version" in self.errors:  # hidden: say it where it shows
            self.add_error(None, "页面已过期，请刷新后重试")
        return cleaned

    def __init__(self, *args, unit: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if unit:
            self.fields["actual"].label = f"实际值（{unit}）"
        self.fields["actual"].widget.attrs["inputmode"] = "decimal"
