"""Writes for zones and enterprises. Each runs in one transaction with its audit row."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.scope import ensure_in_scope, in_scope
from sanpi.core.services import apply_fields, require, save_update, validate_instance

from .models import DevelopmentZone, Enterprise
from .rules import normalize_credit_code

ZONE_FIELDS = ("name", "short_name", "level", "county", "area_km2")
ENTERPRISE_FIELDS = ("name", "credit_code", "county", "contact", "phone", "above_size_since")


@transaction.atomic
def zone_create(*, by, **data) -> DevelopmentZone:
    require(by, Cap.MANAGE_ZONES)
    zone = DevelopmentZone()
    apply_fields(zone, ZONE_FIELDS, data)
    validate_instance(zone)
    zone.save()
    audit.record(user=by, action="create", obj=zone, after=audit.snapshot(zone))
    return zone


@transaction.atomic
def zone_update(*, by, zone: DevelopmentZone, **data) -> DevelopmentZone:
    require(by, Cap.MANAGE_ZONES)
    before = audit.snapshot(zone)
    apply_fields(zone, ZONE_FIELDS, data)
    validate_instance(zone)
    save_update(by=by, instance=zone, before=before)
    return zone


def _check_above_size_since(enterprise: Enterprise) -> None:
    day = enterprise.above_size_since
    if day is not None and day > timezone.localdate():
        raise ValidationFailed.of("above_size_since", "上规日期不能晚于今天")


@transaction.atomic
def enterprise_create(*, by, **data) -> Enterprise:
    require(by, Cap.CHANGE_LEDGER)
    if "credit_code" in data and data["credit_code"]:
        data["credit_code"] = normalize_credit_code(data["credit_code"])
    enterprise = Enterprise()
    apply_fields(enterprise, ENTERPRISE_FIELDS, data)
    if enterprise.county_id is None and by.scope_dimension == "county":
        enterprise.county_id = by.county_id
    elif enterprise.county_id is None and by.scope_dimension == "zone":
        enterprise.county_id = by.zone.county_id
    if not in_scope(by, enterprise):
        # It would vanish from the user's own view until it has a project with them.
        raise ValidationFailed.of(
            "county",
            "只能登记注册地在本辖区的企业；外地企业请在Excel导入项目台账时随项目一并登记，"
            "或请市项目办登记",
        )
    _check_above_size_since(enterprise)
    validate_instance(enterprise)
    enterprise.save()
    audit.record(user=by, action="create", obj=enterprise, after=audit.snapshot(enterprise))
    return enterprise


MASTER_DATA_REFUSAL = (
    "企业基本信息由其注册地县(市、区)或市项目办维护；您的项目涉及该企业，可以查看，不能修改"
)


def may_edit_enterprise(user, enterprise: Enterprise) -> bool:
    """Who keeps an enterprise's master data: the city office, the county it is registered
    in, and a zone of that county whose projects are all of the enterprise's projects (an
    enterprise based in the zone). Seeing an enterprise because one's project names it
    (a project in another county, an import naming it) gives no right to change it."""
    if not user.can(Cap.CHANGE_LEDGER) or not in_scope(user, enterprise):
        return False
    if user.sees_all:
        return True
    dimension = user.scope_dimension
    if dimension == "county":
        return enterprise.county_id == user.county_id
    if dimension == "zone":
        if enterprise.county_id != user.zone.county_id:
            return False
        return not enterprise.projects.exclude(zone_id=user.zone_id).exists()
    return False


@transaction.atomic
def enterprise_update(*, by, enterprise: Enterprise, **data) -> Enterprise:
    require(by, Cap.CHANGE_LEDGER)
    ensure_in_scope(by, enterprise)
    if not may_edit_enterprise(by, enterprise):
        raise PermissionDenied(MASTER_DATA_REFUSAL)
    if data.get("credit_code"):
        data["credit_code"] = normalize_credit_code(data["credit_code"])
    before = audit.snapshot(enterprise)
    apply_fields(enterprise, ENTERPRISE_FIELDS, data)
    ensure_in_scope(by, enterprise)  # can't move an enterprise out of one's own scope
    _check_above_size_since(enterprise)
    validate_instance(enterprise)
    save_update(by=by, instance=enterprise, before=before)
    return enterprise
