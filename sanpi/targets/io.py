"""Targets in and the ranking bulletin out, in Chinese.

* The targets workbook: a sheet 年度目标 with one row per unit (单位类型, 单位名称 and a
  column per target). The template lists every county and zone with the year's targets
  as they are; the import reads it (or a clerk's own layout of it) with
  `sanpi.core.tables`, checks every row, and either refuses the whole file with every
  error, or sets every unit's targets in one transaction (audited per unit).
* The ranking bulletin (月调度排名通报) as Word (.docx, `core.word`) and as Excel (.xlsx,
  `core.xlsx`): the month's overall figures, both ranking tables, first place and the last
  three named, each unit's lagging projects (within the reader's scope).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, cells, tables, word, xlsx
from sanpi.core.amounts import yi
from sanpi.core.documents import Document
from sanpi.core.errors import ValidationFailed
from sanpi.core.imports import read_sheet_rows
from sanpi.core.money import wan_text
from sanpi.core.services import require
from sanpi.core.xlsx import AMOUNT_FORMAT, Column, ErrorList, SheetSpec
from sanpi.projects.models import Health
from sanpi.regions.models import County, DevelopmentZone

from . import rules
from .models import UnitTarget
from .rules import INDICATORS, UnitScore
from .selectors import KIND_LABELS, Bulletin, Lagging, Ranking, targets_by_unit, units
from .services import target_set


def _stamp() -> str:
    return timezone.localdate().strftime("%Y%m%d")


# --- the targets workbook ----------------------------------------------------------------------

KIND_BY_LABEL = {label: kind for kind, label in KIND_LABELS.items()}
COUNT_MAX = 1_000_000


def _target_column(ind: rules.Indicator) -> Column:
    header = f"{ind.name}目标({ind.unit})"
    if ind.is_amount:
        return Column(
            ind.target_field, header, cells.amount(unit="万元"), width=18,
            number_format=AMOUNT_FORMAT,
        )  # fmt: skip
    return Column(ind.target_field, header, cells.integer(0, COUNT_MAX), width=14)


TARGETS = SheetSpec(
    "年度目标",
    (
        Column(
            "kind", "单位类型",
            cells.choice(
                KIND_BY_LABEL, "单位类型",
                aliases={"县": "县(市、区)", "县区": "县(市、区)", "县市区": "县(市、区)"},
            ),
            required=True, width=12, choices=tuple(KIND_BY_LABEL),
        ),
        Column("unit", "单位名称", cells.text(50), required=True, width=28,
               aliases=("单位", "县(市、区)/开发区", "名称")),
        *(_target_column(ind) for ind in INDICATORS),
    ),
)  # fmt: skip


def targets_template(*, by, year: int) -> Document:
    """Every county and zone, one row each, with the year's targets as they are now."""
    require(by, Cap.MANAGE_TARGETS)
    rows = []
    for kind in KIND_LABELS:
        targets = targets_by_unit(year, kind)
        for unit in units(kind):
            values = targets.get(unit.pk, {})
            rows.append(
                [KIND_LABELS[kind], unit.name, *(values.get(ind.key) for ind in INDICATORS)]
            )
    return Document(xlsx.write_workbook([(TARGETS, rows)]), f"{year}年度目标.xlsx")


@dataclass
class ImportSummary:
    year: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def text(self) -> str:
        return (
            f"已导入{self.year}年度目标：新增{self.created}个单位，修改{self.updated}个，"
            f"未变化{self.unchanged}个。"
        )


def _lookup(kind: str) -> dict[str, int]:
    """A unit's pk by what clerks call it: a county by name or code, a zone by name or
    short name (a short name two zones share names neither)."""
    out: dict[str, int] = {}
    if kind == "county":
        for pk, code, name in County.objects.values_list("pk", "code", "name"):
            out[cells.match_key(name)] = pk
            out[cells.match_key(code)] = pk
        return out
    shorts: dict[str, set[int]] = {}
    for pk, name, short in DevelopmentZone.objects.values_list("pk", "name", "short_name"):
        out[cells.match_key(name)] = pk
        if short:
            shorts.setdefault(cells.match_key(short), set()).add(pk)
    for key, pks in shorts.items():
        if len(pks) == 1:
            out.setdefault(key, next(iter(pks)))
    return out


def targets_import(*, by, year: int, data: bytes, filename: str = "") -> ImportSummary:
    """Set the year's targets of every unit in the file, all or nothing: raises
    ImportRejected with every error when any row is bad. A unit not in the file keeps
    its targets; a column the file lacks leaves that target as it is; an empty cell
    clears it (no target)."""
    require(by, Cap.MANAGE_TARGETS)
    problem = rules.check_target_year(year, timezone.localdate())
    if problem:
        raise ValidationFailed.of("year", problem)
    planned, table = read_sheet_rows(data, filename, TARGETS, _check_rows, what="目标")
    return _write(by=by, year=year, planned=planned, present=table.present, filename=filename)


def _check_rows(table: tables.Table, errors: ErrorList) -> list[tuple[int, str, int, dict]]:
    lookups = {kind: _lookup(kind) for kind in KIND_LABELS}
    seen: dict[tuple[str, int], int] = {}
    planned = []
    for row in table.rows(errors):
        if {"kind", "unit"} & row.failed:
            continue
        kind, text = row.values["kind"], row.values["unit"]
        pk = lookups[kind].get(cells.match_key(text))
        if pk is None:
            errors.add(table.error(row.number, "unit", f"没有名为“{text}”的{KIND_LABELS[kind]}"))
            continue
        first = seen.setdefault((kind, pk), row.number)
        if first != row.number:
            errors.add(
                table.error(row.number, "unit", f"与第{first}行是同一单位，每个单位只能填一行")
            )
            continue
        if row.failed:
            continue
        values = {ind.target_field: row.values.get(ind.target_field) for ind in INDICATORS}
        planned.append((row.number, kind, pk, values))
    return planned


def _write(*, by, year: int, planned, present, filename: str) -> ImportSummary:
    summary = ImportSummary(year)
    fields = [ind.target_field for ind in INDICATORS]
    with transaction.atomic():
        existing = {
            ("county" if t.county_id else "zone", t.county_id or t.zone_id): t
            for t in UnitTarget.objects.filter(year=year)
        }
        for _number, kind, pk, values in planned:
            row = existing.get((kind, pk))
            merged = {
                f: (values[f] if f in present else getattr(row, f, None) if row else None)
                for f in fields
            }
            if (row is None and all(v is None for v in merged.values())) or (
                row is not None and all(getattr(row, f) == merged[f] for f in fields)
            ):
                summary.unchanged += 1  # (a unit without targets stays without a row)
                continue
            target_set(by=by, year=year, kind=kind, pk=pk, **merged)
            if row is None:
                summary.created += 1
            else:
                summary.updated += 1
        audit.record(
            user=by,
            action="import",
            object_type="targets.import",
            object_repr=f"{year}年度目标",
            after={"file": filename, **summary.__dict__},
            message=summary.text(),
        )
    return summary


# --- the bulletin: sentences -------------------------------------------------------------------


def _figure(value: Decimal | int | None, unit: str) -> str:
    """An actual or a target as the bulletin writes it: amounts in 亿元, counts as counts."""
    if value is None:
        return "—"
    if unit == "万元":
        return f"{yi(Decimal(value))}亿元"
    return f"{value}{unit}"


def overall_text(b: Bulletin) -> str:
    """The month's overall figures, in one paragraph."""
    parts = []
    for ind, actual, target, done in b.overall():
        text = f"{ind.name}{_figure(actual, ind.unit)}"
        if target is not None:
            text += f"，为年度目标{_figure(target, ind.unit)}的{done}"
        parts.append(text)
    return (
        f"{b.year}年1—{b.month}月，全市完成" + "；".join(parts) + f"。时序进度为{b.progress_text}。"
    )


def podium_text(r: Ranking) -> str:
    """First place and the last three, named with their scores."""
    first, last = r.podium()
    if not first:
        return f"本月没有可排名的{r.kind_label}（未下达目标或权重均为0）。"

    def named(units: list[UnitScore]) -> str:
        return "、".join(f"{u.name}（{u.score}分）" for u in units)

    text = f"{r.kind_label}中，{'、'.join(u.name for u in first)}以{first[0].score}分"
    text += "并列第一" if len(first) > 1 else "位列第一"
    if last:
        text += f"；排名后{len(last)}位的是{named(last)}"
    return text + "。"


def lagging_title(unit: UnitScore, lagging: Lagging) -> str:
    shown = len(lagging.projects)
    more = f"，列出总投资最大的{shown}个" if lagging.total > shown else ""
    return f"{unit.name}（{lagging.total}个{more}）"


# --- the bulletin: Word ------------------------------------------------------------------------

LAGGING_HEADERS = ("序号", "项目名称", "项目单位", "总投资(万元)", "推进状态")
SECTION_NUMBERS = ("二", "三")


def _ranking_headers(kind: str) -> list[str]:
    return ["排名", KIND_LABELS[kind], "得分", *(ind.name for ind in INDICATORS)]


def _ranking_row(u: UnitScore) -> list[object]:
    return [
        u.rank or "—",
        u.name,
        u.score if u.score is not None else "—",
        *(i.completion_text for i in u.indicators),
    ]


def _health_label(value: str) -> str:
    return Health(value).label


def bulletin_docx(*, by, b: Bulletin) -> Document:
    """The bulletin as Word, audited as an export."""
    doc = word.document(b.title)
    weights = "、".join(
        f"{ind.name}{b.counties.scheme.weight(ind.key)}"
        for ind in INDICATORS
        if b.counties.scheme.weight(ind.key)
    )
    doc.add_paragraph(
        f"统计期间：{b.year}年1—{b.month}月，时序进度{b.month}/12（{b.progress_text}）。"
        f"排名范围：全市；滞后项目范围：{b.scope_label}。"
    )
    doc.add_heading("一、总体情况", level=2)
    doc.add_paragraph(overall_text(b))
    word.add_table(
        doc,
        ("指标", f"1—{b.month}月完成", "年度目标（各县合计）", "完成率"),
        [
            (ind.name, _figure(a, ind.unit), _figure(t, ind.unit), done)
            for ind, a, t, done in b.overall()
        ],
    )
    for number, r in zip(SECTION_NUMBERS, b.rankings, strict=True):
        doc.add_heading(f"{number}、{r.kind_label}排名", level=2)
        doc.add_paragraph(podium_text(r))
        word.add_table(doc, _ranking_headers(r.kind), [_ranking_row(u) for u in r.units])
    doc.add_paragraph(
        f"注：表中各指标为完成率（1—{b.month}月完成 ÷ 年度目标），与时序进度{b.progress_text}"
        f"比较；“—”为未下达目标，不计分。得分 = Σ（权重 × min(完成率, {b.counties.scheme.cap})）"
        f" ÷ 计分指标权重之和 × 100。权重：{weights}。"
    )
    doc.add_heading("四、滞后项目", level=2)
    doc.add_paragraph(f"各单位进度滞后和停缓建的项目（范围：{b.scope_label}）。")
    any_listed = False
    for r in b.rankings:
        lists = b.lagging[r.kind]
        for u in r.units:
            lagging = lists.get(u.pk)
            if not lagging:
                continue
            any_listed = True
            doc.add_paragraph(f"{r.kind_label}：{lagging_title(u, lagging)}")
            word.add_table(
                doc,
                LAGGING_HEADERS,
                [
                    (
                        i,
                        p.name,
                        p.enterprise.name,
                        wan_text(p.total_investment_wan),
                        _health_label(p.health),
                    )
                    for i, p in enumerate(lagging.projects, start=1)
                ],
            )
    if not any_listed:
        doc.add_paragraph("无。")
    data = word.finish(doc)
    _audit_export(by, b, "Word")
    return Document(data, f"{b.year}年{b.month}月调度排名通报-{_stamp()}.docx")


def _audit_export(by, b: Bulletin, what: str) -> None:
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="targets.bulletin",
            object_repr=b.title,
            after={"year": b.year, "month": b.month, "format": what},
            message=f"导出{b.title}（{what}）",
        )


# --- the bulletin: Excel -----------------------------------------------------------------------

PERCENT_FORMAT = "0.00%"


def _ranking_spec(kind: str, name: str) -> SheetSpec:
    columns = [
        Column("rank", "排名", width=6),
        Column("code", "行政区划代码" if kind == "county" else "开发区名称", width=14),
        Column("name", KIND_LABELS[kind], width=24),
        Column("score", "得分", width=8, number_format="0.00"),
    ]
    for ind in INDICATORS:
        fmt = AMOUNT_FORMAT if ind.is_amount else "0"
        unit = f"({ind.unit})"
        columns += [
            Column(f"{ind.key}_actual", f"{ind.name}完成{unit}", width=14, number_format=fmt),
            Column(f"{ind.key}_target", f"{ind.name}目标{unit}", width=14, number_format=fmt),
            Column(f"{ind.key}_done", f"{ind.name}完成率", width=10, number_format=PERCENT_FORMAT),
            Column(f"{ind.key}_points", f"{ind.name}得分", width=8, number_format="0.00"),
        ]
    columns.append(Column("flags", "提示", width=30))
    return SheetSpec(name, tuple(columns))


def _xlsx_ranking_rows(r: Ranking):
    for u in r.units:
        row: list[object] = [u.rank, u.code, u.name, u.score]
        for i in u.indicators:
            row += [
                i.actual,
                i.target,
                rules.round_completion(i.completion),
                None if i.points is None else rules.round_points(i.points),
            ]
        row.append("；".join(u.flags))
        yield row


def bulletin_xlsx(*, by, b: Bulletin) -> Document:
    """The bulletin's tables as Excel, audited as an export."""
    overall = SheetSpec(
        "总体情况",
        (
            Column("name", "指标", width=18),
            Column("unit", "单位", width=8),
            Column("actual", f"1—{b.month}月完成", width=18),
            Column("target", "年度目标（各县合计）", width=20),
            Column("done", "完成率", width=10, number_format=PERCENT_FORMAT),
            Column("progress", "时序进度", width=10, number_format=PERCENT_FORMAT),
        ),
    )
    progress = rules.round_completion(b.counties.progress)
    overall_rows = [
        (
            ind.name,
            ind.unit,
            actual,
            target,
            rules.round_completion(rules.completion(actual, target)),
            progress,
        )
        for ind, actual, target, _done in b.overall()
    ]
    lagging_spec = SheetSpec(
        "滞后项目",
        (
            Column("kind", "单位类型", width=12),
            Column("unit", "单位", width=24),
            Column("name", "项目名称", width=36),
            Column("enterprise", "项目单位", width=30),
            Column("investment", "总投资(万元)", width=16, number_format=AMOUNT_FORMAT),
            Column("health", "推进状态", width=10),
        ),
    )
    lagging_rows = [
        (r.kind_label, u.name, p.name, p.enterprise.name, p.total_investment_wan,
         _health_label(p.health))
        for r in b.rankings
        for u in r.units
        if (lagging := b.lagging[r.kind].get(u.pk))
        for p in lagging.projects
    ]  # fmt: skip
    data = xlsx.write_workbook(
        [
            (overall, overall_rows),
            (_ranking_spec("county", "县(市、区)排名"), _xlsx_ranking_rows(b.counties)),
            (_ranking_spec("zone", "开发区排名"), _xlsx_ranking_rows(b.zones)),
            (lagging_spec, lagging_rows),
        ]
    )
    _audit_export(by, b, "Excel")
    return Document(data, f"{b.year}年{b.month}月调度排名通报-{_stamp()}.xlsx")


BUILDERS: dict[str, Callable[..., Document]] = {"docx": bulletin_docx, "xlsx": bulletin_xlsx}
