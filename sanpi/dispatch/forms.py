"""Monthly dispatch forms: the report (phone-friendly), the county's review, the city
office's reopening and deadline. Forms parse; the services decide."""

from __future__ import annotations

from django import forms

from sanpi.core import uploads
from sanpi.core.web import BootstrapFormMixin, DateInput
from sanpi.regions.forms import ParseOnlyModelForm

from .models import MonthlyReport


class ReportForm(ParseOnlyModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    class Meta:
        model = MonthlyReport
        fields = [
            "investment_wan",
            "progress_percent",
            "progress_text",
            "output_wan",
            "tax_wan",
            "jobs",
            "problems",
        ]
        widgets = {
            "investment_wan": forms.TextInput(attrs={"inputmode": "decimal"}),
            "progress_percent": forms.NumberInput(
                attrs={"inputmode": "numeric", "min": 0, "max": 100}
            ),
            "output_wan": forms.TextInput(attrs={"inputmode": "decimal"}),
            "tax_wan": forms.TextInput(attrs={"inputmode": "decimal"}),
            "jobs": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
            "problems": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "investment_wan": "单位：万元；没有投资填0；核减上月多报的填负数",
            "problems": "项目推进中遇到、需要协调解决的问题",
        }

    def __init__(self, *args, produced: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not produced:  # 产值、税收 only once the project is in production
            del self.fields["output_wan"]
            del self.fields["tax_wan"]


class ReviewForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label="退回原因", max_length=500, required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class ReopenForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label="重新打开的原因", max_length=500)


class DeadlineForm(BootstrapFormMixin, forms.Form):
    deadline = forms.DateField(label="报送截止日期", widget=DateInput())


class PlanForm(BootstrapFormMixin, forms.Form):
    year = forms.IntegerField(label="年份", min_value=2000, max_value=2100)
    planned_investment_wan = forms.DecimalField(
        label="年度计划投资(万元)", max_digits=14, decimal_places=2
    )


class SheetUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label="填好的月报表（.xlsx、.xls 或 .csv）",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空的"},
    )

    def clean_file(self):
        return uploads.check_upload_size(self.cleaned_data["file"])


class PhotoForm(BootstrapFormMixin, forms.Form):
    photo = forms.FileField(
        label="现场照片（JPEG、PNG 或 WebP，最大10MB）",
        error_messages={"required": "请选择照片", "empty": "上传的文件是空的"},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
