"""Reads for counties, zones and enterprises, always limited to the user's scope."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from sanpi.accounts.roles import Cap
from sanpi.core.errors import NotFound
from sanpi.core.scope import restrict
from sanpi.core.services import require

from .models import County, DevelopmentZone, Enterprise


def project_count(user, model) -> Coalesce:
    """Each row's projects *that the user may see* (a zone or enterprise can hold projects
    outside a scoped user's view), as a subquery to annotate with."""
    relation = model._meta.get_field("projects")
    fk = relation.field.name
    projects = restrict(relation.related_model.objects.filter(**{fk: OuterRef("pk")}), user)
    counted = projects.order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def county_list(*, user) -> QuerySet[County]:
    require(user, Cap.VIEW_LEDGER)
    return restrict(County.objects.all(), user)


def zone_list(*, user, with_counts: bool = False) -> QuerySet[DevelopmentZone]:
    """The zones the user may see. ``with_counts`` adds each zone's project count: for the
    zones page and API only; dropdowns and lookups must not count a whole table."""
    require(user, Cap.VIEW_LEDGER)
    qs = restrict(DevelopmentZone.objects.select_related("county"), user)
    return qs.annotate(project_count=project_count(user, DevelopmentZone)) if with_counts else qs


def zone_get(*, user, pk: int, with_counts: bool = True) -> DevelopmentZone:
    try:
        return zone_list(user=user, with_counts=with_counts).get(pk=pk)
    except DevelopmentZone.DoesNotExist:
        raise NotFound() from None


def enterprise_list(*, user, q: str = "") -> QuerySet[Enterprise]:
    require(user, Cap.VIEW_LEDGER)
    qs = restrict(Enterprise.objects.select_related("county"), user)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__icontains=q.upper()))
    return qs.annotate(project_count=project_count(user, Enterprise))


def enterprise_get(*, user, pk: int) -> Enterprise:
    try:
        return enterprise_list(user=user).get(pk=pk)
    except Enterprise.DoesNotExist:
        raise NotFound() from None
