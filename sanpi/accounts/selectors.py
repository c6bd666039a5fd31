"""Reads for account pages: the user list (system administrator) and one's own tokens."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from sanpi.core.errors import NotFound
from sanpi.core.services import require
from sanpi.regions.models import County, Department, DevelopmentZone, Enterprise

from .models import ApiToken, User
from .roles import Cap


def user_list(*, by, q: str = "") -> QuerySet[User]:
    require(by, Cap.MANAGE_USERS)
    qs = User.objects.select_related("county", "zone", "enterprise", "department", "bank").order_by(
        "username"
    )
    if q:
        qs = qs.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    return qs


def user_get(*, by, pk: int) -> User:
    try:
        return user_list(by=by).get(pk=pk)
    except User.DoesNotExist:
        raise NotFound() from None


def api_token_list(*, user) -> QuerySet[ApiToken]:
    """One's own API tokens (never anyone else's)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def api_token_get(*, user, pk: int) -> ApiToken:
    try:
        return api_token_list(user=user).get(pk=pk)
    except ApiToken.DoesNotExist:
        raise NotFound() from None


# The units an account can be bound to. The system administrator sees no business data,
# so only the reference names of counties and zones, and an enterprise by its credit code.


def scope_counties(*, by) -> QuerySet[County]:
    require(by, Cap.MANAGE_USERS)
    return County.objects.order_by("code")


def scope_zones(*, by) -> QuerySet[DevelopmentZone]:
    require(by, Cap.MANAGE_USERS)
    return DevelopmentZone.objects.select_related("county").order_by("county__code", "name")


def scope_departments(*, by) -> QuerySet[Department]:
    require(by, Cap.MANAGE_USERS)
    return Department.objects.order_by("level", "name")


def scope_banks(*, by):
    from sanpi.finance.selectors import bank_list

    require(by, Cap.MANAGE_USERS)
    return bank_list()


def scope_enterprise(*, by, credit_code: str) -> Enterprise | None:
    require(by, Cap.MANAGE_USERS)
    return Enterprise.objects.filter(credit_code=credit_code.strip().upper()).first()
