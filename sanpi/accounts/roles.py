"""Roles and what each may do. Pure: no Django imports.

Least privilege (等保三级): the system administrator manages accounts but sees no
business data; the audit administrator reads the audit log and nothing else; leaders
read everything and change nothing.
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


ROLE_LABELS: dict[Role, str] = {
    Role.CITY_OFFICE: "市项目办",
    Role.LEADER: "领导",
    Role.COUNTY: "县(市、区)",
    Role.ZONE: "开发区",
    Role.ENTERPRISE: "企业",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "审计管理员",
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
    MANAGE_USERS = "manage_users"


_LEDGER_READ = {Cap.VIEW_LEDGER, Cap.EXPORT_LEDGER}
_LEDGER_WRITE = {Cap.CHANGE_LEDGER, Cap.ENTER_ACTIVITY, Cap.IMPORT_LEDGER}

ROLE_CAPS: dict[Role, frozenset[Cap]] = {
    Role.CITY_OFFICE: frozenset(
        _LEDGER_READ | _LEDGER_WRITE | {Cap.MANAGE_ZONES, Cap.MANAGE_ACTIVITIES}
    ),
    Role.LEADER: frozenset(_LEDGER_READ),
    Role.COUNTY: frozenset(_LEDGER_READ | _LEDGER_WRITE),
    Role.ZONE: frozenset(_LEDGER_READ | _LEDGER_WRITE),
    Role.ENTERPRISE: frozenset(_LEDGER_READ),
    Role.ADMIN: frozenset({Cap.MANAGE_USERS}),
    Role.AUDITOR: frozenset({Cap.VIEW_AUDIT}),
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
}
