"""Reading a year's assessment: its scheme, every unit's score computed from the inputs
(`scores`, what scoring stores), and the stored results the pages and documents read
(`results`, `result_rows`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sanpi.core.errors import NotFound

from . import engine
from .models import SchemeYear, UnitEntry, UnitResult
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


def entry_find(row: SchemeYear | None, unit: str) -> UnitEntry | None:
    """A unit's stored inputs in the year, by its exact name (None: none yet)."""
    if row is None or not unit:
        return None
    return UnitEntry.objects.filter(scheme_year=row, unit=unit[:100]).first()


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
    """`sanpi assessment score --json`: the stored results, numbers as strings."""
    ranked = results(key, year).units
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


def indicator_groups(scheme: engine.Scheme) -> list[str]:
    groups: list[str] = []
    for ind in scheme.indicators:
        if ind.group not in groups:
            groups.append(ind.group)
    return groups


def computed(row: SchemeYear) -> Results:
    """The year scored from its inputs now, with the consequences: what scoring stores.
    约谈 (bottom two years running) compares with last year's stored results, as published."""
    scheme, ranked = scores(row.scheme, row.year)
    last = None
    if any(c.kind == "bottom_running" for c in scheme.consequences):
        before = scheme_year_find(row.scheme, row.year - 1)
        last = stored_units(before) if before is not None else None
        if before is not None and not last:  # never scored: from its inputs
            last = scores(row.scheme, row.year - 1)[1]
    consequences = engine.consequences(scheme, ranked, last or None)
    if scheme.classes:  # 亩均: each unit's class, first
        for name, label in engine.classes(ranked, scheme.classes).items():
            consequences[name] = [label, *consequences.get(name, [])]
    return Results(
        row.scheme, row.year, scheme, row, ranked, consequences, indicator_groups(scheme)
    )


# --- the stored results ---------------------------------------------------------------


def _text(d: Decimal | None) -> str | None:
    return None if d is None else str(d)


def _dec(s: str | None) -> Decimal | None:
    return None if s is None else Decimal(s)


def item_data(i: engine.Item) -> dict:
    return {
        "key": i.key, "name": i.name, "group": i.group, "max": str(i.max_points),
        "bonus": i.bonus, "value": _text(i.value), "best": _text(i.best),
        "points": str(i.points), "note": i.note,
        "inputs": {k: _text(v) for k, v in i.inputs.items()},
    }  # fmt: skip


def _item(d: dict) -> engine.Item:
    return engine.Item(
        key=d["key"], name=d["name"], group=d["group"], max_points=Decimal(d["max"]),
        bonus=d["bonus"], value=_dec(d["value"]), best=_dec(d["best"]),
        points=Decimal(d["points"]), note=d["note"],
        inputs={k: _dec(v) for k, v in d["inputs"].items()},
    )  # fmt: skip


def unit_score(r: UnitResult) -> engine.UnitScore:
    return engine.UnitScore(
        r.unit, r.group, [_item(d) for d in r.items], r.regular, r.bonus, r.total, r.veto, r.rank
    )


def result_rows(row: SchemeYear | None, q: str = ""):
    """The year's stored results in ranking order (a query: the page takes one page of it),
    narrowed to the units whose name contains `q`."""
    if row is None:
        return UnitResult.objects.none()
    qs = UnitResult.objects.filter(scheme_year=row).order_by("position")
    return qs.filter(unit__icontains=q.strip()[:100]) if q.strip() else qs


class RankedRows:
    """A year's stored ranking as the page's paginator reads it: a page is a range of
    positions (an index range, however deep the page: no OFFSET walk) and the count is the
    one stored when the year was scored (no COUNT over the year per request)."""

    def __init__(self, row: SchemeYear) -> None:
        self.row = row

    def count(self) -> int:
        return self.row.scored_units

    def __getitem__(self, bounds: slice) -> list[UnitResult]:
        rows = UnitResult.objects.filter(
            scheme_year=self.row, position__gt=bounds.start, position__lte=bounds.stop
        )
        return list(rows.order_by("position"))


def ranking_rows(row: SchemeYear | None, q: str = ""):
    """What the results page pages through: the whole ranking by position, or the units
    whose name contains `q` (PostgreSQL: a trigram index serves the search)."""
    if row is None:
        return UnitResult.objects.none()
    return result_rows(row, q) if q.strip() else RankedRows(row)


def stored_units(row: SchemeYear) -> list[engine.UnitScore]:
    return [unit_score(r) for r in result_rows(row)]


def results(key: str, year: int) -> Results:
    """The year's stored results, ranks and consequences: every unit (the documents)."""
    row = scheme_year_find(key, year)
    scheme = scheme_of(row, key)
    rows = list(result_rows(row))
    return Results(
        key=key,
        year=year,
        scheme=scheme,
        row=row,
        units=[unit_score(r) for r in rows],
        consequences={r.unit: r.labels for r in rows if r.labels},
        groups=indicator_groups(scheme),
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
