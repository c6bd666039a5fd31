"""Reading a year's assessment: its scheme and every unit's score, computed on read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sanpi.core.errors import NotFound

from . import engine
from .models import SchemeYear, UnitEntry
from .schemes import SCHEMES


def check_scheme_key(key: str) -> str:
    if key not in SCHEMES:
        names = "、".join(f"{k}（{s.name}）" for k, s in SCHEMES.items())
        raise NotFound(f"没有考核方案“{key[:20]}”（现有：{names}）")
    return key


def scheme_year_find(key: str, year: int) -> SchemeYear | None:
    check_scheme_key(key)
    return SchemeYear.objects.filter(scheme=key, year=year).first()


def scheme_of(row: SchemeYear | None, key: str) -> engine.Scheme:
    """The year's scheme as stored, or sanpi's default for a year not yet begun."""
    if row is None:
        return SCHEMES[check_scheme_key(key)]
    return engine.scheme_from_data(row.definition)


def unit_input(scheme: engine.Scheme, entry: UnitEntry) -> engine.UnitInput:
    values: dict[str, Decimal | str | None] = {}
    for i in scheme.inputs:
        raw = entry.values.get(i.key)
        if i.kind == engine.Kind.TEXT:
            values[i.key] = raw or ""
        else:
            values[i.key] = None if raw in (None, "") else Decimal(raw)
    return engine.UnitInput(entry.unit, values, entry.group, entry.notes)


def scores(key: str, year: int) -> tuple[engine.Scheme, list[engine.UnitScore]]:
    """The year's units scored and ranked by its scheme (none yet: an empty list)."""
    row = scheme_year_find(key, year)
    scheme = scheme_of(row, key)
    if row is None:
        return scheme, []
    entries = list(UnitEntry.objects.filter(scheme_year=row).order_by("pk"))
    units = [unit_input(scheme, e) for e in entries]
    if key == "mujun":
        units = _with_ledger_defaults(units)
    return scheme, engine.score(scheme, units)


def _with_ledger_defaults(units: list[engine.UnitInput]) -> list[engine.UnitInput]:
    """亩均: an enterprise's land left empty is the sum of its projects' land, and its
    group left empty the group of its projects (`sources.mujun_defaults`)."""
    from .sources import mujun_defaults

    missing = [u.name for u in units if u.values.get("land") is None or not u.group]
    if not missing:
        return units
    defaults = mujun_defaults(missing)
    out = []
    for u in units:
        d = defaults.get(u.name, {})
        values = dict(u.values)
        if values.get("land") is None and d.get("land") is not None:
            values["land"] = Decimal(d["land"])
        out.append(engine.UnitInput(u.name, values, u.group or d.get("group", ""), u.notes))
    return out


def scores_json(key: str, year: int) -> dict:
    """`sanpi assessment score --json`: numbers as strings."""
    scheme, ranked = scores(key, year)
    return {
        "scheme": key,
        "year": year,
        "units": [
            {
                "name": u.name,
                "rank": u.rank,
                "total": str(u.total),
                "vetoed": u.vetoed,
                "veto": u.veto,
                "items": [
                    {
                        "key": i.key,
                        "name": i.name,
                        "value": None if i.value is None else str(i.value),
                        "best": None if i.best is None else str(i.best),
                        "points": str(i.points),
                        "note": i.note,
                    }
                    for i in u.items
                ],
            }
            for u in ranked
        ],
    }


@dataclass(frozen=True)
class Results:
    """A year's results as the pages and documents show them."""

    key: str
    year: int
    scheme: engine.Scheme
    row: SchemeYear | None
    units: list[engine.UnitScore]
    consequences: dict[str, list[str]]
    groups: list[str]  # the indicator groups, in order (增量, 扩面 …; 加分 last)

    @property
    def title(self) -> str:
        return f"{self.year}年度{self.scheme.name}结果"

    def group_points(self, u: engine.UnitScore) -> list[Decimal]:
        return [sum((i.points for i in u.items if i.group == g), Decimal(0)) for g in self.groups]


def results(key: str, year: int) -> Results:
    """The year's scores, ranks and consequences (last year's results for 约谈)."""
    scheme, ranked = scores(key, year)
    # Last year's places only when a consequence needs them (约谈: two years running).
    last = None
    if any(c.kind == "bottom_running" for c in scheme.consequences):
        _, last = scores(key, year - 1)
    groups: list[str] = []
    for ind in scheme.indicators:
        if ind.group not in groups:
            groups.append(ind.group)
    consequences = engine.consequences(scheme, ranked, last or None)
    if scheme.classes:  # 亩均: each unit's class, first
        for name, label in engine.classes(ranked, scheme.classes).items():
            consequences[name] = [label, *consequences.get(name, [])]
    return Results(
        key=key,
        year=year,
        scheme=scheme,
        row=scheme_year_find(key, year),
        units=ranked,
        consequences=consequences,
        groups=groups,
    )


def years_of(key: str) -> list[SchemeYear]:
    return list(SchemeYear.objects.filter(scheme=check_scheme_key(key)).order_by("-year"))


def published_class(enterprise_name: str):
    """The enterprise's 亩均 class in the latest locked year: (year, class) or None."""
    from .models import UnitResult

    found = (
        UnitResult.objects.filter(
            unit=enterprise_name, scheme_year__scheme="mujun",
            scheme_year__state=SchemeYear.State.LOCKED,
        )
        .select_related("scheme_year")
        .order_by("-scheme_year__year")
        .first()
    )  # fmt: skip
    if found is None or not found.labels:
        return None
    return found.scheme_year.year, found.labels[0]
