"""Writing a year's assessment: opening the year with its scheme, and the units' inputs."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from sanpi.accounts.roles import Cap
from sanpi.core.errors import Conflict
from sanpi.core.services import require

from . import engine
from .models import SchemeYear
from .schemes import SCHEMES
from .selectors import check_scheme_key


def scheme_year_open(*, by, key: str, year: int) -> SchemeYear:
    """The year's assessment, begun with a copy of sanpi's scheme if it was not yet."""
    require(by, Cap.MANAGE_TARGETS)
    check_scheme_key(key)
    row = SchemeYear.objects.filter(scheme=key, year=year).first()
    if row is not None:
        return row
    scheme = SCHEMES[key]
    try:
        with transaction.atomic():
            return SchemeYear.objects.create(
                scheme=key, year=year, name=scheme.name, definition=engine.scheme_data(scheme)
            )
    except IntegrityError:  # begun at the same moment by someone else
        return SchemeYear.objects.get(scheme=key, year=year)


def check_open(row: SchemeYear) -> None:
    if row.state != SchemeYear.State.OPEN:
        raise Conflict(f"{row}已{row.get_state_display().removeprefix('已')}，不能再修改数据")
