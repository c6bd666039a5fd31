"""The schedules on the web: the system administrator's list of periodic jobs (when each
runs, when it last ran and runs next) and the form that changes one (core.schedules)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone

from sanpi.accounts.roles import Cap

from . import schedules
from .models import Schedule
from .web import BootstrapFormMixin, require_cap, submit, web_view


class ScheduleForm(BootstrapFormMixin, forms.Form):
    at = forms.CharField(
        label="每天执行时间",
        max_length=5,
        help_text="24小时制，如 01:00",
        error_messages={"required": schedules.BAD_TIME, "max_length": schedules.BAD_TIME},
        widget=forms.TextInput(attrs={"placeholder": "01:00", "inputmode": "numeric"}),
    )
    minutes = forms.IntegerField(
        label="间隔（分钟）",
        min_value=schedules.MIN_MINUTES,
        max_value=schedules.MAX_MINUTES,
        help_text="1–1440 分钟，从每天0点起算；60 即每小时",
        error_messages={
            "required": schedules.BAD_MINUTES,
            "invalid": schedules.BAD_MINUTES,
            "min_value": schedules.BAD_MINUTES,
            "max_value": schedules.BAD_MINUTES,
        },
    )
    enabled = forms.BooleanField(label="启用", required=False)
    working_days_only = forms.BooleanField(
        label="仅工作日（按工作日历，节假日不执行，调休上班日执行）", required=False
    )

    def __init__(self, *args, schedule: Schedule, **kwargs):
        super().__init__(*args, **kwargs)
        drop = "minutes" if schedule.every == Schedule.Every.DAILY else "at"
        del self.fields[drop]

    def clean_at(self):
        try:
            return schedules.parse_time(self.cleaned_data["at"])
        except ValueError:
            raise forms.ValidationError(schedules.BAD_TIME) from None


def _initial(schedule: Schedule) -> dict:
    return {
        "at": schedule.at.strftime("%H:%M") if schedule.at else "",
        "minutes": schedule.minutes,
        "enabled": schedule.enabled,
        "working_days_only": schedule.working_days_only,
    }


@web_view
def schedule_list(request):
    return render(
        request,
        "core/schedules.html",
        {"schedules": schedules.schedule_list(user=request.user), "now": timezone.now()},
    )


@web_view
def schedule_edit(request, name):
    require_cap(request.user, Cap.MANAGE_JOBS)
    schedule = schedules.schedule_get(name)
    data = request.POST if request.method == "POST" else None
    form = ScheduleForm(data, schedule=schedule, initial=_initial(schedule))
    done = submit(
        request,
        form,
        lambda data: schedules.schedule_update(by=request.user, name=schedule.name, **data),
    )
    if done is not None:
        saved, changed = done
        if changed:
            messages.success(request, f"已保存“{saved.label}”的执行时间")
        else:
            messages.info(request, "没有修改")
        return redirect("core:schedules")
    return render(request, "core/schedule_form.html", {"schedule": schedule, "form": form})
