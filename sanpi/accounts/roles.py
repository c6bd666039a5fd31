"""Roles and what each may do. Pure: no Django imports.

Least privilege (等保三级): the system administrator manages accounts but sees no
business data; the audit administrator reads (and exports) the audit log and nothing
else; leaders read everything and change nothing, except that a leader on a visit
may raise a problem (问题闭环).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CITY_OFFICE = "city_office"
    LEADER = "leader"
    COUNTY = "county"
    ZONE = "zone"
    ENTERPRISE = "enterprise"
    ADMIN = "admin"
    AUDITOR = "auditor"
    DEPARTMENT = "department"
    AGENT = "agent"
    BANK = "bank"


ROLE_LABELS: dict[Role, str] = {
    Role.CITY_OFFICE: "市项目办",
    Role.LEADER: "领导",
    Role.COUNTY: "县(市、区)",
    Role.ZONE: "开发区",
    Role.ENTERPRISE: "企业",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "审计管理员",
    Role.DEPARTMENT: "部门",
    Role.AGENT: "代办员",
    Role.BANK: "银行",
}


class Cap(StrEnum):
    """Capabilities. Row scope is separate (core.scope); these say *what kind* of act."""

    VIEW_LEDGER = "view_ledger"  # read projects, enterprises, zones, activities, reports
    CHANGE_LEDGER = "change_ledger"  # create/edit projects and enterprises, move stages
    MANAGE_ZONES = "manage_zones"  # create/edit development zones
    MANAGE_ACTIVITIES = "manage_activities"  # create/edit "三个一批" activities
    ENTER_ACTIVITY = "enter_activity"  # put own projects into an activity
    IMPORT_LEDGER = "import_ledger"
    EXPORT_LEDGER = "export_ledger"
    VIEW_AUDIT = "view_audit"  # the whole audit log
    EXPORT_AUDIT = "export_audit"  # the audit log (filtered) as .xlsx, itself audited
    AUDIT_ARCHIVE = "audit_archive"  # archive rows past retention to a signed file (then purge)
    MANAGE_USERS = "manage_users"
    # Approvals (sanpi.approvals). Departments and agents read approvals, not the ledger.
    VIEW_APPROVALS = "view_approvals"  # catalogue, project approvals, overdue lists, reports
    PLAN_APPROVALS = "plan_approvals"  # put items on a project, application date, department, agent
    DECIDE_APPROVALS = "decide_approvals"  # record acceptance and decision of an item
    MANAGE_CATALOGUE = "manage_catalogue"  # edit the catalogue, its materials, the departments
    MANAGE_AGENCY = "manage_agency"  # the 全代办 service's steps
    EVALUATE_AGENCY = "evaluate_agency"  # the company's evaluation of the 全代办 service
    MANAGE_COMMITMENTS = "manage_commitments"  # 承诺制 commitments and their fulfilment
    MANAGE_CALENDAR = "manage_calendar"  # enter/correct the official holiday schedule
    MANAGE_JOBS = "manage_jobs"  # the background jobs' list and the schedules (operators)
    # Monthly dispatch (sanpi.dispatch).
    FILE_REPORTS = "file_reports"  # fill in and submit a project's monthly report
    REVIEW_REPORTS = "review_reports"  # accept or return submitted reports; annual plans
    CLOSE_MONTHS = "close_months"  # close a reporting month, reopen a report, set deadlines
    # Targets and the monthly ranking (sanpi.targets).
    MANAGE_TARGETS = "manage_targets"  # units' annual targets, the ranking's weights and cap
    # Health by rules (sanpi.health).
    MANAGE_HEALTH_RULES = "manage_health_rules"  # the health rules' thresholds
    # Problems' closed loop, liaison and visits (sanpi.problems).
    VIEW_PROBLEMS = "view_problems"  # the problem ledger, a problem's page, figures
    RAISE_PROBLEMS = "raise_problems"  # raise a problem of a project in scope
    HANDLE_PROBLEMS = "handle_problems"  # analyse, assign (交办), escalate, withdraw
    WORK_PROBLEMS = "work_problems"  # as the responsible unit: feedback, claim solved
    MANAGE_PROBLEM_RULES = "manage_problem_rules"  # the SLA policies; leaders' liaison
    RECORD_VISITS = "record_visits"  # the enterprise service team's visits
    # 政银企对接 (sanpi.finance).
    VIEW_FINANCE = "view_finance"  # meetings, a project's finance, the loans report, banks
    RECORD_LENDING = "record_lending"  # credit granted and loans disbursed (a bank: its own)
    # Assessment (sanpi.assessment).
    ENTER_ASSESSMENT = "enter_assessment"  # the inputs of a scheme the user's unit assesses


_LEDGER_READ = {Cap.VIEW_LEDGER, Cap.EXPORT_LEDGER, Cap.VIEW_FINANCE}
_LEDGER_WRITE = {Cap.CHANGE_LEDGER, Cap.ENTER_ACTIVITY, Cap.IMPORT_LEDGER}
_REPORTS = {Cap.FILE_REPORTS, Cap.REVIEW_REPORTS}
_PROBLEMS_LOCAL = {
    Cap.VIEW_PROBLEMS,
    Cap.RAISE_PROBLEMS,
    Cap.HANDLE_PROBLEMS,
    Cap.WORK_PROBLEMS,
    Cap.RECORD_VISITS,
}

_APPROVALS_LOCAL = {
    Cap.VIEW_APPROVALS,
    Cap.PLAN_APPROVALS,
    Cap.MANAGE_AGENCY,
    Cap.MANAGE_COMMITMENTS,
}

ROLE_CAPS: dict[Role, frozenset[Cap]] = {
    Role.CITY_OFFICE: frozenset(
        _LEDGER_READ
        | _LEDGER_WRITE
        | {Cap.MANAGE_ZONES, Cap.MANAGE_ACTIVITIES, Cap.MANAGE_CALENDAR}
        | _APPROVALS_LOCAL
        | {Cap.DECIDE_APPROVALS, Cap.MANAGE_CATALOGUE}
        | _REPORTS
        | {Cap.CLOSE_MONTHS, Cap.MANAGE_TARGETS, Cap.MANAGE_HEALTH_RULES}
        | _PROBLEMS_LOCAL
        | {Cap.MANAGE_PROBLEM_RULES, Cap.ENTER_ASSESSMENT, Cap.RECORD_LENDING}
    ),
    # Leaders change nothing, except that a leader on a visit may raise a problem.
    Role.LEADER: frozenset(
        _LEDGER_READ | {Cap.VIEW_APPROVALS, Cap.VIEW_PROBLEMS, Cap.RAISE_PROBLEMS}
    ),
    Role.COUNTY: frozenset(
        _LEDGER_READ | _LEDGER_WRITE | _APPROVALS_LOCAL | _REPORTS | _PROBLEMS_LOCAL
    ),
    # The zone files on its enterprises' behalf; the county reviews.
    Role.ZONE: frozenset(
        _LEDGER_READ | _LEDGER_WRITE | _APPROVALS_LOCAL | {Cap.FILE_REPORTS} | _PROBLEMS_LOCAL
    ),
    # The enterprise raises its problems and says whether it is satisfied (CONFIRM).
    Role.ENTERPRISE: frozenset(
        _LEDGER_READ
        | {Cap.VIEW_APPROVALS, Cap.EVALUATE_AGENCY, Cap.FILE_REPORTS}
        | {Cap.VIEW_PROBLEMS, Cap.RAISE_PROBLEMS}
    ),
    Role.ADMIN: frozenset({Cap.MANAGE_USERS, Cap.MANAGE_CALENDAR, Cap.MANAGE_JOBS}),
    # 三员分立: only the audit administrator reads or exports the log, never the system
    # administrator who manages the accounts it records.
    Role.AUDITOR: frozenset({Cap.VIEW_AUDIT, Cap.EXPORT_AUDIT, Cap.AUDIT_ARCHIVE}),
    # A department officer processes their department's items (and the commitments made
    # on them); an agent runs the approvals of the projects that commissioned them.
    # As a responsible unit it works on the problems assigned to it.
    Role.DEPARTMENT: frozenset(
        {Cap.VIEW_APPROVALS, Cap.DECIDE_APPROVALS, Cap.MANAGE_COMMITMENTS}
        | {Cap.VIEW_PROBLEMS, Cap.WORK_PROBLEMS}
        # An assessor (人行, 银保监, 金融办 …) enters the inputs a scheme names it for.
        | {Cap.ENTER_ASSESSMENT}
    ),
    Role.AGENT: frozenset({Cap.VIEW_APPROVALS, Cap.PLAN_APPROVALS, Cap.MANAGE_AGENCY}),
    # A bank's officer sees the projects their bank signed with at a 政银企 meeting (their
    # needs, and the bank's own signings, credit and loans) and records the bank's credit
    # and loans on them. No ledger, no other bank's figures.
    Role.BANK: frozenset({Cap.VIEW_FINANCE, Cap.RECORD_LENDING}),
}

# Which scope dimension binds a role; None = sees all business data (if it may view it).
ROLE_DIMENSION: dict[Role, str | None] = {
    Role.CITY_OFFICE: None,
    Role.LEADER: None,
    Role.COUNTY: "county",
    Role.ZONE: "zone",
    Role.ENTERPRISE: "enterprise",
    Role.ADMIN: None,
    Role.AUDITOR: None,
    Role.DEPARTMENT: "department",  # the items their department handles
    Role.AGENT: "agent",  # the projects whose 全代办 service they are commissioned for
    Role.BANK: "bank",  # the projects their bank signed with
}

# The scope dimensions that a user bound to a dimension sees only one value of: a county
# officer's projects lie in one county; a zone officer's in one zone of one county; an
# enterprise sees only its own projects. Filtering by such a dimension tells them nothing,
# so pages leave those filters out.
_PINNED: dict[str, frozenset[str]] = {
    "county": frozenset({"county"}),
    "zone": frozenset({"county", "zone"}),
    "enterprise": frozenset({"county", "zone", "enterprise"}),
}


def pinned_dimensions(dimension: str | None) -> frozenset[str]:
    """The dimensions a scope bound to `dimension` fixes (none for users who see all)."""
    return _PINNED.get(dimension or "", frozenset())
