"""Forms: parsing and widgets only (the rules live in the services)."""

from __future__ import annotations

from django import forms

from sanpi.core.web import BootstrapFormMixin

from .models import Webhook
from .selectors import PreferenceRow, unit_choices, unit_from_choice


class PreferencesForm(forms.Form):
    """Two checkboxes per kind of notification: ``<kind>-email`` and ``<kind>-robot``."""

    def __init__(self, *args, rows: list[PreferenceRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            self.fields[f"{row.kind}-email"] = forms.BooleanField(
                label=f"{row.label}：邮件", required=False, initial=row.email
            )
            self.fields[f"{row.kind}-robot"] = forms.BooleanField(
                label=f"{row.label}：群机器人", required=False, initial=row.robot
            )
            for name in (f"{row.kind}-email", f"{row.kind}-robot"):
                self.fields[name].widget.attrs["class"] = "form-check-input"

    def table(self):
        """(row, email field, robot field) per kind, for the template."""
        return [(row, self[f"{row.kind}-email"], self[f"{row.kind}-robot"]) for row in self.rows]

    def choices(self) -> dict[str, tuple[bool, bool]]:
        data = self.cleaned_data
        return {r.kind: (data[f"{r.kind}-email"], data[f"{r.kind}-robot"]) for r in self.rows}


class WebhookForm(BootstrapFormMixin, forms.Form):
    unit = forms.ChoiceField(label="所属单位")
    format = forms.ChoiceField(label="机器人类型", choices=Webhook.Format.choices)
    url = forms.CharField(
        label="机器人地址（Webhook）",
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    enabled = forms.BooleanField(label="启用", required=False, initial=True)

    def __init__(self, *args, editing: Webhook | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "（请选择县(市、区)、开发区或部门）"), *unit_choices()]
        if editing is not None:
            # The address is never sent back to the browser: blank keeps it.
            self.fields["url"].required = False
            self.fields["url"].help_text = f"当前：{editing.masked_url}。留空则不修改。"
        else:
            self.fields["url"].help_text = (
                "在企业微信或钉钉群的“群机器人”设置中复制，如 "
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"
            )

    def clean_unit(self):
        unit = unit_from_choice(self.cleaned_data["unit"])
        if unit is None:
            raise forms.ValidationError("请选择群机器人所属的县(市、区)、开发区或部门")
        return unit
