"""The web UI as a whole: every page for every role, navigation, error pages, audit log, filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from sanpi.core import audit
from sanpi.core.audit import audit_context
from sanpi.core.models import AuditLog
from sanpi.core.rates import Rate
from sanpi.core.tests.api import EVERY_ROLE
from sanpi.indicators.tests.walk import PAGES as INDICATOR_PAGES

ROLES = EVERY_ROLE
READERS = {"city_office", "leader", "county", "zone", "enterprise"}
# Approvals: departments and agents read approvals (scoped), not the ledger.
APPROVAL_READERS = READERS | {"department", "agent"}
FINANCE_READERS = READERS | {"bank"}  # 政银企: a bank's officer too (its signed projects)
PLANNERS = {"city_office", "county", "zone", "agent"}
WRITERS = {"city_office", "county", "zone"}
CITY = {"city_office", "leader"}  # who sees county B's objects
ALL = set(ROLES)


# Objects that exist only for their owner (the county officer's own import job).
OWNER = frozenset({"county"})


def _status(
    role: str, allowed: set[str], *, visible: set[str] | None = None, readers=READERS
) -> int:
    """200 for allowed roles; 404 when the object is out of the role's scope; else 403."""
    if visible is not None and role not in visible and (role in readers or visible is OWNER):
        return 404
    return 200 if role in allowed else 403


# (url name, kwargs builder, roles allowed, roles that can see the object or None)
def _job(w):
    """A rejected ledger import of the county officer's, with its marked file."""
    from sanpi.core.models import Job

    job = Job.objects.create(
        kind="ledger",
        user=w.user("county"),
        filename="台账.xlsx",
        status="rejected",
        errors=["第2行 项目名称（B列）: 必填"],
        marked_file=b"PK",
    )
    return {"pk": job.pk}


def _meeting(w) -> int:
    """A 政银企 meeting with one bank (made once per world)."""
    from sanpi.finance.models import Bank, Meeting, Signing

    meeting = Meeting.objects.filter(title="走查对接会").first()
    if meeting is None:
        meeting = Meeting.objects.create(date=dt.date(2026, 3, 1), title="走查对接会")
        bank = Bank.objects.get_or_create(name="走查银行")[0]  # the world's bank user's
        meeting.banks.add(bank)
        meeting.enterprises.add(w.enterprise_a, w.enterprise_b)
        # The bank signed with project A: its officer reaches A, not B.
        Signing.objects.create(meeting=meeting, bank=bank, project=w.project_a, amount_wan=100)
    return meeting.pk


def _export_job(w):
    """A finished export of the county officer's, with its file."""
    from sanpi.core.models import Job

    job = Job.objects.create(
        kind="ledger_export",
        user=w.user("county"),
        status="done",
        message="已导出1个项目",
        result_file=b"PK",
        result_name="项目台账.xlsx",
    )
    return {"pk": job.pk}


def _webhook(w):
    from sanpi.notifications.models import Webhook

    hook = Webhook.objects.create(
        county=w.county_b,
        format="wecom",
        url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
    )
    return {"pk": hook.pk}


def _report_b(w):
    """Project B (county B) started in 2026: it owes October's report."""
    import datetime as dt

    from sanpi.projects.models import Project

    Project.objects.filter(pk=w.project_b.pk).update(
        stage="started", signed_date=dt.date(2026, 1, 5), started_date=dt.date(2026, 3, 1)
    )
    return {"year": 2026, "month": 10, "project": w.project_b.pk}


def _photo_b(w):
    """A site photo on project B's October report (a tiny JPEG, written directly)."""
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    from sanpi.dispatch.models import MonthlyReport, ReportPhoto

    _report_b(w)
    report = MonthlyReport.objects.create(
        project=w.project_b, year=2026, month=10, investment_wan=0, progress_percent=0
    )
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "JPEG")
    photo = ReportPhoto(report=report, width=4, height=4, size=len(buf.getvalue()))
    photo.file.save("b.jpg", ContentFile(buf.getvalue()), save=True)
    return {"pk": photo.pk}


def _aw(w):
    from sanpi.approvals.tests.factories import approvals_world

    return approvals_world(w)


# Approvals (sanpi/approvals): item A is in every local role's scope (the department
# user's unit handles it, the agent is commissioned for project A); item A2 is another
# department's; county B's item B and project B are the city's only.
APPROVAL_PAGES = [
    ("approvals:item_list", None, APPROVAL_READERS, None),
    ("approvals:overdue", None, APPROVAL_READERS, None),
    ("approvals:report", None, APPROVAL_READERS, None),
    ("approvals:ledger_export", None, APPROVAL_READERS, None),
    ("approvals:item_detail", lambda w: {"pk": _aw(w).item_a.pk}, APPROVAL_READERS, None),
    (
        "approvals:item_detail",
        lambda w: {"pk": _aw(w).item_a2.pk},
        APPROVAL_READERS,
        APPROVAL_READERS - {"department"},
    ),
    ("approvals:item_detail", lambda w: {"pk": _aw(w).item_b.pk}, APPROVAL_READERS, CITY),
    ("approvals:item_edit", lambda w: {"pk": _aw(w).item_a.pk}, PLANNERS, None),
    ("approvals:item_edit", lambda w: {"pk": _aw(w).item_b.pk}, {"city_office"}, CITY),
    ("approvals:project", lambda w: {"pk": w.project_a.pk}, APPROVAL_READERS, None),
    ("approvals:project", lambda w: {"pk": w.project_b.pk}, APPROVAL_READERS, CITY),
    (
        "approvals:project_notice",
        lambda w: {"pk": w.project_a.pk, "fmt": "xlsx"},
        APPROVAL_READERS,
        None,
    ),
    (
        "approvals:project_notice",
        lambda w: {"pk": w.project_b.pk, "fmt": "docx"},
        APPROVAL_READERS,
        CITY,
    ),
    ("approvals:commitments", None, APPROVAL_READERS, None),
    ("approvals:credit_export", None, APPROVAL_READERS, None),
    ("approvals:catalogue", None, APPROVAL_READERS, None),
    ("approvals:track", lambda w: {"pk": _aw(w).full.pk}, APPROVAL_READERS, None),
    (
        "approvals:track_notice",
        lambda w: {"pk": _aw(w).full.pk, "fmt": "docx"},
        APPROVAL_READERS,
        None,
    ),
    ("approvals:catalogue_item_create", lambda w: {"pk": _aw(w).full.pk}, {"city_office"}, None),
    ("approvals:catalogue_item_edit", lambda w: {"pk": _aw(w).permit.pk}, {"city_office"}, None),
    ("approvals:department_list", None, APPROVAL_READERS, None),
    ("approvals:department_create", None, {"city_office"}, None),
    ("approvals:department_edit", lambda w: {"pk": _aw(w).dept_b.pk}, {"city_office"}, None),
]


# Problems' figures, exports, leaders' liaison and visits (sanpi/problems/service_views.py):
# the figures and the 督办 notice for every problems reader (departments too), the joint
# meeting's export for the city, leaders, counties and zones; the leaders' and visits' pages
# for the ledger's readers; liaison the city office's, visits recorded by the writers.
def _assigned_problem(w):
    """Problem A, assigned to zone A's department: every problems reader sees it."""
    from sanpi.problems.tests.factories import make_problem

    if getattr(w, "assigned_problem", None) is None:
        w.assigned_problem = make_problem(w, state="assigned")
    return {"pk": w.assigned_problem.pk}


def _liaison_b(w):
    """The world's leader liaises project B (county B)."""
    from sanpi.problems.models import Liaison

    liaison, _ = Liaison.objects.get_or_create(
        leader=w.user("leader"), project=w.project_b, since=dt.date(2020, 1, 1)
    )
    return {"pk": liaison.pk}


PROBLEM_SERVICE_PAGES = [
    ("problems:figures", None, READERS | {"department"}, None),
    ("problems:export", None, WRITERS | {"leader"}, None),
    ("problems:notice", _assigned_problem, READERS | {"department"}, None),
    ("problems:leaders", None, READERS, None),
    ("problems:leader", lambda w: {"user_pk": w.user("leader").pk}, READERS, None),
    ("problems:liaison_new", None, {"city_office"}, None),
    ("problems:liaison_end", _liaison_b, {"city_office"}, None),
    ("problems:visits", None, READERS, None),
    ("problems:visit_new", None, WRITERS, None),
]


def _pw(w):
    """Problems A (county A, assigned to zone A's department) and B (county B), once."""
    from sanpi.problems.tests.factories import problems_state

    if getattr(w, "problems", None) is None:
        w.problems = problems_state(w)
    return w.problems


def _attachment_b(w):
    """A PDF on problem B's latest note (written directly)."""
    from django.core.files.base import ContentFile

    from sanpi.problems.models import Attachment

    event = _pw(w).b.events.order_by("pk").last()
    found = Attachment(event=event, name="纪要.pdf", content_type="application/pdf", size=9)
    found.file.save("b.pdf", ContentFile(b"%PDF-1.4\n"), save=True)
    return {"pk": _pw(w).b.pk, "file_pk": found.pk}


def _policy(w):
    from sanpi.problems.models import Policy

    return {"pk": Policy.objects.get(code="13710", current=True).pk}


# The problem ledger and a problem's loop (sanpi/problems/views.py): readers include the
# departments (the problems assigned to them); problem A is in every reader's scope,
# problem B (county B) in the city's only.
PROBLEM_READERS = {"city_office", "leader", "county", "zone", "enterprise", "department"}
RAISERS = {"city_office", "leader", "county", "zone", "enterprise"}
PROBLEM_PAGES = [
    ("problems:list", None, PROBLEM_READERS, None),
    ("problems:board", None, PROBLEM_READERS, None),
    ("problems:raise", None, RAISERS, None),
    ("problems:detail", lambda w: {"pk": _pw(w).a.pk}, PROBLEM_READERS, None),
    ("problems:detail", lambda w: {"pk": _pw(w).b.pk}, PROBLEM_READERS, CITY),
    ("problems:attachment", _attachment_b, PROBLEM_READERS, CITY),
    ("problems:policies", None, PROBLEM_READERS, None),
    ("problems:policy_edit", _policy, {"city_office"}, None),
]

PAGES = [
    ("cockpit:home", None, ALL, None),
    ("ledger:import", None, WRITERS, None),
    ("ledger:template", None, WRITERS, None),
    ("ledger:export", None, READERS, None),
    ("ledger:job", _job, OWNER, OWNER),
    ("ledger:job_progress", _job, OWNER, OWNER),
    ("ledger:marked", _job, OWNER, OWNER),
    ("core:job", _export_job, OWNER, OWNER),
    ("core:job_status", _export_job, OWNER, OWNER),
    ("core:job_download", _export_job, OWNER, OWNER),
    ("core:job_admin", None, {"admin"}, None),
    ("core:schedules", None, {"admin"}, None),
    ("dispatch:home", None, READERS, None),
    ("dispatch:month", lambda w: {"year": 2026, "month": 10}, READERS, None),
    ("dispatch:report", _report_b, READERS, CITY),
    ("dispatch:sheet", lambda w: {"year": 2026, "month": 10}, WRITERS | {"enterprise"}, None),
    ("core:job_marked", _job, OWNER, OWNER),
    ("dispatch:photo", _photo_b, READERS, CITY),
    # Targets and the monthly ranking (sanpi.targets): published to every ledger reader.
    ("targets:ranking", None, READERS, None),
    ("targets:bulletin", None, READERS, None),
    ("targets:bulletin_file", lambda w: {"fmt": "docx"}, READERS, None),
    ("targets:bulletin_file", lambda w: {"fmt": "xlsx"}, READERS, None),
    ("targets:target_list", lambda w: {"year": 2025}, READERS, None),
    (
        "targets:target_edit",
        lambda w: {"year": 2025, "kind": "county", "pk": w.county_b.pk},
        {"city_office"},
        None,
    ),
    ("targets:target_import", lambda w: {"year": 2025}, {"city_office"}, None),
    ("targets:target_template", lambda w: {"year": 2025}, {"city_office"}, None),
    # 政银企对接 (sanpi.finance): meetings public, a project's finance follows the project;
    # a bank's officer reaches the projects their bank signed with (A, not B).
    ("finance:index", None, FINANCE_READERS, None),
    ("finance:meeting_new", None, {"city_office"}, None),
    ("finance:meeting", lambda w: {"pk": _meeting(w)}, FINANCE_READERS, None),
    ("finance:project", lambda w: {"pk": (_meeting(w), w.project_a.pk)[1]}, FINANCE_READERS, None),
    ("finance:project", lambda w: {"pk": w.project_b.pk}, FINANCE_READERS, CITY),
    ("finance:report", None, FINANCE_READERS, None),
    ("finance:banks", None, FINANCE_READERS, None),
    # Assessment (sanpi.assessment): public to ledger readers; data entered by the city office.
    ("assessment:index", None, READERS | {"department"}, None),  # departments may assess
    ("assessment:results", lambda w: {"key": "bank", "year": 2025}, READERS, None),
    ("assessment:results_xlsx", lambda w: {"key": "bank", "year": 2025}, READERS, None),
    ("assessment:results_docx", lambda w: {"key": "bank", "year": 2025}, READERS, None),
    ("assessment:template", lambda w: {"key": "bank", "year": 2025}, {"city_office"}, None),
    ("assessment:import", lambda w: {"key": "bank", "year": 2025}, {"city_office"}, None),
    ("assessment:scheme", lambda w: {"key": "bank", "year": 2025}, READERS, None),
    ("assessment:entry", lambda w: {"key": "bank", "year": 2025}, {"city_office"}, None),
    ("assessment:classes_xlsx", lambda w: {"key": "mujun", "year": 2025}, READERS, None),
    ("targets:scheme_list", None, READERS, None),
    ("targets:scheme_create", None, {"city_office"}, None),
    ("notifications:list", None, ALL, None),
    ("notifications:preferences", None, ALL, None),
    ("notifications:webhook_list", None, {"admin"}, None),
    ("notifications:webhook_create", None, {"admin"}, None),
    ("notifications:webhook_edit", _webhook, {"admin"}, None),
    ("core:schedule_edit", lambda w: {"name": "approvals_scan"}, {"admin"}, None),
    # Health by rules (sanpi.health): the three lists, the rules, a project's evaluation.
    ("health:overview", None, READERS, None),
    ("health:rules", None, READERS, None),
    ("health:list", lambda w: {"key": "normal"}, READERS, None),
    ("health:list", lambda w: {"key": "lagging"}, READERS, None),
    ("health:list", lambda w: {"key": "stalled"}, READERS, None),
    ("health:export", lambda w: {"key": "stalled"}, READERS, None),
    ("health:project", lambda w: {"pk": w.project_a.pk}, READERS, None),
    ("health:project", lambda w: {"pk": w.project_b.pk}, READERS, CITY),
    ("cockpit:rates", None, READERS, None),
    ("cockpit:board", None, READERS, None),
    ("cockpit:board_data", None, READERS, None),
    ("cockpit:warning_rules", None, READERS, None),
    ("cockpit:warnings_export", None, READERS, None),
    ("cockpit:activity_bulletin", lambda w: {"pk": w.activity.pk}, READERS, None),
    ("projects:list", None, READERS, None),
    ("projects:create", None, WRITERS, None),
    ("projects:bulk_add", None, WRITERS, None),
    ("projects:activity_candidates", lambda w: {"pk": w.activity.pk}, WRITERS, None),
    ("projects:planned_export", lambda w: {"pk": w.activity.pk, "fmt": "xlsx"}, READERS, None),
    ("projects:planned_export", lambda w: {"pk": w.activity.pk, "fmt": "docx"}, READERS, None),
    ("projects:detail", lambda w: {"pk": w.project_a.pk}, READERS, None),
    ("projects:detail", lambda w: {"pk": w.project_b.pk}, READERS, CITY),
    ("projects:edit", lambda w: {"pk": w.project_a.pk}, WRITERS, None),
    ("projects:edit", lambda w: {"pk": w.project_b.pk}, {"city_office"}, CITY),
    ("projects:advance", lambda w: {"pk": w.project_a.pk}, WRITERS, None),
    ("projects:advance", lambda w: {"pk": w.project_b.pk}, {"city_office"}, CITY),
    ("projects:health", lambda w: {"pk": w.project_a.pk}, WRITERS, None),
    ("projects:health", lambda w: {"pk": w.project_b.pk}, {"city_office"}, CITY),
    ("projects:activity_list", None, READERS, None),
    ("projects:activity_create", None, {"city_office"}, None),
    ("projects:activity_detail", lambda w: {"pk": w.activity.pk}, READERS, None),
    ("projects:activity_edit", lambda w: {"pk": w.activity.pk}, {"city_office"}, None),
    ("regions:enterprise_list", None, READERS, None),
    ("regions:enterprise_create", None, WRITERS, None),
    ("regions:enterprise_detail", lambda w: {"pk": w.enterprise_a.pk}, READERS, None),
    ("regions:enterprise_detail", lambda w: {"pk": w.enterprise_b.pk}, READERS, CITY),
    ("regions:enterprise_edit", lambda w: {"pk": w.enterprise_a.pk}, WRITERS, None),
    ("regions:enterprise_edit", lambda w: {"pk": w.enterprise_b.pk}, {"city_office"}, CITY),
    ("regions:zone_list", None, READERS, None),
    ("regions:zone_create", None, {"city_office"}, None),
    ("regions:zone_detail", lambda w: {"pk": w.zone_a.pk}, READERS, None),
    ("regions:zone_detail", lambda w: {"pk": w.zone_b.pk}, READERS, CITY),
    ("regions:zone_edit", lambda w: {"pk": w.zone_a.pk}, {"city_office"}, None),
    ("regions:zone_edit", lambda w: {"pk": w.zone_b.pk}, {"city_office"}, CITY),
    ("regions:county_list", None, READERS, None),
    ("accounts:me", None, ALL, None),
    ("accounts:two_factor", None, ALL, None),
    ("accounts:user_list", None, {"admin"}, None),
    ("accounts:user_create", None, {"admin"}, None),
    ("core:audit_log", None, {"auditor"}, None),
    ("core:audit_export", None, {"auditor"}, None),
    ("core:audit_head", None, {"auditor"}, None),
    *APPROVAL_PAGES,
    *PROBLEM_SERVICE_PAGES,
    *PROBLEM_PAGES,
    *INDICATOR_PAGES,  # sanpi/indicators/tests/walk.py
    ("core:calendar", None, ALL, None),  # every role may compute working days
]
# POST-only routes, exercised by the app tests (named here so the walk below knows them).
POST_ONLY = {
    "assessment:state",  # walked in the scope walk and assessment/tests/test_views.py
    "assessment:compute",  # walked in the scope walk and assessment/tests/test_zone.py
    "ledger:remap",  # walked in projects/tests/test_io_views.py (anyone else's job: 404)
    "accounts:logout",
    "accounts:change_password",
    "accounts:set_email",
    "accounts:create_token",
    "accounts:user_unlock",
    "accounts:user_set_active",
    "accounts:user_reset_two_factor",
    "accounts:revoke_token",
    "projects:activity_add",
    "projects:activity_remove_entry",
    "projects:planned_confirm",
    "projects:planned_withdraw",
    "projects:activity_confirm_all",
    "projects:activity_delete",
    "approvals:item_accept",
    "approvals:item_decide",
    "approvals:item_remove",
    "approvals:commitment_create",
    "approvals:commitment_fulfil",
    "approvals:project_add_items",
    "approvals:agency_step",
    "approvals:material_add",
    "approvals:material_remove",
    "core:calendar_days_set",
    "core:calendar_day_remove",
    "core:calendar_year_set",
    "core:job_retry",
    "core:audit_archive",  # the audit administrator's: core/tests/test_audit_archive.py
    "dispatch:close",
    "dispatch:deadline",
    "dispatch:review",
    "dispatch:reopen",
    "dispatch:plan",
    "dispatch:sheet_upload",
    "dispatch:photo_add",
    "dispatch:photo_remove",
    "health:override_clear",
    "health:evaluate",
    "notifications:open",
    "notifications:read_all",
    "notifications:webhook_set_enabled",
    "problems:move",  # walked in problems/tests/test_views.py and the scope walk
    "problems:from_report",
}
# Pages that send the user on (a background job's page, the current month), which must open.
STARTS_A_JOB = {
    "dispatch:home",
    "dispatch:sheet",
    "ledger:export",
    "cockpit:activity_bulletin",
    "targets:bulletin_file",
    "core:audit_export",
    "approvals:ledger_export",
    "problems:export",
}
PUBLIC = {"accounts:login", "accounts:login_otp"}  # the two steps of signing in
UI_NAMESPACES = (
    "cockpit",
    "projects",
    "regions",
    "accounts",
    "core",
    "ledger",
    "approvals",
    "notifications",
    "dispatch",
    "health",
    "assessment",
    "finance",
    "targets",
    "problems",
    "indicators",
)


def _route_names() -> set[str]:
    names: set[str] = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace in UI_NAMESPACES:
            for pattern in entry.url_patterns:
                if isinstance(pattern, URLPattern) and pattern.name:
                    names.add(f"{entry.namespace}:{pattern.name}")
    return names


def test_every_ui_route_is_walked():
    walked = {name for name, *_ in PAGES} | POST_ONLY | PUBLIC
    assert _route_names() - walked == set(), "add the new page to PAGES with its roles"


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(world, login, role):
    client = login(world.user(role))
    failures = []
    for name, kwargs, allowed, visible in PAGES:
        url = reverse(name, kwargs=kwargs(world) if kwargs else None)
        readers = (
            APPROVAL_READERS
            if name.startswith("approvals:")
            else PROBLEM_READERS
            if name.startswith("problems:")
            else FINANCE_READERS
            if name.startswith("finance:")
            else READERS
        )
        expected = _status(role, allowed, visible=visible, readers=readers)
        response = client.get(url)
        if name in STARTS_A_JOB and response.status_code == 302:
            response = client.get(response.url)
        if response.status_code != expected:
            failures.append(f"{url}: {response.status_code}, expected {expected}")
        elif (
            expected == 200
            and response["Content-Type"].startswith("text/html")
            and not name.endswith(("job_progress", "job_status", "activity_candidates"))
        ):
            assert "三批 · 开发区项目平台" in response.content.decode()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (
            "city_office",
            [
                "首页",
                "项目台账",
                "企业",
                "开发区",
                "县(市、区)",
                "三个一批活动",
                "开工投产率",
                "我的账号",
            ],
            ["审计日志", "用户管理"],
        ),
        ("leader", ["项目台账", "开工投产率", "我的账号"], ["审计日志", "用户管理", "Excel导入"]),
        ("enterprise", ["项目台账", "我的账号"], ["Excel导入", "审计日志", "用户管理"]),
        ("admin", ["首页", "用户管理", "我的账号"], ["项目台账", "审计日志", "Excel导入"]),
        ("auditor", ["首页", "审计日志", "我的账号"], ["项目台账", "用户管理", "Excel导入"]),
    ],
)
def test_navigation_shows_only_what_the_role_may_use(world, login, role, shown, hidden):
    html = login(world.user(role)).get("/").content.decode()
    nav = html[html.index('aria-label="主导航"') : html.index("</nav>")]
    for label in shown:
        assert f">{label}</a>" in nav, label
    for label in hidden:
        assert f">{label}</a>" not in nav, label


def test_navigation_offers_the_excel_import_to_those_who_may_import(world, login):
    try:
        url = reverse("ledger:import")
    except NoReverseMatch:
        pytest.skip("the ledger import page is not there yet")
    for role in ("city_office", "county", "zone"):
        html = login(world.user(role)).get("/").content.decode()
        assert f'href="{url}">Excel导入</a>' in html


def test_error_pages_speak_chinese(world, login):
    client = login(world.user("county"))
    response = client.get(reverse("projects:detail", kwargs={"pk": world.project_b.pk}))
    assert response.status_code == 404
    assert "对象不存在或不在您的权限范围内" in response.content.decode()
    response = client.get(reverse("core:audit_log"))
    assert response.status_code == 403
    assert "您没有权限执行此操作" in response.content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    response = client.get(reverse("projects:list"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/projects/")


# --- audit log -------------------------------------------------------------------------


def _rows(html: str) -> int:
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return body.count("<tr>")


def test_audit_log_lists_every_row_with_changes_and_filters(world, login):
    city = world.user("city_office")
    with audit_context("web", ip="10.1.2.3"):
        audit.record(
            user=city,
            action="update",
            obj=world.project_a,
            before={"name": "旧名称", "health": "normal", "county": world.county_a.pk},
            after={"name": "新名称", "health": "lagging", "county": world.county_b.pk},
        )
    client = login(world.user("auditor"))
    html = client.get(reverse("core:audit_log")).content.decode()
    assert "10.1.2.3" in html
    assert "项目名称" in html and "旧名称" in html and "新名称" in html
    assert "正常推进" in html and "进度滞后" in html  # choices by their labels
    assert "离石区" in html and "孝义市" in html  # foreign keys by name

    html = client.get(reverse("core:audit_log"), {"action": "update"}).content.decode()
    assert _rows(html) == AuditLog.objects.filter(action="update").count() == 1
    html = client.get(
        reverse("core:audit_log"), {"object_type": "projects.project", "username": "city"}
    ).content.decode()
    assert _rows(html) == 1
    html = client.get(reverse("core:audit_log"), {"username": "nobody"}).content.decode()
    assert "暂无记录" in html
    today = dt.date.today()
    html = client.get(
        reverse("core:audit_log"),
        {"date_from": (today + dt.timedelta(days=2)).isoformat()},
    ).content.decode()
    assert "暂无记录" in html
    html = client.get(reverse("core:audit_log"), {"date_from": "不是日期"}).content.decode()
    assert "起始日期" in html and "输入一个有效的日期" in html


def test_audit_log_query_count_does_not_grow_with_rows(world, login, django_assert_max_num_queries):
    client = login(world.user("auditor"))
    city = world.user("city_office")

    def add(n):
        for i in range(n):
            audit.record(
                user=city,
                action="update",
                obj=world.project_a,
                before={"zone": world.zone_a.pk, "enterprise": world.enterprise_a.pk},
                after={"zone": world.zone_b.pk, "enterprise": world.enterprise_b.pk, "i": i},
            )

    add(5)
    # 14: the page's own, plus the auditor's second-factor device (django-otp, per request),
    # plus three for the archive section (its list, the chain's boundary, the oldest row).
    with django_assert_max_num_queries(14):
        assert client.get(reverse("core:audit_log")).status_code == 200
    add(60)
    with django_assert_max_num_queries(14):
        html = client.get(reverse("core:audit_log")).content.decode()
    assert "孝义经济开发区" in html and "山西乙装备有限公司" in html


# --- template filters ------------------------------------------------------------------


def _render(text: str, **context) -> str:
    return Template("{% load sanpi_tags %}" + text).render(Context(context))


def test_money_filters():
    assert _render("{{ v|wan }}", v=Decimal("1234567.8")) == "1,234,567.80"
    assert _render("{{ v|wan }}", v=None) == ""
    assert _render("{{ v|wan|default:'—' }}", v=None) == "—"
    assert _render("{{ v|yi }}", v=Decimal("108420.00")) == "10.84"
    assert _render("{{ v|yi }}", v=Decimal("12345678.00")) == "1,234.57"
    assert _render("{{ v|yi }}", v=Decimal("50.00")) == "0.01"  # half-up


def test_rate_filters():
    assert _render("{{ r|rate }}", r=Rate(15, 16)) == "93.8%（15/16）"
    assert _render("{{ r|pct }}", r=Rate(15, 16)) == "93.8%"
    assert _render("{{ r|rate }}", r=Rate(0, 0)) == "—（0/0）"
    assert (
        _render("{{ r|rate }}", r=Rate(Decimal("97.40"), Decimal("100.00")))
        == "97.4%（97.40/100.00）"
    )


def test_can_filter(world):
    assert _render('{% if u|can:"change_ledger" %}yes{% endif %}', u=world.user("county")) == "yes"
    assert _render('{% if u|can:"change_ledger" %}yes{% endif %}', u=world.user("leader")) == ""
