"""Forms for zones and enterprises: parsing and widgets only (rules live in services)."""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet

from sanpi.core.web import BootstrapFormMixin, DateInput

from .models import County, DevelopmentZone, Enterprise
from .selectors import county_list, zone_list


class ParseOnlyModelForm(BootstrapFormMixin, forms.ModelForm):
    """A ModelForm that only parses: the model's validation runs in the service."""

    def _post_clean(self):
        pass


def county_choices(*, user) -> QuerySet[County]:
    """Counties a user deals with: all (city), their own, their zone's, their projects'."""
    from sanpi.projects.selectors import project_list

    if user.sees_all:
        return county_list(user=user)
    return County.objects.filter(
        Q(pk=getattr(user, "county_id", None))
        | Q(pk__in=zone_list(user=user).values("county_id"))
        | Q(pk__in=project_list(user=user).values("county_id"))
    ).order_by("code")


class ZoneForm(ParseOnlyModelForm):
    class Meta:
        model = DevelopmentZone
        fields = ["name", "short_name", "level", "county", "area_km2"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = county_choices(user=user)


class EnterpriseForm(ParseOnlyModelForm):
    class Meta:
        model = Enterprise
        fields = ["name", "credit_code", "county", "contact", "phone", "above_size_since"]
        widgets = {"above_size_since": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].queryset = County.objects.order_by("code")
        self.fields["credit_code"].help_text = "18位，末位为校验码（GB 32100-2015）"
        # The credit code is checked by the service with a clear message; don't pre-empt it.
        self.fields["credit_code"].validators = []
        self.fields["above_size_since"].help_text = "成为规模以上企业的日期；未上规的留空"


class EnterpriseSearchForm(BootstrapFormMixin, forms.Form):
    q = forms.CharField(label="企业名称或信用代码", required=False)
