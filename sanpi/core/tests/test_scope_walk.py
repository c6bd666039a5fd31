"""Every write route of the web UI, for every role, against objects outside the role's scope.

The GET walk (test_views.test_every_page_for_every_role) proves who may *see* each page.
This walk proves who may *change* what: each write route is posted with data that would
succeed for the city office, by every other role, aimed at county B's objects (outside
the county/zone/enterprise users' scope). Every such request must be refused (403 for a
missing capability, 404 for an object outside the scope, a form error for an out-of-scope
choice such as county B in a new project) and leave the database as it
was: no audit row, no changed object. A route added without an entry here fails
`test_every_write_route_is_walked`.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from sanpi.accounts.models import User
from sanpi.approvals.tests.factories import approvals_state
from sanpi.assessment.schemes import BANK
from sanpi.cockpit.rules import START_RISK_RULES
from sanpi.core.models import AuditLog, CalendarDay, CalendarYear
from sanpi.core.tests.test_views import POST_ONLY, ROLES, _meeting, _route_names
from sanpi.indicators.tests import walk as indicators_walk
from sanpi.problems.tests.factories import problems_state
from sanpi.projects.models import ActivityEntry, PlannedEntry, Project
from sanpi.projects.services import activity_add_project
from sanpi.projects.tests.factories import ActivityFactory
from sanpi.regions.models import DevelopmentZone, Enterprise

D = dt.date


def _project_data(w, **over):
    p = Project.objects.get(pk=w.project_b.pk)
    data = {
        "signed_date": p.signed_date or "",
        "name": p.name + "（改）",
        "enterprise": p.enterprise_id,
        "county": p.county_id,
        "zone": p.zone_id,
        "industry": p.industry,
        "construction_kind": p.construction_kind,
        "total_investment_wan": "99.00",
        "planned_output_wan": "1.00",
    }
    return {**data, **over}


def _enrolled(user):
    """The user, with an authenticator enrolled (for the reset route)."""
    from sanpi.accounts.tests.factories import totp_code

    totp_code(user)
    return user


# route name → (kwargs builder, data builder, roles allowed to succeed)
WRITES = {
    "projects:create": (
        None,
        lambda w: {**_project_data(w, name="越权新项目", signed_date=""), "stage": "reserve"},
        {"city_office"},
    ),
    "projects:edit": (lambda w: {"pk": w.project_b.pk}, _project_data, {"city_office"}),
    "projects:advance": (
        lambda w: {"pk": w.project_b.pk},
        lambda w: {"to_stage": "started", "date": "2021-05-01", "evidence": "越权"},
        {"city_office"},
    ),
    "projects:health": (
        lambda w: {"pk": w.project_b.pk},
        lambda w: {"health": "stalled", "date": "2021-05-01"},
        {"city_office"},
    ),
    "projects:activity_create": (
        None,
        lambda w: {
            "year": 2022,
            "sequence": 9,
            "date": "2022-09-05",
            "level": "city",
            "venue": "x",
        },
        {"city_office"},
    ),
    "projects:activity_edit": (
        lambda w: {"pk": w.activity.pk},
        lambda w: {
            "year": 2021,
            "sequence": 4,
            "date": "2021-03-22",  # its own date: a new one would move project B's dates
            "level": "city",
            "venue": "改",
        },
        {"city_office"},
    ),
    "projects:activity_add": (
        lambda w: {"pk": w.activity.pk},
        lambda w: {"project": w.project_b.pk, "action": "sign", "sign_mode": "onsite"},
        {"city_office"},
    ),
    "projects:activity_remove_entry": (
        lambda w: {"pk": w.activity.pk, "entry_pk": w.entry_b.pk},
        lambda w: {},
        {"city_office"},
    ),
    "projects:planned_confirm": (
        lambda w: {"pk": w.planned_b.activity_id, "planned_pk": w.planned_b.pk},
        lambda w: {},
        {"city_office"},
    ),
    "projects:planned_withdraw": (
        lambda w: {"pk": w.planned_b.activity_id, "planned_pk": w.planned_b.pk},
        lambda w: {},
        {"city_office"},
    ),
    "projects:activity_confirm_all": (
        lambda w: {"pk": w.planned_b.activity_id},
        lambda w: {},
        {"city_office"},
    ),
    "projects:bulk_add": (
        None,
        lambda w: {
            "ids": [w.project_b.pk],
            "bulk-activity": w.activity.pk,
            "bulk-action": "start",
            "confirm": "1",
        },
        {"city_office"},
    ),
    "projects:activity_delete": (
        lambda w: {"pk": w.spare_activity.pk},
        lambda w: {},
        {"city_office"},
    ),
    "regions:enterprise_edit": (
        lambda w: {"pk": w.enterprise_b.pk},
        lambda w: {
            "name": "改名企业",
            "credit_code": w.enterprise_b.credit_code,
            "county": w.county_b.pk,
        },
        {"city_office"},
    ),
    "regions:zone_create": (
        None,
        lambda w: {"name": "越权开发区", "level": "provincial", "county": w.county_b.pk},
        {"city_office"},
    ),
    "regions:zone_edit": (
        lambda w: {"pk": w.zone_b.pk},
        lambda w: {"name": "改名开发区", "level": "national", "county": w.county_b.pk},
        {"city_office"},
    ),
    "accounts:user_create": (
        None,
        lambda w: {
            "username": "newcity",
            "role": "city_office",
            "password": "Strong#Pass2026",
            "password2": "Strong#Pass2026",
        },
        {"admin"},
    ),
    "accounts:user_unlock": (lambda w: {"pk": w.user("city_office").pk}, lambda w: {}, {"admin"}),
    "notifications:webhook_create": (
        None,
        lambda w: {
            "unit": f"county:{w.county_b.pk}",
            "format": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=越权",
            "enabled": "on",
        },
        {"admin"},
    ),
    "notifications:webhook_edit": (
        lambda w: _webhook(w),
        lambda w: {
            "unit": f"county:{w.county_b.pk}",
            "format": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=越权",
            "enabled": "on",
        },
        {"admin"},
    ),
    "notifications:webhook_set_enabled": (
        lambda w: _webhook(w),
        lambda w: {"enabled": "0"},
        {"admin"},
    ),
    # Monthly dispatch, in the order the city office can do them all: file and submit
    # project B's October report, accept it, reopen it, set its plan, the deadline, close.
    "dispatch:report": (
        lambda w: _report_b(w),
        lambda w: {
            "investment_wan": "50",
            "progress_percent": "10",
            "submit": "1",
            "version": "0",
        },
        {"city_office"},
    ),
    "dispatch:review": (lambda w: _report_b(w), lambda w: {"accept": "1"}, {"city_office"}),
    "dispatch:reopen": (lambda w: _report_b(w), lambda w: {"reason": "越权"}, {"city_office"}),
    "dispatch:plan": (
        lambda w: _report_b(w),
        lambda w: {"year": "2026", "planned_investment_wan": "10"},
        {"city_office"},
    ),
    "dispatch:deadline": (
        lambda w: {"year": 2026, "month": 10},
        lambda w: {"deadline": "2026-11-20"},
        {"city_office"},
    ),
    "dispatch:close": (lambda w: {"year": 2026, "month": 10}, lambda w: {}, {"city_office"}),
    # Targets and the ranking's weights (sanpi.targets): the city office's only.
    "targets:target_edit": (
        lambda w: {"year": 2025, "kind": "county", "pk": w.county_b.pk},
        lambda w: {"investment_wan": "1000", "signed_count": "5"},
        {"city_office"},
    ),
    "targets:target_import": (
        lambda w: {"year": 2025},
        lambda w: {"file": _targets_file(w)},
        {"city_office"},
    ),
    "targets:scheme_create": (None, lambda w: _scheme_data(), {"city_office"}),
    "finance:meeting_new": (
        None,
        lambda w: {"date": "2026-03-01", "title": "越权对接会", "banks": [_bank(w)]},
        {"city_office"},
    ),
    "finance:meeting": (
        lambda w: {"pk": _meeting(w)},
        lambda w: {"bank": _bank(w), "project": w.project_b.pk, "amount_wan": "100"},
        {"city_office"},
    ),
    "finance:project": (
        lambda w: {"pk": w.project_b.pk},
        lambda w: {
            "form": "loan",
            "loan-bank": _bank(w),
            "loan-amount_wan": "100",
            "loan-disbursed_on": "2026-04-01",
        },
        {"city_office"},
    ),  # fmt: skip
    "finance:banks": (None, lambda w: {"name": "越权银行"}, {"city_office"}),
    "assessment:scheme": (
        lambda w: {"key": "bank", "year": 2025},
        lambda w: {
            **{i.key: str(i.max_points) for i in BANK.indicators},
            "loan_increase": "15",
            "loan_growth": "15",
            "version": "1",
        },
        {"city_office"},
    ),  # fmt: skip
    "assessment:entry": (
        lambda w: {"key": "bank", "year": 2025},
        lambda w: {"version": "0", "unit": "走查银行", "loans_last": "100"},
        {"city_office"},
    ),
    "assessment:compute": (lambda w: {"key": "zone", "year": 2025}, lambda w: {}, {"city_office"}),
    "assessment:state": (
        lambda w: {"key": "bank", "year": 2025},
        lambda w: {"state": "closed", "version": _assessment_version()},
        {"city_office"},
    ),
    "assessment:import": (
        lambda w: {"key": "bank", "year": 2025},
        lambda w: {"file": _assessment_file()},
        {"city_office"},
    ),
    # Health by rules (sanpi.health), in the order the city office can do them all: an
    # override of project B's health, lifting one, evaluating B now, the thresholds.
    "health:project": (
        lambda w: {"pk": w.project_b.pk},
        lambda w: {"health": "lagging", "reason": "越权认定"},
        {"city_office"},
    ),
    "health:override_clear": (lambda w: _override_b(w), lambda w: {}, {"city_office"}),
    "health:evaluate": (lambda w: {"pk": w.project_b.pk}, lambda w: {}, {"city_office"}),
    "health:rules": (
        None,
        lambda w: {
            "signed_days": "200",
            "stall_months": "3",
            "behind_percent": "20",
            "long_stall_months": "12",
        },
        {"city_office"},
    ),
    "cockpit:warning_rules": (
        None,
        lambda w: {
            **{r.key: str(r.points) for r in START_RISK_RULES},
            "months_6": "25",
            "version": "0",
        },
        {"city_office"},
    ),
    "core:schedule_edit": (
        lambda w: {"name": "approvals_scan"},
        lambda w: {"at": "02:00", "enabled": "on"},
        {"admin"},
    ),
    "accounts:user_set_active": (
        lambda w: {"pk": w.user("county").pk},
        lambda w: {"active": "0"},
        {"admin"},
    ),
    "accounts:user_reset_two_factor": (
        lambda w: {"pk": _enrolled(w.user("county")).pk},
        lambda w: {},
        {"admin"},
    ),
    # Archiving the audit log: the audit administrator's alone (core/tests/test_audit_archive.py).
    "core:audit_archive": (None, lambda w: {"before": ""}, {"auditor"}),
    # The official calendar: the city office and the system administrator keep it.
    "core:calendar_days_set": (
        None,
        lambda w: {"start": "2030-05-06", "kind": "holiday", "name": "越权假日"},
        {"city_office", "admin"},
    ),
    # (the day entered just above: far from any open deadline of the test world)
    "core:calendar_day_remove": (None, lambda w: {"date": "2030-05-06"}, {"city_office", "admin"}),
    "core:calendar_year_set": (
        None,
        lambda w: {"year": 2030, "covered": "0", "basis": "越权"},
        {"city_office", "admin"},
    ),
}
WRITES.update(
    {
        # Approvals, in the order the city office can do them all (test below).
        "approvals:item_edit": (
            lambda w: {"pk": _aw(w).item_b.pk},
            lambda w: {
                "applied_on": "2021-09-21",
                "department": _aw(w).dept_b.pk,
                "handler": "越权经办",
                "committed_days": 2,
            },
            {"city_office"},
        ),
        "approvals:item_accept": (
            lambda w: {"pk": _aw(w).item_b.pk},
            lambda w: {"accepted_on": "2021-09-24", "handler": "越权"},
            {"city_office"},
        ),
        "approvals:item_decide": (
            lambda w: {"pk": _aw(w).item_b.pk},
            lambda w: {"decided_on": "2021-09-27", "outcome": "approved"},
            {"city_office"},
        ),
        "approvals:commitment_create": (
            lambda w: {"pk": _aw(w).item_b.pk},
            lambda w: {"content": "越权承诺", "due_on": "2022-01-31"},
            {"city_office"},
        ),
        "approvals:commitment_fulfil": (
            lambda w: {"pk": _aw(w).commitment_b.pk},
            lambda w: {"fulfilled_on": "2021-10-01"},
            {"city_office"},
        ),
        "approvals:item_remove": (
            lambda w: {"pk": _aw(w).item_b_plan.pk},
            lambda w: {},
            {"city_office"},
        ),
        "approvals:project_add_items": (
            lambda w: {"pk": w.project_b.pk},
            lambda w: {"catalogue_items": [_aw(w).full.items.get(name="取水许可").pk]},
            {"city_office"},
        ),
        "approvals:agency_step": (
            lambda w: {"pk": w.project_b.pk},
            lambda w: {"step": "consult", "date": "2021-09-01"},
            {"city_office"},
        ),
        "approvals:catalogue_item_create": (
            lambda w: {"pk": _aw(w).full.pk},
            lambda w: {
                "name": "越权事项",
                "stage": "land",
                "department_kind": "approval",
                "statutory_days": 5,
                "committed_days": 3,
            },
            {"city_office"},
        ),
        "approvals:catalogue_item_edit": (
            lambda w: {"pk": _aw(w).permit.pk},
            lambda w: {
                "sequence": 19,
                "name": _aw(w).permit.name,
                "stage": "construction",
                "department_kind": "approval",
                "statutory_days": 5,
                "committed_days": 1,
            },
            {"city_office"},
        ),
        "approvals:material_add": (
            lambda w: {"pk": _aw(w).permit.pk},
            lambda w: {"name": "越权材料", "copies": 1, "form": "copy"},
            {"city_office"},
        ),
        "approvals:material_remove": (
            lambda w: {"pk": _aw(w).permit.materials.order_by("pk").first().pk},
            lambda w: {},
            {"city_office"},
        ),
        "approvals:department_create": (
            None,
            lambda w: {"name": "越权部门", "kind": "approval", "level": "city"},
            {"city_office"},
        ),
        "approvals:department_edit": (
            lambda w: {"pk": _aw(w).dept_b.pk},
            lambda w: {
                "name": "孝义市行政审批服务管理局（改）",
                "kind": "approval",
                "level": "county",
                "county": w.county_b.pk,
            },
            {"city_office"},
        ),
    }
)


# Leaders' liaison (the city office's) and the service team's visits (city office, counties,
# zones; project B is outside the county's and zone's scope: refused on the form).
WRITES.update(
    {
        "problems:liaison_new": (
            None,
            lambda w: {
                "leader": w.user("leader").pk,
                "project": w.project_b.pk,
                "since": "2019-01-01",
                "until": "2019-12-31",
            },
            {"city_office"},
        ),
        "problems:liaison_end": (
            lambda w: _liaison_b(w),
            lambda w: {"until": "2021-06-30"},
            {"city_office"},
        ),
        "problems:visit_new": (
            None,
            lambda w: {
                "project": w.project_b.pk,
                "date": "2021-05-01",
                "visitors": "越权走访",
                "p1_description": "越权问题",
                "p1_category": "other",
                "p1_level": "county",
            },
            {"city_office"},
        ),
    }
)


# The city's main indicators: a year's value, the city office's (sanpi/indicators/tests/walk.py).
WRITES.update(indicators_walk.WRITES)


def _liaison_b(w) -> dict:
    """The world's leader liaising project B since 2020 (made directly: no audit row)."""
    from sanpi.problems.models import Liaison

    liaison, _ = Liaison.objects.get_or_create(
        leader=w.user("leader"), project=w.project_b, since=dt.date(2020, 1, 1)
    )
    return {"pk": liaison.pk}


# The problems' closed loop (sanpi/problems/views.py), aimed at problem B (county B, out of
# every scoped user's view; set up with the world below): the leader, who sees everything
# and may raise problems, raises one on project B and turns its report's problems into one.
WRITES.update(
    {
        "problems:raise": (
            None,
            lambda w: {"project": w.project_b.pk, "category": "land", "description": "越权问题"},
            {"city_office", "leader"},
        ),
        "problems:move": (
            lambda w: {"pk": w.problems.b.pk},
            lambda w: {
                "move": "feedback",
                "version": type(w.problems.b).objects.get(pk=w.problems.b.pk).version,
                "text": "越权反馈",
            },
            {"city_office"},
        ),
        "problems:from_report": (
            lambda w: {"report_pk": _report_b_problems(w)},
            lambda w: {},
            {"city_office", "leader"},
        ),
        "problems:policy_edit": (
            lambda w: _policy_current(w),
            lambda w: {
                "name": "13710工作制度",
                "deploy_same_day": "on",
                "feedback_days": "3",
                "solve_days": "8",
                "complex_months": "1",
                "warn_days": "1",
                "escalate_after_days": "2",
            },
            {"city_office"},
        ),
    }
)


def _report_b_problems(w) -> int:
    """Project B's September 2026 report with problems met (made directly, no audit row)."""
    from sanpi.dispatch.models import MonthlyReport

    report, _ = MonthlyReport.objects.get_or_create(
        project=w.project_b,
        year=2026,
        month=9,
        defaults={"investment_wan": 0, "progress_percent": 0, "problems": "施工用电未接入"},
    )
    return report.pk


def _policy_current(w) -> dict:
    from sanpi.problems.models import Policy

    return {"pk": Policy.objects.get(code="13710", current=True).pk}


def _aw(w):
    from sanpi.approvals.tests.factories import approvals_world

    return approvals_world(w)


def _targets_file(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sanpi.targets.tests.test_io import workbook

    zone_b = DevelopmentZone.objects.get(pk=w.zone_b.pk)  # (renamed by zone_edit above)
    data = workbook([("县(市、区)", w.county_b.name, 800), ("开发区", zone_b.name, 300)])
    return SimpleUploadedFile("目标.xlsx", data)


def _bank(w) -> int:
    from sanpi.finance.models import Bank

    return Bank.objects.get_or_create(name="走查银行")[0].pk


def _assessment_version() -> str:
    """The version of the walk's bank year as the page would show it (1 before it begins)."""
    from sanpi.assessment.models import SchemeYear

    row = SchemeYear.objects.filter(scheme="bank", year=2025).first()
    return str(row.version if row else 1)


def _assessment_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from sanpi.assessment.tests.test_io import _book, _rows

    return SimpleUploadedFile("银行.xlsx", _book(_rows()))


def _scheme_data() -> dict:
    from sanpi.targets.tests.test_views import _scheme_data

    return _scheme_data(w_above_size=5)


def _report_b(w) -> dict:
    """Project B's October 2026 report: signed into the world's activity by the set-up
    below, project B owes it (nothing is changed here, the walk compares the database)."""
    return {"year": 2026, "month": 10, "project": w.project_b.pk}


def _override_b(w) -> dict:
    """An override in force on project B (made directly: no audit row, nothing in _state)."""
    from sanpi.health.models import HealthOverride

    if not HealthOverride.objects.filter(project=w.project_b, ended_at__isnull=True).exists():
        HealthOverride.objects.create(
            project=w.project_b, health="normal", reason="已复工", fingerprint="-"
        )
    return {"pk": w.project_b.pk}


def _webhook(w) -> dict:
    from sanpi.notifications.models import Webhook

    hook, _ = Webhook.objects.get_or_create(
        county=w.county_b,
        defaults={
            "format": "wecom",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=b",
        },
    )
    return {"pk": hook.pk}


# Writes on one's own account or session, open to every signed-in user by design.
OWN_ACCOUNT = {
    "notifications:open",  # one's own notifications only: notifications/tests/test_views.py
    "notifications:read_all",
    "notifications:preferences",
    "accounts:logout",
    "accounts:change_password",
    "accounts:set_email",  # one's own address: accounts/tests/test_views.py
    "accounts:create_token",
    "accounts:revoke_token",  # one's own tokens only: accounts/tests/test_views.py
    "accounts:two_factor",  # one's own authenticator: accounts/tests/test_two_factor.py
}
# Routes whose POST only reads (filter forms) or that are not writes.
NOT_WRITES = {"accounts:login", "accounts:login_otp"}


def _problems_state(w) -> tuple:
    """Everything a problems write could have touched."""
    from sanpi.problems.models import Attachment, Policy, Problem, ProblemEvent

    return tuple(
        list(model.objects.order_by("pk").values())
        for model in (Problem, ProblemEvent, Attachment, Policy)
    )


def _state(w) -> tuple:
    """Everything a refused write could have touched."""
    return (
        AuditLog.objects.count(),
        list(Project.objects.order_by("pk").values()),
        list(Enterprise.objects.order_by("pk").values()),
        list(DevelopmentZone.objects.order_by("pk").values()),
        list(ActivityEntry.objects.order_by("pk").values()),
        list(PlannedEntry.objects.order_by("pk").values()),
        list(type(w.activity).objects.order_by("pk").values()),
        approvals_state(w),
        _problems_state(w),
        list(CalendarDay.objects.order_by("pk").values()),
        list(CalendarYear.objects.order_by("pk").values()),
        list(User.objects.order_by("pk").values("pk", "is_active", "locked_until", "role")),
        _finance_state(w),
    )


def _finance_state(w) -> tuple:
    from sanpi.assessment.models import SchemeYear, UnitEntry
    from sanpi.finance import models as f

    _meeting(w), _bank(w)  # the walk's own meeting and bank exist before the first snapshot

    models = (f.Bank, f.Meeting, f.LoanNeed, f.Signing, f.Credit, f.Loan, SchemeYear, UnitEntry)
    return tuple(list(m.objects.order_by("pk").values()) for m in models)


def test_every_write_route_is_walked():
    get_only = {
        "cockpit:home",
        "cockpit:rates",
        "cockpit:activity_bulletin",
        "projects:list",
        "projects:detail",
        "projects:activity_list",
        "projects:activity_detail",
        "projects:activity_candidates",
        "projects:planned_export",
        "regions:enterprise_list",
        "regions:enterprise_detail",
        "regions:zone_list",
        "regions:zone_detail",
        "regions:county_list",
        "accounts:me",
        "accounts:user_list",
        "core:audit_log",
        "core:audit_export",  # audited (action "export"), writes nothing else
        "core:audit_head",  # audited (action "export"), seals pending audit rows only
        "ledger:template",
        "ledger:export",
        "ledger:job",
        "ledger:job_progress",
        "ledger:marked",
        "approvals:item_list",
        "approvals:overdue",
        "approvals:report",
        "approvals:ledger_export",
        "approvals:item_detail",
        "approvals:project",
        "approvals:project_notice",
        "approvals:commitments",
        "approvals:credit_export",
        "approvals:catalogue",
        "approvals:track",
        "approvals:track_notice",
        "approvals:department_list",
        "core:calendar",
        "core:job",
        "core:job_status",
        "core:job_download",
        "core:job_admin",
        "core:schedules",
        "notifications:list",
        "health:overview",
        "health:list",
        "health:export",  # audited (action "export"), writes nothing else
        "dispatch:home",
        "dispatch:month",
        "dispatch:sheet",  # a job writing the user's own sheet
        "dispatch:photo",
        "core:job_marked",
        "targets:ranking",
        "targets:bulletin",
        "targets:bulletin_file",  # a job that reads, audited as an export
        "targets:target_list",
        "targets:target_template",
        "assessment:index",
        "finance:index",
        "finance:report",  # with format=xlsx audited (action "export"), writes nothing else
        "assessment:results",
        "assessment:template",
        "assessment:results_xlsx",  # audited (action "export"), writes nothing else
        "assessment:results_docx",  # audited (action "export"), writes nothing else
        "assessment:classes_xlsx",  # audited (action "export"), writes nothing else
        "targets:scheme_list",
        "notifications:webhook_list",
        "problems:figures",
        "problems:export",  # a job that reads, audited as an export
        "problems:notice",  # audited (action "export"), writes nothing else
        "problems:leaders",
        "problems:leader",
        "problems:visits",
        "problems:list",
        "problems:board",
        "problems:detail",
        "problems:attachment",
        "problems:policies",
        # The cockpit reads summary tables and the ledger (cockpit/tests/test_board_views.py
        # walks every role and narrowing).
        "cockpit:board",
        "cockpit:board_data",
        "cockpit:warnings_export",  # audited (action "export"), writes nothing else
    }
    # enterprise_create is walked in test_enterprise_create_is_scoped below; the ledger
    # upload (ledger:import) row by row in projects/tests/test_io*.py (rows outside the
    # importer's scope are refused, nothing written).
    walked = (
        set(WRITES)
        | OWN_ACCOUNT
        | NOT_WRITES
        | get_only
        | indicators_walk.READ_ONLY
        | {"regions:enterprise_create", "ledger:import", "ledger:remap", "core:job_retry"}
        | {"dispatch:sheet_upload"}  # row by row in dispatch/tests/test_sheets.py
        # a report's photos: added and removed only within scope (dispatch/tests/test_photos.py)
        | {"dispatch:photo_add", "dispatch:photo_remove"}
    )
    assert _route_names() - walked == set(), "add the new route to WRITES with its roles"
    assert (
        POST_ONLY
        - set(WRITES)
        - OWN_ACCOUNT
        - {"ledger:remap", "core:job_retry", "dispatch:sheet_upload"}
        - {"dispatch:photo_add", "dispatch:photo_remove"}
        == set()
    )


PLANNED_ROUTES = (
    "projects:planned_confirm",
    "projects:planned_withdraw",
    "projects:activity_confirm_all",
)


def _planned_today(world):
    """Project B (signed) on the list to start at an activity planned for tomorrow, which
    then is moved to today so the plan can be confirmed."""
    import datetime as dt

    from django.utils import timezone

    from sanpi.projects.models import Activity
    from sanpi.projects.services import activity_plan_project
    from sanpi.projects.tests.factories import ActivityFactory

    today = timezone.localdate()
    tomorrow = today + dt.timedelta(days=1)
    coming = ActivityFactory(year=tomorrow.year, sequence=40, date=tomorrow)
    planned = activity_plan_project(
        by=world.user("city_office"), activity=coming, project=world.project_b, action="start"
    )
    Activity.objects.filter(pk=coming.pk).update(date=today)  # the day has come
    return planned


@pytest.mark.parametrize("role", [r for r in ROLES if r != "city_office"])
def test_writes_outside_scope_are_refused_and_change_nothing(world, login, role):
    world.entry_b = activity_add_project(
        by=world.user("city_office"),
        activity=world.activity,
        project=world.project_b,
        action="sign",
        sign_mode="sync",
    )
    world.planned_b = _planned_today(world)
    world.spare_activity = ActivityFactory(year=2020, sequence=7)
    world.problems = problems_state(world)
    client = login(world.user(role))
    failures = []
    for name, (kwargs, data, allowed) in WRITES.items():
        if role in allowed:
            continue
        before = _state(world)
        url = reverse(name, kwargs=kwargs(world) if kwargs else None)
        response = client.post(url, data(world))
        # 403: capability missing; 404: object outside the scope; 200: the form refused an
        # out-of-scope choice (county B, project B) with its error shown.
        html = response.content.decode()
        refused_on_form = response.status_code == 200 and (
            "is-invalid" in html or "errorlist" in html or "alert-danger" in html
        )
        if response.status_code not in (403, 404) and not refused_on_form:
            failures.append(f"{name}: {response.status_code}")
        if _state(world) != before:
            failures.append(f"{name}: changed the database")
    assert not failures, "\n".join(failures)


def test_the_city_office_may_do_all_of_it(world, login):
    """The same requests succeed for the city office, so the refusals above are about scope."""
    world.entry_b = activity_add_project(
        by=world.user("city_office"),
        activity=world.activity,
        project=world.project_b,
        action="sign",
        sign_mode="sync",
    )
    world.planned_b = _planned_today(world)
    world.spare_activity = ActivityFactory(year=2020, sequence=7)
    world.problems = problems_state(world)
    client = login(world.user("city_office"))
    for name, (kwargs, data, allowed) in WRITES.items():
        if "city_office" not in allowed:
            continue
        if name in PLANNED_ROUTES or name in ("projects:activity_add", "projects:bulk_add"):
            # project_b is already signed, then advanced by an earlier request: these are
            # covered in projects/tests/test_planned.py (and the bulk page there too)
            continue
        before = AuditLog.objects.count()
        response = client.post(reverse(name, kwargs=kwargs(world) if kwargs else None), data(world))
        assert response.status_code in (200, 302), name
        assert AuditLog.objects.count() > before, (
            f"{name} wrote nothing: {response.context and response.context['form'].errors}"
        )


def test_enterprise_create_is_scoped(world, login):
    """A county officer's new enterprise is registered in their own county when none is
    given; one registered in another county is refused (it would vanish from their view);
    roles that may not change the ledger are refused outright."""
    from sanpi.regions.tests.factories import make_credit_code

    client = login(world.user("county"))
    response = client.post(
        reverse("regions:enterprise_create"),
        {"name": "山西新丙有限公司", "credit_code": make_credit_code(9001, "141102")},
    )
    assert response.status_code == 302
    assert Enterprise.objects.get(name="山西新丙有限公司").county == world.county_a
    before = _state(world)
    response = client.post(
        reverse("regions:enterprise_create"),
        {
            "name": "山西外县有限公司",
            "credit_code": make_credit_code(9002, "141181"),
            "county": world.county_b.pk,
        },
    )
    assert (
        response.status_code == 200 and "只能登记注册地在本辖区的企业" in response.content.decode()
    )
    assert _state(world) == before
    for role in ("leader", "enterprise", "admin", "auditor"):
        assert (
            login(world.user(role)).post(reverse("regions:enterprise_create"), {}).status_code
            == 403
        )
