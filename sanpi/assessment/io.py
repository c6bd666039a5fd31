"""A year's assessment in and out as .xlsx: the scheme's own template (one row per unit,
one column per input) and its import, read with `core.tables` like every import: all
errors at once, nothing written on error."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from sanpi.accounts.roles import Cap
from sanpi.core import audit, cells, xlsx
from sanpi.core.documents import Document
from sanpi.core.errors import PermissionDenied, ValidationFailed
from sanpi.core.imports import read_sheet_rows
from sanpi.core.services import account_of, require
from sanpi.core.xlsx import AMOUNT_FORMAT, Column, ErrorList, SheetSpec

from . import engine
from .models import SchemeYear, UnitEntry
from .selectors import scheme_of, scheme_year_find
from .services import check_open, inputs_changed, scheme_year_open

SHEET = "考核数据"
COUNT_LIMIT = 10**9
MIN_YEAR, MAX_YEAR = 2000, 2100


def _parser(i: engine.Input):
    if i.kind == engine.Kind.AMOUNT:
        return cells.signed_amount(unit="万元")
    if i.kind == engine.Kind.COUNT:
        return cells.integer(-COUNT_LIMIT, COUNT_LIMIT)
    if i.kind == engine.Kind.PERCENT:
        return cells.percent()
    if i.kind == engine.Kind.NUMBER:
        return cells.signed_amount()
    if i.kind == engine.Kind.YESNO:
        return cells.yes_no
    if i.kind == engine.Kind.POINTS:
        return cells.amount(max_digits=5)
    return cells.text(200)


def inputs_of(scheme: engine.Scheme, by) -> tuple[engine.Input, ...]:
    """The inputs this user enters: all of them for the city office; an assessor's
    (a department named in the scheme: 人行, 银保监, 金融办 …) only those named for it."""
    require(by, Cap.ENTER_ASSESSMENT)
    if by.can(Cap.MANAGE_TARGETS):
        return scheme.inputs
    department = getattr(getattr(by, "department", None), "name", "")
    mine = tuple(i for i in scheme.inputs if department and i.assessor == department)
    if not mine:
        raise PermissionDenied(f"您所在单位不是{scheme.name}任何数据项的评定单位")
    return mine


def sheet_spec(scheme: engine.Scheme, inputs: tuple[engine.Input, ...] | None = None) -> SheetSpec:
    columns = [Column("unit", scheme.unit_label, cells.text(100), required=True, width=28,
                      aliases=("单位名称", "机构名称", "被考核单位", "名称"))]  # fmt: skip
    if scheme.peer_group:
        columns.append(Column("group", "组别", cells.text(30), width=12))
    for i in scheme.inputs if inputs is None else inputs:
        money = i.kind == engine.Kind.AMOUNT
        columns.append(
            Column(i.key, i.name, _parser(i), width=18 if money else 14,
                   number_format=AMOUNT_FORMAT if money else None,
                   choices=("是", "否") if i.kind == engine.Kind.YESNO else ())
        )  # fmt: skip
    return SheetSpec(SHEET, tuple(columns))


def check_year(year: int) -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed.of("year", f"年度应在{MIN_YEAR}至{MAX_YEAR}之间，实为{year}")
    return year


def prefill(key: str, year: int) -> dict[str, dict[str, int]]:
    """The inputs of a scheme that sanpi computes from its own records, by unit name."""
    if key == "bank":
        from sanpi.finance.selectors import bank_matching

        return bank_matching(year)
    return {}


def _group_default(key: str, names) -> dict[str, str]:
    """亩均: each enterprise's group from its projects, for a template row left without."""
    if key != "mujun":
        return {}
    from .sources import mujun_defaults

    return {name: d["group"] for name, d in mujun_defaults(names).items()}


def _typed(key: str) -> None:
    from .schemes import COMPUTED

    if key in COMPUTED:
        raise ValidationFailed.of("scheme", "该考核方案的数据由系统从台账计算，不用模板填报")


def template(*, by, key: str, year: int) -> Document:
    """The scheme's template for the year, with the units and inputs entered so far: the
    columns the user enters (an assessor: only theirs)."""
    check_year(year)
    _typed(key)
    row = scheme_year_find(key, year)
    scheme = scheme_of(row, key)
    inputs = inputs_of(scheme, by)
    entries = list(UnitEntry.objects.filter(scheme_year=row).order_by("pk")) if row else []
    # Inputs sanpi already knows (the banks' 政银企 figures from the finance records) fill
    # the cells nobody has entered, for the assessors to check before they import.
    known = prefill(key, year)
    named = {e.unit for e in entries}
    entries += [UnitEntry(unit=name, values={}) for name in known if name not in named]
    rows = []
    groups = _group_default(key, [e.unit for e in entries if not e.group])
    if entries:
        for e in entries:
            cells_ = [e.unit, *([e.group or groups.get(e.unit, "")] if scheme.peer_group else [])]
            for i in inputs:
                raw = e.values.get(i.key)
                if raw in (None, "") and i.key in known.get(e.unit, {}):
                    raw = str(known[e.unit][i.key])
                if raw in (None, ""):
                    cells_.append(None)
                elif i.kind == engine.Kind.YESNO:
                    cells_.append("是" if Decimal(raw) else "否")
                elif i.kind == engine.Kind.TEXT:
                    cells_.append(raw)
                else:
                    cells_.append(Decimal(raw))
            rows.append(cells_)
    data = xlsx.write_workbook([(sheet_spec(scheme, inputs), rows)])
    return Document(data, f"{year}年度{scheme.name}.xlsx")


@dataclass
class ImportSummary:
    year: int
    name: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def text(self) -> str:
        return (
            f"已导入{self.year}年度{self.name}数据：新增{self.created}个单位，"
            f"修改{self.updated}个，未变化{self.unchanged}个。"
        )


def _stored(i: engine.Input, value) -> str | None:
    if value is None:
        return None
    if i.kind == engine.Kind.YESNO:
        return "1" if value else "0"
    if i.kind == engine.Kind.TEXT:
        return str(value).strip()
    return str(Decimal(value))


def import_xlsx(*, by, key: str, year: int, data: bytes, filename: str = "") -> ImportSummary:
    """Set the inputs of every unit in the file, all or nothing: raises ImportRejected
    with every error when any row is bad. A unit not in the file keeps its inputs; a
    column the file lacks leaves that input as it is; an empty cell clears it."""
    check_year(year)
    _typed(key)
    existing = scheme_year_find(key, year)
    if existing is not None:
        check_open(existing)
    scheme = scheme_of(existing, key)
    mine = {i.key for i in inputs_of(scheme, by)}
    spec = sheet_spec(scheme)  # every column, so another assessor's is recognised
    planned, table = read_sheet_rows(
        data, filename, spec, lambda table, errors: _check_rows(scheme, table, errors, mine)
    )
    return _write(by=by, key=key, year=year, scheme=scheme, planned=planned,
                  present=set(table.present) & mine, filename=filename)  # fmt: skip


def _check_rows(
    scheme: engine.Scheme, table, errors: ErrorList, mine: set[str]
) -> list[tuple[int, dict]]:
    seen: dict[str, int] = {}
    planned = []
    for row in table.rows(errors):
        if "unit" in row.failed:
            continue
        unit = row.values["unit"].strip()
        first = seen.setdefault(cells.match_key(unit), row.number)
        if first != row.number:
            errors.add(
                table.error(row.number, "unit", f"与第{first}行是同一单位，每个单位只能填一行")
            )
            continue
        for i in scheme.inputs:
            value = row.values.get(i.key)
            if i.key not in mine and value not in (None, ""):
                errors.add(table.error(row.number, i.key, f"该项由{i.assessor}填报，您不能导入"))
                row.failed.add(i.key)
                continue
            points = i.kind == engine.Kind.POINTS and value is not None
            if points and i.maximum is not None and value > i.maximum:
                message = f"最多{engine.num_text(i.maximum)}分，实为{engine.num_text(value)}分"
                errors.add(table.error(row.number, i.key, message))
                row.failed.add(i.key)
        if row.failed:
            continue
        planned.append((row.number, {**row.values, "unit": unit}))
    return planned


def _write(*, by, key, year, scheme, planned, present, filename) -> ImportSummary:
    summary = ImportSummary(year, scheme.name)
    with transaction.atomic():
        row = scheme_year_open(by=by, key=key, year=year)
        row = SchemeYear.objects.select_for_update().get(pk=row.pk)
        check_open(row)
        entries = {cells.match_key(e.unit): e for e in UnitEntry.objects.filter(scheme_year=row)}
        for _number, values in planned:
            entry = entries.get(cells.match_key(values["unit"]))
            new = dict(entry.values) if entry else {}
            for i in scheme.inputs:
                if i.key in present:
                    new[i.key] = _stored(i, values.get(i.key))
            group = values.get("group", "") if scheme.peer_group else ""
            if entry is not None and entry.values == new and entry.group == (group or entry.group):
                summary.unchanged += 1
                continue
            if entry is None:
                UnitEntry.objects.create(scheme_year=row, unit=values["unit"], group=group or "",
                                         values=new, updated_by=account_of(by))  # fmt: skip
                summary.created += 1
            else:
                entry.values, entry.version = new, entry.version + 1
                entry.group = group or entry.group
                entry.updated_by = account_of(by)
                entry.save()
                summary.updated += 1
        if summary.created or summary.updated:
            inputs_changed(row)
        audit.record(
            user=by,
            action="import",
            object_type="assessment.import",
            object_repr=f"{year}年度{scheme.name}",
            after={"file": filename, **summary.__dict__},
            message=summary.text(),
        )
    return summary


# --- the results: .xlsx and the Word bulletin ---------------------------------------------


def _result_rows(r) -> list[list]:
    rows = []
    for u in r.units:
        rows.append([
            "一票否决" if u.vetoed else u.rank, u.name, *r.group_points(u), u.total,
            u.veto or "；".join(r.consequences.get(u.name, [])),
        ])  # fmt: skip
    return rows


def _result_headers(r) -> list[str]:
    return ["名次", r.scheme.unit_label, *r.groups, "总分", "一票否决原因 / 结果运用"]


def results_xlsx(*, by, key: str, year: int) -> Document:
    """The ranking with each group's points, then every unit's breakdown. Audited."""
    from .selectors import results

    require(by, Cap.EXPORT_LEDGER)  # the service's rule, not only the page's
    r = results(key, year)
    headers = [(h, 12) for h in _result_headers(r)]
    headers[1] = (headers[1][0], 26)
    headers[-1] = (headers[-1][0], 40)
    rows = _result_rows(r)
    rows.append([])
    rows.append(["明细", "指标", "数值", "最优值", "得分", "说明"])
    for u in r.units:
        for i in u.items:
            rows.append([u.name, i.name, i.value, i.best, i.points, i.note])
    note = "得分保留两位小数（四舍五入），总分为各项得分之和；一票否决的单位排在最后。"
    data = xlsx.report_workbook(r.title, headers, rows, note=note)
    _audit_results(by, r, "Excel")
    return Document(data, f"{r.title}.xlsx")


def results_docx(*, by, key: str, year: int) -> Document:
    """The 通报 in the city's style: the ranking, the consequences, the method. Audited."""
    from sanpi.core import word

    from .selectors import results

    require(by, Cap.EXPORT_LEDGER)  # the service's rule, not only the page's
    r = results(key, year)
    doc = word.document(f"关于{r.year}年度{r.scheme.name}结果的通报")
    kept = [u for u in r.units if not u.vetoed]
    doc.add_paragraph(
        f"根据考核评价办法，对{len(r.units)}个{r.scheme.unit_label.removesuffix('名称')}"
        f"{r.year}年度工作进行了考核评价，现将结果通报如下。"
    )
    doc.add_heading("一、考核结果", level=2)
    word.add_table(doc, _result_headers(r), _result_rows(r))
    doc.add_heading("二、结果运用", level=2)
    if not kept and not r.units:
        doc.add_paragraph("本年度尚无考核数据。")
    for c in r.scheme.consequences:
        named = [n for n, labels in r.consequences.items() if c.label in labels]
        doc.add_paragraph(f"{c.label}：{'、'.join(named) if named else '无'}。")
    vetoed = [u for u in r.units if u.vetoed]
    if vetoed:
        doc.add_paragraph("一票否决：" + "；".join(f"{u.name}（{u.veto}）" for u in vetoed) + "。")
    doc.add_heading("三、计分方法", level=2)
    for ind in r.scheme.indicators:
        label = engine.METHOD_LABELS[ind.method]
        extra = "（加分项）" if ind.bonus else ""
        doc.add_paragraph(
            f"{ind.group}·{ind.name}：满分{engine.num_text(ind.max_points)}分，{label}{extra}。"
        )
    data = word.finish(doc)
    _audit_results(by, r, "Word")
    return Document(data, f"{r.title}通报.docx")


def _audit_results(by, r, what: str) -> None:
    with transaction.atomic():
        audit.record(
            user=by,
            action="export",
            object_type="assessment.results",
            object_repr=r.title,
            after={"scheme": r.key, "year": r.year, "format": what, "units": len(r.units)},
            message=f"导出{r.title}（{what}）",
        )


def classes_xlsx(*, by, key: str, year: int) -> Document:
    """The 亩均 class list (for the land and energy departments): each enterprise's
    place, group, total and class. Audited."""
    from .selectors import results

    require(by, Cap.EXPORT_LEDGER)
    r = results(key, year)
    if not r.scheme.classes:
        raise ValidationFailed.of("scheme", f"{r.scheme.name}不分类别")
    rows = [
        [u.rank, u.name, u.group, u.total, (r.consequences.get(u.name) or [""])[0]] for u in r.units
    ]
    shares = "、".join(f"{label}{share * 100:g}%" for label, share in r.scheme.classes)
    title = f"{r.year}年度{r.scheme.name}分类名单"
    data = xlsx.report_workbook(
        title,
        [("名次", 8), (r.scheme.unit_label, 32), ("组别", 12), ("总分", 10), ("类别", 18)],
        rows,
        note=f"按总分排名分类（{shares}）；同分同类。供自然资源、发展改革（能源）等部门差别化配置土地、能耗等要素使用。",
    )
    _audit_results(by, r, "分类名单")
    return Document(data, f"{title}.xlsx")


# --- one unit's inputs, entered on a page ---------------------------------------------------


def entry_set(
    *, by, key: str, year: int, unit: str, raw: dict[str, str], group: str = "", version: int = 0
) -> UnitEntry:
    """Enter one unit's inputs on a page (the user's own columns), read with the same
    cell readers as the import, so “1,200万元” or “4.35%” mean what they mean there. Every
    field's error at once, nothing written; a stale form (someone saved the unit since)
    gets 409. Audited with before and after."""
    from sanpi.core.errors import Conflict

    check_year(year)
    _typed(key)
    existing = scheme_year_find(key, year)
    if existing is not None:
        check_open(existing)
    scheme = scheme_of(existing, key)
    inputs = inputs_of(scheme, by)
    unit = (unit or "").strip()
    errors: dict[str, list[str]] = {}
    if not unit:
        errors["unit"] = [f"请填写{scheme.unit_label}"]
    elif len(unit) > 100:
        errors["unit"] = [f"{scheme.unit_label}不能超过100个字"]
    values: dict[str, str | None] = {}
    for i in inputs:
        text = (raw.get(i.key) or "").strip()
        if not text:
            values[i.key] = None
            continue
        try:
            value = cells.unwrap(_parser(i)(text))
        except cells.CellValueError as exc:
            errors[i.key] = [f"{i.name}：{exc}"]
            continue
        if i.kind == engine.Kind.POINTS and i.maximum is not None and value > i.maximum:
            errors[i.key] = [
                f"{i.name}：最多{engine.num_text(i.maximum)}分，实为{engine.num_text(value)}分"
            ]
            continue
        values[i.key] = _stored(i, value)
    if errors:
        raise ValidationFailed("；".join(m for ms in errors.values() for m in ms), fields=errors)
    with transaction.atomic():
        row = scheme_year_open(by=by, key=key, year=year)
        row = SchemeYear.objects.select_for_update().get(pk=row.pk)
        check_open(row)
        entry = UnitEntry.objects.select_for_update().filter(scheme_year=row, unit=unit).first()
        if entry is not None and entry.version != version:
            raise Conflict(f"{unit}的数据已被他人修改，本次修改未保存；请刷新页面后再填写")
        if entry is None and version:
            raise Conflict(f"{unit}的数据已被删除或改名，请刷新页面")
        before = audit.snapshot(entry, ["values", "group"]) if entry else None
        if entry is None:
            entry = UnitEntry(scheme_year=row, unit=unit, values={}, version=0)
        entry.values = {**entry.values, **values}
        if scheme.peer_group:
            entry.group = group.strip()
        entry.version += 1
        entry.updated_by = account_of(by)
        entry.save()
        inputs_changed(row)
        audit.record(user=by, action="update" if before else "create", obj=entry, before=before,
                     after=audit.snapshot(entry, ["values", "group"]),
                     message=f"填报{row}：{unit}")  # fmt: skip
    return entry
