"""The assessment engine (考核评价): a scheme of weighted indicators scored for a set of
units, as pure functions. No Django.

A scheme (`Scheme`) names the raw inputs each unit has (`Input`), the values derived from
them by formulas (`Derived`: never typed, always computed), and the indicators
(`Indicator`) that turn a value into points by one method:

* **best** (相对最优): the best unit gets the maximum; the others max × value ÷ best. A value
  ≤ 0 scores 0; if the best is ≤ 0, everyone scores 0.
* **target** (对标目标): max × min(value ÷ target, cap); no target (none or ≤ 0) scores 0.
* **bands** (分档): the points of the highest band the value reaches.
* **entered** (评定打分): the points the assessors gave, up to the maximum, with a reason.

Bonus indicators add on top of the regular ones (up to the scheme's bonus maximum). A veto
(一票否决: a reason entered) puts the unit after every other unit whatever its points.

Points per indicator are rounded half-up to 2 decimals and the total is the sum of the
rounded points; units are ranked by total, descending, equal totals sharing a rank
(1, 2, 2, 4: `targets.rules.rank_with_ties`, the monthly ranking's own function), vetoed
units after all the others (sharing the rank after the last of them). When the scheme
compares within groups (`Scheme.peer_group`: the 亩均 scheme's industry groups), the best
is found among the unit's own group.

Every score carries its breakdown: each indicator's raw inputs, its value, the best value
it was compared with, its points and, where it scored 0 for a reason, the reason.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sanpi.targets.rules import rank_with_ties, round_points

ZERO = Decimal(0)


class Method(StrEnum):
    BEST = "best"
    TARGET = "target"
    BANDS = "bands"
    ENTERED = "entered"


METHOD_LABELS = {
    Method.BEST: "相对最优",
    Method.TARGET: "对标目标",
    Method.BANDS: "分档计分",
    Method.ENTERED: "评定打分",
}


class Kind(StrEnum):
    """What an input holds, which says how it is read from a cell or a form."""

    AMOUNT = "amount"  # 万元, two decimals
    COUNT = "count"  # a whole number
    PERCENT = "percent"  # a percentage, e.g. 4.35 for 4.35%
    NUMBER = "number"  # any decimal (亩, 吨标准煤 …)
    YESNO = "yesno"  # 是/否 → 1/0
    POINTS = "points"  # points given by assessors (entered indicators)
    TEXT = "text"  # a reason (the veto)


@dataclass(frozen=True)
class Input:
    key: str
    name: str  # the template's column header
    kind: Kind
    assessor: str = ""  # who enters it (人行, 银保监, 金融办 …); "" for anyone
    maximum: Decimal | None = None  # for POINTS: the most that may be given


@dataclass(frozen=True)
class Derived:
    key: str
    name: str
    formula: str  # arithmetic over input and derived keys: + - * / ( ), numbers


@dataclass(frozen=True)
class Band:
    at_least: Decimal
    points: Decimal


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    group: str  # e.g. 增量
    max_points: Decimal
    method: Method
    value: str  # the input or derived key it scores
    bonus: bool = False
    target: str = ""  # TARGET: the input key holding the unit's target
    cap: Decimal = Decimal(1)  # TARGET: completion counted up to this
    bands: tuple[Band, ...] = ()  # BANDS, any order


@dataclass(frozen=True)
class Consequence:
    """What the scheme does with places: ``top`` (the first n: an honour) or
    ``bottom_running`` (the last n this year and last year: 约谈)."""

    kind: str
    n: int
    label: str


@dataclass(frozen=True)
class Scheme:
    key: str
    name: str
    inputs: tuple[Input, ...]
    derived: tuple[Derived, ...]
    indicators: tuple[Indicator, ...]
    veto: str = ""  # the TEXT input whose reason vetoes the unit
    bonus_max: Decimal | None = None  # the bonus indicators' points together, at most
    peer_group: bool = False  # the best is found within each unit's group
    unit_label: str = "单位名称"  # what the template's first column calls a unit
    consequences: tuple[Consequence, ...] = ()
    classes: tuple[tuple[str, Decimal], ...] = ()  # (class, share of places), best first

    def input(self, key: str) -> Input:
        for i in self.inputs:
            if i.key == key:
                return i
        raise KeyError(key)

    def label(self, key: str) -> str:
        for item in (*self.inputs, *self.derived):
            if item.key == key:
                return item.name
        return key


# --- formulas ---------------------------------------------------------------------------


class FormulaError(ValueError):
    pass


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Constant, ast.Load,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)  # fmt: skip


def parse_formula(formula: str, known: set[str]) -> ast.Expression:
    """A formula as a syntax tree, checked: only + - * / ( ), numbers and known keys."""
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"公式“{formula}”无法识别") from exc
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise FormulaError(f"公式“{formula}”只能使用加减乘除、括号、数字和指标代码")
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise FormulaError(f"公式“{formula}”中有不能计算的常量")
        if isinstance(node, ast.Name) and node.id not in known:
            raise FormulaError(f"公式“{formula}”中的“{node.id}”不是本方案的数据项")
    return tree


@dataclass(frozen=True)
class Value:
    """A value with, when it could not be computed, why (None value)."""

    value: Decimal | None
    reason: str = ""


def evaluate(tree: ast.Expression, values: Mapping[str, Value], labels: Mapping[str, str]) -> Value:
    """Evaluate a checked formula exactly. A missing input makes the result missing; a
    division whose denominator is zero or negative makes it missing with the reason."""

    def ev(node) -> Decimal:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value))
        if isinstance(node, ast.Name):
            v = values[node.id]
            if v.value is None:
                raise _Missing(v.reason or f"缺少“{labels.get(node.id, node.id)}”")
            return v.value
        if isinstance(node, ast.UnaryOp):
            x = ev(node.operand)
            return -x if isinstance(node.op, ast.USub) else x
        left, right = ev(node.left), ev(node.right)
        if isinstance(node.op, ast.Add):
            return left + right
        if isinstance(node.op, ast.Sub):
            return left - right
        if isinstance(node.op, ast.Mult):
            return left * right
        if right <= 0:
            raise _Missing(
                f"分母“{_text(node.right, labels)}”为{num_text(right)}（零或负数），不能计算"
            )
        return left / right

    try:
        return Value(ev(tree))
    except _Missing as exc:
        return Value(None, str(exc))


class _Missing(Exception):
    pass


def _text(node, labels) -> str:
    if isinstance(node, ast.Name):
        return labels.get(node.id, node.id)
    return ast.unparse(node)


def num_text(d: Decimal) -> str:
    return format(d.normalize(), "f") if d == d.to_integral() else str(d)


# --- scoring ------------------------------------------------------------------------------


@dataclass
class Item:
    """One indicator's line in a unit's breakdown."""

    key: str
    name: str
    group: str
    max_points: Decimal
    bonus: bool
    value: Decimal | None
    best: Decimal | None  # BEST: the best value it was compared with
    points: Decimal
    note: str = ""  # why it scored 0 (or how it was given)
    inputs: dict[str, Decimal | None] = field(default_factory=dict)


@dataclass
class UnitScore:
    name: str
    group: str
    items: list[Item]
    regular: Decimal
    bonus: Decimal
    total: Decimal
    veto: str = ""
    rank: int | None = None

    @property
    def vetoed(self) -> bool:
        return bool(self.veto)


@dataclass(frozen=True)
class UnitInput:
    name: str
    values: Mapping[str, Decimal | str | None]  # by input key; TEXT inputs are str
    group: str = ""  # the peer group (亩均: the industry group)
    notes: Mapping[str, str] = field(default_factory=dict)  # ENTERED points' reasons


@dataclass(frozen=True)
class _Plan:
    """What a scheme's formulas need, worked out once per scoring rather than per unit:
    the parsed formulas, the labels, and each indicator's raw inputs."""

    trees: tuple[tuple[str, ast.Expression], ...]  # derived key → parsed formula, in order
    labels: Mapping[str, str]
    sources: Mapping[str, tuple[str, ...]]  # indicator key → the raw inputs it comes from


def _plan(scheme: Scheme) -> _Plan:
    known = {i.key for i in scheme.inputs if i.kind != Kind.TEXT}
    trees = []
    for d in scheme.derived:
        trees.append((d.key, parse_formula(d.formula, known)))
        known.add(d.key)
    labels = {x.key: x.name for x in (*scheme.inputs, *scheme.derived)}
    return _Plan(tuple(trees), labels, {i.key: _sources(scheme, i) for i in scheme.indicators})


def unit_values(scheme: Scheme, unit: UnitInput, plan: _Plan | None = None) -> dict[str, Value]:
    """The unit's inputs and every derived value, in the scheme's order."""
    plan = plan or _plan(scheme)
    values: dict[str, Value] = {}
    for i in scheme.inputs:
        raw = unit.values.get(i.key)
        if i.kind == Kind.TEXT:
            continue
        values[i.key] = Value(
            None if raw is None or raw == "" else Decimal(raw),
            "" if raw not in (None, "") else f"未填写“{i.name}”",
        )
    for key, tree in plan.trees:
        values[key] = evaluate(tree, values, plan.labels)
    return values


def _best(values: Sequence[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _points(
    ind: Indicator, v: Value, best: Decimal | None, target: Value | None
) -> tuple[Decimal, str]:
    """(points before rounding, the reason when 0) of one indicator for one unit."""
    top = ind.max_points
    if v.value is None:
        return ZERO, v.reason or "无数据"
    value = v.value
    if ind.method == Method.BEST:
        if best is None or best <= 0:
            return ZERO, f"被考核单位中的最优值为{num_text(best or ZERO)}（不大于0），均得0分"
        if value <= 0:
            return ZERO, f"本单位数值为{num_text(value)}（不大于0），得0分"
        return top * value / best, ""
    if ind.method == Method.TARGET:
        if target is None or target.value is None or target.value <= 0:
            return ZERO, "没有目标（未下达或不大于0），得0分"
        if value <= 0:
            return ZERO, f"本单位数值为{num_text(value)}（不大于0），得0分"
        return top * min(value / target.value, ind.cap), ""
    if ind.method == Method.BANDS:
        reached = [b for b in ind.bands if value >= b.at_least]
        if not reached:
            return ZERO, "未达到最低档"
        band = max(reached, key=lambda b: b.at_least)
        return min(band.points, top), ""
    # ENTERED: the value is the points (checked against the maximum when entered).
    return min(max(value, ZERO), top), ""


def score(scheme: Scheme, units: Sequence[UnitInput]) -> list[UnitScore]:
    """Score and rank the units; the result in rank order (vetoed last)."""
    plan = _plan(scheme)
    per_unit = [unit_values(scheme, u, plan) for u in units]
    groups = [u.group if scheme.peer_group else "" for u in units]
    out: list[UnitScore] = []
    bests: dict[tuple[str, str], Decimal | None] = {}
    for ind in scheme.indicators:
        if ind.method != Method.BEST:
            continue
        for g in set(groups):
            bests[(ind.key, g)] = _best(
                [
                    vals[ind.value].value
                    for vals, gg in zip(per_unit, groups, strict=True)
                    if gg == g
                ]
            )
    for unit, vals, g in zip(units, per_unit, groups, strict=True):
        items = []
        for ind in scheme.indicators:
            best = bests.get((ind.key, g))
            target = vals.get(ind.target) if ind.target else None
            raw, note = _points(ind, vals[ind.value], best, target)
            if ind.method == Method.ENTERED and not note:
                note = unit.notes.get(ind.key, "")
            items.append(
                Item(
                    key=ind.key, name=ind.name, group=ind.group, max_points=ind.max_points,
                    bonus=ind.bonus, value=vals[ind.value].value,
                    best=best if ind.method == Method.BEST else None,
                    points=round_points(raw), note=note,
                    inputs={k: vals[k].value for k in plan.sources[ind.key] if k in vals},
                )
            )  # fmt: skip
        regular = sum((i.points for i in items if not i.bonus), ZERO)
        bonus = sum((i.points for i in items if i.bonus), ZERO)
        if scheme.bonus_max is not None:
            bonus = min(bonus, scheme.bonus_max)
        veto = str(unit.values.get(scheme.veto) or "").strip() if scheme.veto else ""
        out.append(UnitScore(unit.name, unit.group, items, regular, bonus, regular + bonus, veto))
    return rank(out)


def _sources(scheme: Scheme, ind: Indicator) -> tuple[str, ...]:
    """The raw inputs an indicator's value (and target) comes from, through the formulas."""
    keys: list[str] = []

    def walk(key: str) -> None:
        for d in scheme.derived:
            if d.key == key:
                for node in ast.walk(ast.parse(d.formula, mode="eval")):
                    if isinstance(node, ast.Name):
                        walk(node.id)
                return
        if key not in keys:
            keys.append(key)

    walk(ind.value)
    if ind.target:
        walk(ind.target)
    return tuple(keys)


def rank(units: list[UnitScore]) -> list[UnitScore]:
    """Competition ranking by total, descending; vetoed units after all the others,
    sharing the rank after the last of them. Returns the units in rank order (equal
    totals in the order given)."""
    kept = [u for u in units if not u.vetoed]
    for u, r in zip(kept, rank_with_ties([u.total for u in kept]), strict=True):
        u.rank = r
    for u in units:
        if u.vetoed:
            u.rank = len(kept) + 1
    order = {id(u): i for i, u in enumerate(units)}
    return sorted(units, key=lambda u: (u.vetoed, u.rank, order[id(u)]))


# --- consequences -------------------------------------------------------------------------


def top(units: Sequence[UnitScore], n: int) -> list[UnitScore]:
    """The units placed in the first n (ties at the boundary included); never a vetoed one."""
    return [u for u in units if not u.vetoed and u.rank is not None and u.rank <= n]


def bottom(units: Sequence[UnitScore], n: int) -> list[UnitScore]:
    """The units in the last n places: rank > count − n (a tie reaching into them counts),
    vetoed units always."""
    count = len(units)
    return [u for u in units if u.vetoed or (u.rank is not None and u.rank > count - n)]


def consequences(
    scheme: Scheme, units: Sequence[UnitScore], last_year: Sequence[UnitScore] | None
) -> dict[str, list[str]]:
    """Each unit's consequences by name (units without any are left out). A
    ``bottom_running`` needs last year's results; without them it names nobody."""
    out: dict[str, list[str]] = {}
    for c in scheme.consequences:
        if c.kind == "top":
            named = [u.name for u in top(units, c.n)]
        elif c.kind == "bottom_running":
            before = {u.name for u in bottom(last_year or [], c.n)}
            named = [u.name for u in bottom(units, c.n) if u.name in before]
        else:
            raise ValueError(c.kind)
        for name in named:
            out.setdefault(name, []).append(c.label)
    return out


def classes(units: Sequence[UnitScore], shares: Sequence[tuple[str, Decimal]]) -> dict[str, str]:
    """Each unit's class by share of places (亩均: A 20%, B 50%, C 20%, D 10%): the first
    class takes the first round(share × n) places (half-up), the next the following ones,
    the last takes the rest; units sharing a rank share the better class; vetoed units get
    the last class. Units in rank order; returns name → class."""
    ordered = [u for u in units if not u.vetoed]
    n = len(ordered)
    bounds = []
    acc = Decimal(0)
    for label, share in shares:
        acc += share
        bounds.append((label, int((acc * n).quantize(Decimal(1), rounding=ROUND_HALF_UP))))
    out: dict[str, str] = {}
    by_rank: dict[int | None, str] = {}
    for place, u in enumerate(ordered):
        if u.rank in by_rank:
            out[u.name] = by_rank[u.rank]
            continue
        label = next((lbl for lbl, end in bounds if place < end), shares[-1][0])
        by_rank[u.rank] = out[u.name] = label
    for u in units:
        if u.vetoed:
            out[u.name] = shares[-1][0]
    return out


def check_scheme(scheme: Scheme) -> list[str]:
    """What is wrong with a scheme's definition (in Chinese): unknown keys, bad formulas,
    maxima, methods without what they need."""
    errors: list[str] = []
    known = {i.key for i in scheme.inputs if i.kind != Kind.TEXT}
    for d in scheme.derived:
        try:
            parse_formula(d.formula, known)
        except FormulaError as exc:
            errors.append(f"“{d.name}”：{exc}")
        known.add(d.key)
    for ind in scheme.indicators:
        if ind.value not in known:
            errors.append(f"“{ind.name}”计分的数据项“{ind.value}”不存在")
        if not ZERO < ind.max_points <= 100:
            errors.append(f"“{ind.name}”的满分须大于0且不超过100")
        if ind.method == Method.TARGET and ind.target not in known:
            errors.append(f"“{ind.name}”按目标计分，须指定目标数据项")
        if ind.method == Method.TARGET and not (Decimal(1) <= ind.cap <= Decimal(2)):
            errors.append(f"“{ind.name}”的完成率封顶须在1至2之间")
        if ind.method == Method.BANDS and not ind.bands:
            errors.append(f"“{ind.name}”按分档计分，须至少有一档")
    regular = sum((i.max_points for i in scheme.indicators if not i.bonus), ZERO)
    if regular != 100:
        errors.append(f"各项指标（不含加分项）满分合计须为100分，实为{num_text(regular)}分")
    if scheme.classes and sum((share for _, share in scheme.classes), ZERO) != 1:
        errors.append("各类别所占比例之和须为100%")
    if scheme.veto and scheme.veto not in {i.key for i in scheme.inputs if i.kind == Kind.TEXT}:
        errors.append("一票否决须对应一个文字数据项")
    return errors


# --- a scheme as data (stored with each year) ---------------------------------------------


def scheme_data(s: Scheme) -> dict:
    """The scheme as JSON-able data; numbers as strings (exact)."""
    return {
        "key": s.key,
        "name": s.name,
        "veto": s.veto,
        "bonus_max": None if s.bonus_max is None else str(s.bonus_max),
        "peer_group": s.peer_group,
        "unit_label": s.unit_label,
        "consequences": [[c.kind, c.n, c.label] for c in s.consequences],
        "classes": [[label, str(share)] for label, share in s.classes],
        "inputs": [
            {"key": i.key, "name": i.name, "kind": str(i.kind), "assessor": i.assessor,
             "maximum": None if i.maximum is None else str(i.maximum)}
            for i in s.inputs
        ],
        "derived": [{"key": d.key, "name": d.name, "formula": d.formula} for d in s.derived],
        "indicators": [
            {"key": i.key, "name": i.name, "group": i.group, "max_points": str(i.max_points),
             "method": str(i.method), "value": i.value, "bonus": i.bonus, "target": i.target,
             "cap": str(i.cap),
             "bands": [[str(b.at_least), str(b.points)] for b in i.bands]}
            for i in s.indicators
        ],
    }  # fmt: skip


def scheme_from_data(data: dict) -> Scheme:
    def dec(x):
        return None if x is None else Decimal(str(x))

    return Scheme(
        key=data["key"],
        name=data["name"],
        veto=data.get("veto", ""),
        bonus_max=dec(data.get("bonus_max")),
        peer_group=bool(data.get("peer_group")),
        unit_label=data.get("unit_label", "单位名称"),
        consequences=tuple(Consequence(k, int(n), lbl) for k, n, lbl in data.get("consequences", [])),
        classes=tuple((label, Decimal(share)) for label, share in data.get("classes", [])),
        inputs=tuple(
            Input(i["key"], i["name"], Kind(i["kind"]), i.get("assessor", ""), dec(i.get("maximum")))
            for i in data["inputs"]
        ),
        derived=tuple(Derived(d["key"], d["name"], d["formula"]) for d in data["derived"]),
        indicators=tuple(
            Indicator(
                i["key"], i["name"], i["group"], Decimal(i["max_points"]), Method(i["method"]),
                i["value"], bool(i.get("bonus")), i.get("target", ""),
                Decimal(i.get("cap", "1")),
                tuple(Band(Decimal(a), Decimal(p)) for a, p in i.get("bands", [])),
            )
            for i in data["indicators"]
        ),
    )  # fmt: skip
