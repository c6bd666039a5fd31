"""The project ledger as Excel: its columns, the import, the export and the template.

The workbook (issue #2 item 4) has a sheet 项目台账 with exactly the columns of
`LEDGER`, in that order, and an optional sheet 三个一批活动 (`ACTIVITIES`). A 批次
cell names an activity as ``YYYY-N``; it attributes the project's signing, start or
production to that activity (an `ActivityEntry`).

`ledger_import` is the one import service (web upload, CLI, benchmark): it reads the
file once (openpyxl read-only), looks everything up in a few queries, validates every
row, and either refuses the whole file with *every* error ("第N行 列名: 原因") and a
copy of the file with the bad cells marked, or writes everything in one transaction
with bulk operations, audit rows included. A row whose 项目名称 and 项目单位 match an
existing project updates it (the row is the project's ledger: an empty cell clears
the field); otherwise it creates the project, and the enterprise if it is new.
Attributions to activities are only ever added by an import, never moved or removed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, xlsx
from sanpi.core.bulk import bulk_insert, bulk_update
from sanpi.core.imports import ImportRejected
from sanpi.core.scope import in_scope
from sanpi.core.services import require
from sanpi.core.xlsx import CellError, CellValueError, Column, ErrorList, SheetSpec
from sanpi.regions.models import County, DevelopmentZone, Enterprise
from sanpi.regions.rules import CITY_NAME, COUNTIES, credit_code_error, normalize_credit_code

from .models import Activity, ActivityEntry, ConstructionKind, Industry, Project, ProjectEvent
from .models import SignMode as SignModeChoices
from .rules import (
    ACTION_LABELS,
    ACTION_STAGE,
    STAGE_DATE_FIELD,
    STAGE_LABELS,
    Action,
    Stage,
    activity_key,
    date_errors,
    parse_activity_key,
    project_code_error,
    stage_index,
)

ProgressFn = Callable[[int, int, str], None]

# --- vocabularies ------------------------------------------------------------------------

STAGE_BY_LABEL = {label: stage.value for stage, label in STAGE_LABELS.items()}
INDUSTRY_BY_LABEL = {label: value for value, label in Industry.choices}
KIND_BY_LABEL = {label: value for value, label in ConstructionKind.choices}
SIGN_MODE_BY_LABEL = {label: value for value, label in SignModeChoices.choices}
LEVEL_BY_LABEL = {label: value for value, label in Activity.Level.choices}
INDUSTRY_LABELS = dict(Industry.choices)
KIND_LABELS = dict(ConstructionKind.choices)
SIGN_MODE_LABELS = dict(SignModeChoices.choices)
LEVEL_LABELS = dict(Activity.Level.choices)
YES_NO = (xlsx.YES, xlsx.NO)


def _credit_code(value: object) -> str:
    code = normalize_credit_code(xlsx.text()(value))
    problem = credit_code_error(code)
    if problem:
        raise CellValueError(problem)
    return code


def _batch(value: object) -> tuple[int, int]:
    raw = xlsx.text()(value)
    key = parse_activity_key(raw)
    if key is None:
        raise CellValueError(f"“{raw}”格式不对，应为 年度-批次，如 2021-4（2021年第4次活动）")
    return key


# --- the sheets --------------------------------------------------------------------------

LEDGER = SheetSpec(
    "项目台账",
    (
        Column("code", "项目代码", xlsx.text(), width=26),
        Column("name", "项目名称", xlsx.text(200), required=True, width=36),
        Column("enterprise", "项目单位", xlsx.text(100), required=True, width=30),
        Column("credit_code", "统一社会信用代码", _credit_code, required=True, width=22),
        Column(
            "county", "所属县(市、区)", xlsx.text(20), required=True, width=14,
            choices=tuple(name for _, name in COUNTIES),
        ),
        Column("zone", "所属开发区", xlsx.text(50), width=26),
        Column(
            "industry", "产业类别", xlsx.choice(INDUSTRY_BY_LABEL, "产业类别"), required=True,
            width=16, choices=tuple(INDUSTRY_BY_LABEL),
        ),
        Column(
            "construction_kind", "建设性质", xlsx.choice(KIND_BY_LABEL, "建设性质"),
            required=True, width=10, choices=tuple(KIND_BY_LABEL),
        ),
        Column(
            "total_investment_wan", "总投资(万元)", xlsx.amount(16), required=True, width=14,
            number_format=xlsx.AMOUNT_FORMAT,
        ),
        Column(
            "planned_output_wan", "预计年产值(万元)", xlsx.amount(16), width=16,
            number_format=xlsx.AMOUNT_FORMAT,
        ),
        Column(
            "planned_tax_wan", "预计年税收(万元)", xlsx.amount(16), width=16,
            number_format=xlsx.AMOUNT_FORMAT,
        ),
        Column("land_mu", "用地面积(亩)", xlsx.amount(12), width=12, number_format="#,##0.00"),
        Column("is_standard_land", "是否标准地", xlsx.yes_no, width=10, choices=YES_NO, default=False),
        Column(
            "stage", "项目阶段", xlsx.choice(STAGE_BY_LABEL, "项目阶段"), required=True, width=10,
            choices=tuple(STAGE_BY_LABEL),
        ),
        Column("signed_date", "签约日期", xlsx.date, width=12),
        Column("sign_batch", "签约批次", _batch, width=10),
        Column(
            "sign_mode", "签约方式", xlsx.choice(SIGN_MODE_BY_LABEL, "签约方式"), width=10,
            choices=tuple(SIGN_MODE_BY_LABEL),
        ),
        Column("started_date", "开工日期", xlsx.date, width=12),
        Column("start_batch", "开工批次", _batch, width=10),
        Column("produced_date", "投产日期", xlsx.date, width=12),
        Column("produce_batch", "投产批次", _batch, width=10),
        Column("reached_date", "达效日期", xlsx.date, width=12),
        Column(
            "actual_output_wan", "实际年产值(万元)", xlsx.amount(16), width=16,
            number_format=xlsx.AMOUNT_FORMAT,
        ),
        Column("is_provincial_key", "是否省重点", xlsx.yes_no, width=10, choices=YES_NO, default=False),
        Column("is_city_key", "是否市重点", xlsx.yes_no, width=10, choices=YES_NO, default=False),
    ),
)  # fmt: skip

ACTIVITIES = SheetSpec(
    "三个一批活动",
    (
        Column("year", "年度", xlsx.integer(2000, 2099), required=True, width=8),
        Column("sequence", "批次", xlsx.integer(1, 99), required=True, width=8),
        Column("date", "日期", xlsx.date, required=True, width=12),
        Column(
            "level", "级别", xlsx.choice(LEVEL_BY_LABEL, "级别"), required=True, width=8,
            choices=tuple(LEVEL_BY_LABEL),
        ),
        Column("venue", "会场", xlsx.text(200), width=40),
    ),
    prefix="三个一批活动表",
)  # fmt: skip

# (batch column, action, the date column of the stage the action reaches)
BATCHES: tuple[tuple[str, Action], ...] = (
    ("sign_batch", Action.SIGN),
    ("start_batch", Action.START),
    ("produce_batch", Action.PRODUCE),
)
DATE_KEYS = tuple(STAGE_DATE_FIELD.values())
# The project fields a ledger row sets (by attname), compared to decide "unchanged".
ROW_FIELDS = (
    "code",
    "county_id",
    "zone_id",
    "industry",
    "construction_kind",
    "total_investment_wan",
    "planned_output_wan",
    "planned_tax_wan",
    "land_mu",
    "is_standard_land",
    "stage",
    "signed_date",
    "started_date",
    "produced_date",
    "reached_date",
    "actual_output_wan",
    "is_provincial_key",
    "is_city_key",
)
ROW_FIELD_NAMES = {f: f.removesuffix("_id") for f in ROW_FIELDS}
HEADER_OF = {c.key: c.header for c in LEDGER.columns}
EVIDENCE = "Excel台账导入"
INTEGRITY_MESSAGE = "导入期间数据被他人同时修改，未导入任何数据，请重新导入。"
_CHUNK = 500


# --- result ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    enterprises_created: int = 0
    activities_created: int = 0
    activities_updated: int = 0
    entries_created: int = 0
    events_created: int = 0
    dry_run: bool = False

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def summary_text(self) -> str:
        body = (
            f"共{self.rows}行：新增项目{self.created}个，更新{self.updated}个，"
            f"未变化{self.unchanged}个；新增企业{self.enterprises_created}家；"
            f"新增活动{self.activities_created}个"
        )
        if self.activities_updated:
            body += f"，修改活动{self.activities_updated}个"
        body += f"；新增活动归属{self.entries_created}条。"
        if self.dry_run:
            return "校验通过，未写入任何数据（仅校验）。若正式导入将：" + body
        return "导入完成。" + body


# --- the import --------------------------------------------------------------------------


def ledger_import(
    *,
    by,
    data: bytes,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    filename: str = "",
) -> ImportResult:
    """Import a ledger workbook. All or nothing: raises ImportRejected with every error
    (and the marked copy of the file) when any row is bad; writes nothing on dry runs."""
    require(by, Cap.IMPORT_LEDGER)
    report: ProgressFn = progress or (lambda done, total, phase: None)
    errors = ErrorList()
    report(0, 0, "读取")
    ledger_rows, activity_rows = _read(data, errors, report)
    if ledger_rows is None or activity_rows is None:
        raise ImportRejected(errors.items, source=data)

    plan = _Plan(by=by, errors=errors, report=report)
    plan.load(ledger_rows, activity_rows)
    plan.check_activities(activity_rows)
    plan.check_rows(ledger_rows)
    if errors:
        raise ImportRejected(errors.items, source=data)
    plan.result.dry_run = dry_run
    if dry_run:
        report(1, 1, "完成")
        return plan.result
    try:
        with transaction.atomic():
            plan.write(filename=filename)
    except IntegrityError:
        raise ImportRejected([CellError(INTEGRITY_MESSAGE)]) from None
    report(1, 1, "完成")
    return plan.result


def _read(data: bytes, errors: ErrorList, report: ProgressFn):
    try:
        workbook = xlsx.open_workbook(data)
    except xlsx.WorkbookUnreadable as exc:
        errors.file(str(exc))
        return None, None
    try:
        names = xlsx.sheet_names(workbook)
        if LEDGER.name not in names:
            errors.file(
                f"缺少工作表“{LEDGER.name}”（文件中的工作表：{'、'.join(names)}），请使用导入模板"
            )
            return None, None
        ledger_rows = xlsx.read_sheet(
            workbook, LEDGER, errors, progress=lambda done, total: report(done, total, "读取")
        )
        activity_rows: list[xlsx.Row] | None = []
        if ACTIVITIES.name in names:
            activity_rows = xlsx.read_sheet(workbook, ACTIVITIES, errors, allow_empty=True)
        return ledger_rows, activity_rows
    finally:
        workbook.close()


def _chunks(values: Iterable, size: int = _CHUNK) -> Iterator[list]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _account(by):
    return by if getattr(by, "pk", None) else None


@dataclass
class _Row:
    """What a valid ledger row will do."""

    number: int
    project: Project
    is_new: bool
    before: dict | None = None
    changed: list[str] = field(default_factory=list)
    from_stage: str = Stage.RESERVE.value
    new_entries: list[tuple[Action, str, str]] = field(default_factory=list)  # action, key, mode


@dataclass
class _Plan:
    by: object
    errors: ErrorList
    report: ProgressFn
    result: ImportResult = field(default_factory=ImportResult)
    counties_by_name: dict[str, County] = field(default_factory=dict)
    counties_by_code: dict[str, County] = field(default_factory=dict)
    zones_by_name: dict[str, DevelopmentZone] = field(default_factory=dict)
    activities: dict[tuple[int, int], Activity] = field(default_factory=dict)
    enterprises_by_name: dict[str, Enterprise] = field(default_factory=dict)
    enterprises_by_code: dict[str, Enterprise] = field(default_factory=dict)
    projects: dict[tuple[str, int], Project] = field(default_factory=dict)
    project_by_code: dict[str, tuple[int, str]] = field(default_factory=dict)
    entries: dict[tuple[int, str], ActivityEntry] = field(default_factory=dict)
    new_activities: list[Activity] = field(default_factory=list)
    changed_activities: list[tuple[Activity, dict]] = field(default_factory=list)
    new_enterprises: dict[str, Enterprise] = field(default_factory=dict)
    rows: list[_Row] = field(default_factory=list)

    # --- lookups, a handful of queries whatever the file's size -------------------------

    def load(self, ledger_rows: list[xlsx.Row], activity_rows: list[xlsx.Row]) -> None:
        for county in County.objects.all():
            self.counties_by_name[county.name] = county
            self.counties_by_code[county.code] = county
        zones = list(DevelopmentZone.objects.all())
        short_names: dict[str, list[DevelopmentZone]] = {}
        for zone in zones:
            if zone.short_name:
                short_names.setdefault(zone.short_name, []).append(zone)
        for short, same in short_names.items():
            if len(same) == 1:
                self.zones_by_name[short] = same[0]
        for zone in zones:
            self.zones_by_name[zone.name] = zone
        self.activities = {(a.year, a.sequence): a for a in Activity.objects.all()}

        names = {r.values.get("enterprise") for r in ledger_rows} - {None, ""}
        codes = {r.values.get("credit_code") for r in ledger_rows} - {None, ""}
        for chunk in _chunks(names):
            for e in Enterprise.objects.filter(name__in=chunk):
                self.enterprises_by_name[e.name] = e
                self.enterprises_by_code[e.credit_code] = e
        for chunk in _chunks(codes - set(self.enterprises_by_code)):
            for e in Enterprise.objects.filter(credit_code__in=chunk):
                self.enterprises_by_code[e.credit_code] = e
        enterprise_ids = [e.pk for e in self.enterprises_by_name.values()]
        for chunk in _chunks(enterprise_ids):
            for p in Project.objects.filter(enterprise_id__in=chunk):
                self.projects[(p.name, p.enterprise_id)] = p
        project_codes = {r.values.get("code") for r in ledger_rows} - {None, ""}
        for chunk in _chunks(project_codes):
            for pk, code, name in Project.objects.filter(code__in=chunk).values_list(
                "pk", "code", "name"
            ):
                self.project_by_code[code] = (pk, name)
        project_ids = [p.pk for p in self.projects.values()]
        for chunk in _chunks(project_ids):
            for entry in ActivityEntry.objects.filter(project_id__in=chunk).select_related(
                "activity"
            ):
                self.entries[(entry.project_id, entry.action)] = entry

    # --- the activities sheet ------------------------------------------------------------

    def check_activities(self, rows: list[xlsx.Row]) -> None:
        seen: dict[tuple[int, int], int] = {}
        for row in rows:
            v = row.values
            if {"year", "sequence"} & row.failed:
                continue
            key = (v["year"], v["sequence"])
            label = f"{key[0]}年第{key[1]}次活动"
            if key in seen:
                self._act_error(row, "sequence", f"与第{seen[key]}行重复（同一年度、批次）")
                continue
            seen[key] = row.number
            if "date" not in row.failed and v["date"].year != v["year"]:
                self._act_error(row, "date", f"活动日期{v['date']:%Y-%m-%d}不在{v['year']}年度内")
                continue
            if row.failed:
                continue
            wanted = {"date": v["date"], "level": v["level"], "venue": v["venue"] or ""}
            existing = self.activities.get(key)
            may_manage = self.by.can(Cap.MANAGE_ACTIVITIES)
            if existing is None:
                if not may_manage:
                    self._act_error(row, "sequence", f"系统中没有{label}，您无权新增“三个一批”活动")
                    continue
                activity = Activity(year=key[0], sequence=key[1], **wanted)
                self.activities[key] = activity
                self.new_activities.append(activity)
                continue
            differs = [k for k, value in wanted.items() if getattr(existing, k) != value]
            if not differs:
                continue
            if not may_manage:
                for k in differs:
                    shown = _activity_value_text(k, getattr(existing, k))
                    self._act_error(
                        row,
                        k,
                        f"与系统中已登记的{label}不一致（系统中为“{shown}”），您无权修改活动",
                    )
                continue
            before = audit.snapshot(existing)
            for k, value in wanted.items():
                setattr(existing, k, value)
            self.changed_activities.append((existing, before))

    def _act_error(self, row: xlsx.Row, key: str, message: str) -> None:
        self.errors.add(xlsx.cell_error(ACTIVITIES, row.number, key, message))

    # --- the ledger sheet ----------------------------------------------------------------

    def _error(self, row: xlsx.Row, key: str, message: str) -> None:
        self.errors.add(xlsx.cell_error(LEDGER, row.number, key, message))

    def check_rows(self, rows: list[xlsx.Row]) -> None:
        seen_projects: dict[tuple[str, str], int] = {}
        seen_codes: dict[str, int] = {}
        seen_enterprises: dict[str, tuple[str, int]] = {}
        seen_credit_codes: dict[str, tuple[str, int]] = {}
        total = len(rows)
        self.result.rows = total
        for i, row in enumerate(rows, start=1):
            if i % 500 == 0:
                self.report(i, total, "校验")
            v = row.values
            ok = True  # False once this row has an error of its own

            # Region.
            county = None
            if "county" not in row.failed:
                county = self.counties_by_name.get(v["county"]) or self.counties_by_code.get(
                    v["county"]
                )
                if county is None:
                    self._error(
                        row,
                        "county",
                        f"“{v['county']}”不是{CITY_NAME}的县(市、区)（可填名称或6位代码）",
                    )
                    ok = False
            zone = None
            if v.get("zone"):
                zone = self.zones_by_name.get(v["zone"])
                if zone is None:
                    self._error(row, "zone", f"没有名为“{v['zone']}”的开发区")
                    ok = False
                elif county is not None and zone.county_id != county.pk:
                    self._error(row, "zone", f"开发区“{zone.name}”不在{county.name}")
                    ok = False
            elif "zone" in row.failed:
                ok = False

            # Enterprise: by name; a new one needs an unused credit code.
            name, enterprise_name, code = v.get("name"), v.get("enterprise"), v.get("credit_code")
            enterprise = None
            if enterprise_name and code:
                enterprise = self.enterprises_by_name.get(enterprise_name)
                if enterprise is not None and enterprise.credit_code != code:
                    self._error(row, "credit_code", "与系统中该企业已登记的统一社会信用代码不一致")
                    ok = False
                elif enterprise is None and code in self.enterprises_by_code:
                    self._error(row, "credit_code", "已被系统中的其他企业使用")
                    ok = False
                first = seen_enterprises.setdefault(enterprise_name, (code, row.number))
                if first[0] != code:
                    self._error(
                        row, "credit_code", f"与第{first[1]}行同一企业的统一社会信用代码不一致"
                    )
                    ok = False
                first_code = seen_credit_codes.setdefault(code, (enterprise_name, row.number))
                if first_code[0] != enterprise_name:
                    self._error(
                        row,
                        "credit_code",
                        f"与第{first_code[1]}行企业“{first_code[0]}”的统一社会信用代码相同",
                    )
                    ok = False
            else:
                ok = False

            # Duplicates in the file.
            if name and enterprise_name:
                first_row = seen_projects.setdefault((name, enterprise_name), row.number)
                if first_row != row.number:
                    self._error(row, "name", f"与第{first_row}行重复（项目名称和项目单位相同）")
                    ok = False
            project_code = v.get("code") or None
            if project_code:
                problem = project_code_error(project_code)
                if problem:
                    self._error(row, "code", problem)
                    ok = False
                else:
                    first_row = seen_codes.setdefault(project_code, row.number)
                    if first_row != row.number:
                        self._error(row, "code", f"与第{first_row}行的项目代码重复")
                        ok = False

            existing = None
            if enterprise is not None and name:
                existing = self.projects.get((name, enterprise.pk))
            if project_code and project_code in self.project_by_code:
                owner_pk = self.project_by_code[project_code][0]
                if existing is None or owner_pk != existing.pk:
                    self._error(row, "code", "已被系统中的其他项目使用")
                    ok = False

            # Stage, dates and batches.
            stage = v.get("stage")
            if stage is not None:
                dates = {f: v.get(f) for f in DATE_KEYS}
                for date_key, message in date_errors(stage, dates).items():
                    if date_key not in row.failed:
                        self._error(row, date_key, message)
                        ok = False
                if existing is not None and stage_index(stage) < stage_index(existing.stage):
                    self._error(
                        row,
                        "stage",
                        f"阶段只能向前推进：项目已处于“{STAGE_LABELS[Stage(existing.stage)]}”阶段，"
                        f"不能改为“{STAGE_LABELS[Stage(stage)]}”",
                    )
                    ok = False
            elif "stage" in row.failed:
                ok = False
            new_entries = self._check_batches(row, stage, existing)
            if new_entries is None:
                ok = False

            # Scope: the existing project and the row's county/zone must be the user's.
            if existing is not None and not in_scope(self.by, existing):
                self._error(row, "name", "超出您的管辖范围")
                continue
            if not ok or row.failed or county is None:
                if county is not None and not self._row_in_scope(county, zone):
                    self._scope_error(row)
                continue
            if not self._row_in_scope(county, zone):
                self._scope_error(row)
                continue

            self._plan_row(row, county, zone, enterprise, existing, new_entries)
        self.report(total, total, "校验")

    def _row_in_scope(self, county: County, zone: DevelopmentZone | None) -> bool:
        if self.by.sees_all:
            return True
        probe = Project(county_id=county.pk, zone_id=zone.pk if zone else None)
        return in_scope(self.by, probe)

    def _scope_error(self, row: xlsx.Row) -> None:
        key = "zone" if getattr(self.by, "scope_dimension", None) == "zone" else "county"
        self._error(row, key, "超出您的管辖范围")

    def _check_batches(
        self, row: xlsx.Row, stage: str | None, existing: Project | None
    ) -> list[tuple[Action, str, str]] | None:
        """The new activity attributions of a row, or None (with errors)."""
        v = row.values
        ok = True
        out: list[tuple[Action, str, str]] = []
        mode = v.get("sign_mode")
        if mode and not v.get("sign_batch") and "sign_batch" not in row.failed:
            self._error(row, "sign_mode", "未填写签约批次，不应填写签约方式")
            ok = False
        for batch_key, action in BATCHES:
            key = v.get(batch_key)
            if key is None:
                continue
            header = HEADER_OF[batch_key]
            if stage is not None and stage_index(stage) < stage_index(ACTION_STAGE[action]):
                self._error(
                    row, batch_key, f"项目阶段为“{STAGE_LABELS[Stage(stage)]}”，不应填写{header}"
                )
                ok = False
                continue
            activity = self.activities.get(key)
            if activity is None:
                self._error(
                    row,
                    batch_key,
                    f"没有{key[0]}年第{key[1]}次“三个一批”活动"
                    f"（请在“{ACTIVITIES.name}”表中列出，或先在系统中创建）",
                )
                ok = False
                continue
            this_mode = ""
            if action == Action.SIGN:
                if not mode:
                    if "sign_mode" not in row.failed:
                        self._error(
                            row, "sign_mode", "填写了签约批次，须填写签约方式（现场签约或同步签约）"
                        )
                    ok = False
                    continue
                this_mode = mode
            entry = self.entries.get((existing.pk, action.value)) if existing else None
            if entry is not None:
                if (entry.activity.year, entry.activity.sequence) != key:
                    self._error(
                        row,
                        batch_key,
                        f"项目已在{entry.activity}中{ACTION_LABELS[action]}，不能改为"
                        f"{activity_key(*key)}（如需更正，请先在活动页面移除原归属）",
                    )
                    ok = False
                elif entry.sign_mode != this_mode:
                    self._error(
                        row,
                        "sign_mode",
                        f"项目已在{entry.activity}中以“{SIGN_MODE_LABELS[entry.sign_mode]}”方式签约，"
                        f"不能改为“{SIGN_MODE_LABELS[this_mode]}”",
                    )
                    ok = False
                continue
            out.append((action, key, this_mode))
        return out if ok else None

    def _plan_row(self, row, county, zone, enterprise, existing, new_entries) -> None:
        v = row.values
        state = {
            "code": v["code"] or None,
            "county_id": county.pk,
            "zone_id": zone.pk if zone else None,
            "industry": v["industry"],
            "construction_kind": v["construction_kind"],
            "total_investment_wan": v["total_investment_wan"],
            "planned_output_wan": v["planned_output_wan"],
            "planned_tax_wan": v["planned_tax_wan"],
            "land_mu": v["land_mu"],
            "is_standard_land": v["is_standard_land"],
            "stage": v["stage"],
            "signed_date": v["signed_date"],
            "started_date": v["started_date"],
            "produced_date": v["produced_date"],
            "reached_date": v["reached_date"],
            "actual_output_wan": v["actual_output_wan"],
            "is_provincial_key": v["is_provincial_key"],
            "is_city_key": v["is_city_key"],
        }
        if existing is None:
            if enterprise is None:
                enterprise = self.new_enterprises.get(v["enterprise"])
                if enterprise is None:
                    enterprise = Enterprise(
                        name=v["enterprise"], credit_code=v["credit_code"], county=county
                    )
                    self.new_enterprises[enterprise.name] = enterprise
            project = Project(name=v["name"], enterprise=enterprise, **state)
            self.rows.append(_Row(row.number, project, True, new_entries=new_entries))
            self.result.created += 1
        else:
            changed = [f for f in ROW_FIELDS if getattr(existing, f) != state[f]]
            planned = _Row(
                row.number, existing, False, changed=changed, from_stage=existing.stage,
                new_entries=new_entries,
            )  # fmt: skip
            if changed:
                planned.before = audit.snapshot(existing)
                for f in changed:
                    setattr(existing, f, state[f])
                self.result.updated += 1
            elif new_entries:
                self.result.updated += 1
            else:
                self.result.unchanged += 1
            self.rows.append(planned)
        self.result.entries_created += len(new_entries)
        self.result.enterprises_created = len(self.new_enterprises)
        self.result.activities_created = len(self.new_activities)
        self.result.activities_updated = len(self.changed_activities)

    # --- writing: bulk operations, one transaction, audit rows included -----------------

    def write(self, *, filename: str = "") -> None:
        by = self.by
        account = _account(by)
        log: list[dict] = []
        steps = 7
        self.report(0, steps, "写入")

        bulk_insert(Activity, self.new_activities)
        for activity in self.new_activities:
            log.append(
                {"user": by, "action": "create", "obj": activity, "after": audit.snapshot(activity)}
            )
        for activity, before in self.changed_activities:
            activity.save()
            log.append(
                {
                    "user": by,
                    "action": "update",
                    "obj": activity,
                    "before": before,
                    "after": audit.snapshot(activity),
                }
            )
        self.report(1, steps, "写入")

        enterprises = list(self.new_enterprises.values())
        bulk_insert(Enterprise, enterprises)
        for enterprise in enterprises:
            log.append(
                {
                    "user": by,
                    "action": "create",
                    "obj": enterprise,
                    "after": audit.snapshot(enterprise),
                }
            )
        self.report(2, steps, "写入")

        created = [r.project for r in self.rows if r.is_new]
        for project in created:
            if project.enterprise_id is None:  # a new enterprise, which has its id now
                project.enterprise_id = project.enterprise.pk
        bulk_insert(Project, created)
        self.report(3, steps, "写入")

        updated = [r for r in self.rows if not r.is_new and r.changed]
        if updated:
            now = timezone.now()
            names = {ROW_FIELD_NAMES[f] for r in updated for f in r.changed} | {"updated_at"}
            for r in updated:
                r.project.updated_at = now
            bulk_update(Project, [r.project for r in updated], sorted(names))
        self.report(4, steps, "写入")

        # Ids, not instances, for the many small rows: assigning related instances
        # costs more than building the rows.
        account_id = account.pk if account is not None else None
        events: list[ProjectEvent] = []
        entries: list[ActivityEntry] = []
        entry_reprs: list[str] = []
        for r in self.rows:
            project = r.project
            attributed = {}
            for action, key, mode in r.new_entries:
                activity = self.activities[key]
                attributed[ACTION_STAGE[action]] = activity
                entries.append(
                    ActivityEntry(
                        activity_id=activity.pk,
                        project_id=project.pk,
                        action=action.value,
                        sign_mode=mode,
                        investment_wan=project.total_investment_wan or Decimal(0),
                    )
                )
                entry_reprs.append(f"{activity} {ACTION_LABELS[action]} {project.name}")
            reached_from = stage_index(r.from_stage)
            reached_to = stage_index(project.stage)
            for stage, date_field in STAGE_DATE_FIELD.items():
                if reached_from < stage_index(stage) <= reached_to:
                    activity = attributed.get(stage)
                    evidence = EVIDENCE
                    if activity is not None:
                        evidence = f"{EVIDENCE}：{activity}{STAGE_LABELS[stage]}"
                    events.append(
                        ProjectEvent(
                            project_id=project.pk,
                            kind=ProjectEvent.Kind.STAGE,
                            value=stage.value,
                            date=getattr(project, date_field),
                            evidence=evidence,
                            activity_id=activity.pk if activity is not None else None,
                            recorded_by_id=account_id,
                        )
                    )
            if r.is_new:
                log.append(
                    {
                        "user": by,
                        "action": "create",
                        "obj": project,
                        "after": audit.snapshot(project),
                        "message": EVIDENCE,
                    }
                )
            elif r.changed:
                log.append(
                    {
                        "user": by,
                        "action": "update",
                        "obj": project,
                        "before": r.before,
                        "after": audit.snapshot(project),
                        "message": _update_message(r),
                    }
                )
        bulk_insert(ProjectEvent, events, returning=False)
        self.report(5, steps, "写入")
        bulk_insert(ActivityEntry, entries)
        for entry, text in zip(entries, entry_reprs, strict=True):
            log.append(
                {
                    "user": by,
                    "action": "create",
                    "obj": entry,
                    "object_repr": text,
                    "after": audit.snapshot(entry),
                    "message": EVIDENCE,
                }
            )
        self.result.events_created = len(events)
        self.report(6, steps, "写入")

        summary = self.result.summary_text()
        log.append(
            {
                "user": by,
                "action": "import",
                "object_type": "projects.ledger",
                "object_repr": (filename or "项目台账")[:200],
                "after": self.result.as_dict(),
                "message": f"导入项目台账{('“' + filename + '”') if filename else ''}：{summary}",
            }
        )
        audit.record_many(log)
        self.report(steps, steps, "写入")


def _update_message(r: _Row) -> str:
    parts = []
    if r.from_stage != r.project.stage:
        parts.append(
            f"阶段 {STAGE_LABELS[Stage(r.from_stage)]} → {STAGE_LABELS[Stage(r.project.stage)]}"
        )
    others = [ROW_FIELD_NAMES[f] for f in r.changed if f != "stage"]
    if others:
        labels = [str(Project._meta.get_field(n).verbose_name) for n in others]
        parts.append("修改" + "、".join(labels))
    return f"{EVIDENCE}：{'；'.join(parts)}"


def _activity_value_text(key: str, value: object) -> str:
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if key == "level":
        return LEVEL_LABELS.get(value, str(value))
    return str(value)
