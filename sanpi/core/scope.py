"""Row-level scope, enforced in one place.

A user either sees everything (city office, leaders, administrators) or is bound to
one *scope dimension* (county, zone, enterprise, …) and one value (the id of their
county, zone, enterprise). A model says how each dimension reaches it with
``scope_paths``: a mapping from dimension to one or more lookup paths, ORed::

    class Project(models.Model):
        scope_paths = {"county": ("county",), "zone": ("zone",), "enterprise": ("enterprise",)}

A dimension missing from a model's ``scope_paths`` sees none of it. Selectors call
`restrict()` for every read; services call `ensure_in_scope()` before every write.
No domain knowledge lives here.
"""

from __future__ import annotations

from typing import Protocol

from django.db import models
from django.db.models import Q, QuerySet

from .errors import NotFound


class ScopedUser(Protocol):
    @property
    def sees_all(self) -> bool: ...
    @property
    def scope_dimension(self) -> str | None: ...
    @property
    def scope_value(self) -> int | None: ...


def scope_q(user: ScopedUser, model: type[models.Model]) -> Q | None:
    """The filter that limits `model` to the user's scope; None means no limit.

    Public models (``scope_public = True``) are unlimited; whether the user may read
    business data at all is a capability, checked by the caller.
    """
    if user.sees_all or getattr(model, "scope_public", False):
        return None
    dimension = user.scope_dimension
    paths = getattr(model, "scope_paths", {}).get(dimension or "", ())
    if not paths or user.scope_value is None:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= Q(**{path: user.scope_value})
    return q


def restrict(qs: QuerySet, user: ScopedUser) -> QuerySet:
    q = scope_q(user, qs.model)
    if q is None:
        return qs
    paths = getattr(qs.model, "scope_paths", {}).get(user.scope_dimension or "", ())
    if not all(single_valued(qs.model, p) for p in paths):
        # Multi-valued paths would duplicate rows; filter by a subquery instead.
        return qs.filter(pk__in=qs.model._default_manager.filter(q).values("pk"))
    # Forward foreign keys only (item → project → county): a plain join, which the
    # database can drive from the scope's side instead of walking every row.
    return qs.filter(q)


def single_valued(model: type[models.Model], path: str) -> bool:
    """Whether a lookup path reaches at most one row per row of `model` (it follows only
    forward foreign keys and one-to-one fields), so filtering on it duplicates nothing."""
    current = model
    for name in path.split("__"):
        if name == "pk":
            return True
        try:
            field = current._meta.get_field(name)
        except Exception:
            return False
        if not field.is_relation:
            return True  # a column of the row reached so far
        if not (field.many_to_one or field.one_to_one) or field.auto_created:
            return False  # a reverse or many-to-many relation: many rows
        current = field.related_model
    return True


def in_scope(user: ScopedUser, obj: models.Model) -> bool:
    if user.sees_all or getattr(type(obj), "scope_public", False):
        return True
    paths = getattr(type(obj), "scope_paths", {}).get(user.scope_dimension or "", ())
    if not paths or user.scope_value is None:
        return False
    for path in paths:
        if path == "pk":
            if obj.pk == user.scope_value:
                return True
        elif "__" not in path:
            field = type(obj)._meta.get_field(path)
            if getattr(obj, field.attname) == user.scope_value:
                return True
        elif _reaches(obj, path, user.scope_value):
            return True
    return False


def _reaches(obj: models.Model, path: str, value) -> bool:
    """Whether a multi-hop path from `obj` reaches `value`, judged on the object as it is now.

    A path that starts with a foreign key (``county__zones``) follows the key the object
    holds now, possibly changed and not yet saved; a reverse relation (``projects__zone``)
    can only be judged on the stored rows.
    """
    first, rest = path.split("__", 1)
    field = type(obj)._meta.get_field(first)
    if field.many_to_one or field.one_to_one and field.concrete:
        key = getattr(obj, field.attname)
        return key is not None and (
            field.related_model._default_manager.filter(pk=key, **{rest: value}).exists()
        )
    return (
        obj.pk is not None
        and type(obj)._default_manager.filter(pk=obj.pk, **{path: value}).exists()
    )


def ensure_in_scope(user: ScopedUser, obj: models.Model) -> None:
    """Raise NotFound (not 'forbidden': out-of-scope objects don't exist for the user)."""
    if not in_scope(user, obj):
        raise NotFound()
