"""Shared fixtures: one user per role, with an in-scope world and an out-of-scope one.

``world`` builds two counties' worth of data: county A (离石区, with zone A and
enterprise A's project) is the scope of the county/zone/enterprise users; county B
(孝义市) holds objects none of them may see.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings

from sanpi.accounts.models import User
from sanpi.accounts.tests.factories import TEST_PASSWORD, UserFactory
from sanpi.core.tests.triggers import install_flush_patch
from sanpi.projects.models import Activity, Project
from sanpi.projects.tests.factories import ActivityFactory, ProjectFactory
from sanpi.regions.models import County, Department, DevelopmentZone, Enterprise
from sanpi.regions.tests.factories import EnterpriseFactory, ZoneFactory


@pytest.fixture(scope="session", autouse=True)
def _audit_log_flushable():
    """Transactional tests (live_server, backups) end with a flush that the audit log's
    append-only triggers refuse; suspend them for that flush only (core/tests/triggers.py)."""
    install_flush_patch()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": str(tmp_path),
        }
    }
    settings.MEDIA_ROOT = tmp_path / "media"
    # Background jobs run inside the call that starts them; the tests of the real worker
    # (core/tests/test_worker.py) use the database queue and worker processes.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class World:
    county_a: County
    county_b: County
    zone_a: DevelopmentZone
    zone_b: DevelopmentZone
    enterprise_a: Enterprise
    enterprise_b: Enterprise
    project_a: Project  # in county A, zone A, enterprise A
    project_b: Project  # in county B, zone B, enterprise B
    activity: Activity
    users: dict[str, User]
    department_a: Department | None = None  # zone A's 行政审批局: the department user's unit

    def user(self, role: str) -> User:
        return self.users[role]


def _walk_bank():
    from sanpi.finance.models import Bank

    return Bank.objects.get_or_create(name="走查银行")[0]


@pytest.fixture
def world(db) -> World:
    county_a = County.objects.get(code="141102")
    county_b = County.objects.get(code="141181")
    zone_a = ZoneFactory(name="吕梁经济技术开发区", short_name="吕梁经开区", county=county_a)
    zone_b = ZoneFactory(name="孝义经济开发区", short_name="孝义开发区", county=county_b)
    enterprise_a = EnterpriseFactory(name="山西甲材料有限公司", county=county_a)
    enterprise_b = EnterpriseFactory(name="山西乙装备有限公司", county=county_b)
    project_a = ProjectFactory(
        name="甲新材料项目", enterprise=enterprise_a, county=county_a, zone=zone_a
    )
    project_b = ProjectFactory(
        name="乙装备制造项目", enterprise=enterprise_b, county=county_b, zone=zone_b
    )
    activity = ActivityFactory(year=2021, sequence=4)
    department_a = Department.objects.create(
        name="吕梁经开区行政审批局", kind="approval", level="zone", zone=zone_a
    )
    users = {
        "city_office": UserFactory(username="city", role="city_office"),
        "leader": UserFactory(username="leader", role="leader"),
        "county": UserFactory(username="county_a", role="county", county=county_a),
        "zone": UserFactory(username="zone_a", role="zone", zone=zone_a),
        "enterprise": UserFactory(username="ent_a", role="enterprise", enterprise=enterprise_a),
        "admin": UserFactory(username="sysadmin", role="admin"),
        "auditor": UserFactory(username="auditor", role="auditor"),
        # Approvals (sanpi/approvals/tests/factories.approvals_world adds their items).
        "department": UserFactory(username="dept_a", role="department", department=department_a),
        "agent": UserFactory(username="agent_a", role="agent"),
        # 政银企: an officer of the walk's bank (core/tests/test_views._meeting signs it
        # with project A, not B).
        "bank": UserFactory(username="bank_a", role="bank", bank=_walk_bank()),
    }
    return World(
        county_a,
        county_b,
        zone_a,
        zone_b,
        enterprise_a,
        enterprise_b,
        project_a,
        project_b,
        activity,
        users,
        department_a=department_a,
    )


@pytest.fixture
def login(client):
    """Log a user in through the real login form; returns the client."""

    def _login(user: User):
        from sanpi.accounts.tests.factories import needs_second_factor, totp_code

        code = totp_code(user) if needs_second_factor(user) else None  # enrols if needed
        response = client.post(
            "/accounts/login/", {"username": user.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 302, response.content.decode()[:500]
        if code is not None:  # the second step, as the administrators sign in
            assert response.url == "/accounts/login/otp/", response.url
            response = client.post("/accounts/login/otp/", {"code": code})
            assert response.status_code == 302, response.content.decode()[:500]
        return client

    return _login


__all__ = ["settings", "TEST_PASSWORD"]
