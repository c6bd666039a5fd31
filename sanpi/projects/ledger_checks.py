"""Checking a ledger file against the database: what each row will do, or why it can't.

`LedgerPlan` looks everything up in a few queries, then checks every row of the file
(read by `sanpi.core.tables`) and records what the import will do: the projects created
and updated, the enterprises and activities created, the attributions and stage events
added. Every problem becomes an error on the clerk's own cell; the writer
(`ledger_write.write_plan`) runs only when there is none, so the preview's counts are
the import's.

Matching a row to a project it already has, so that re-sending a ledger never duplicates
projects (and so never changes a published bulletin total):
1. a 项目代码 already in the system is that project; its name and enterprise must agree
   with the row (after normalising width and spaces);
2. otherwise the project of the row's enterprise with the same name after normalising
   (NFKC, spaces of every kind, full/half width): the preview lists the matches where
   the text differed;
3. a project of another enterprise in the same county with that normalised name is a
   probable duplicate: the row is refused, naming the project and its code.
The enterprise is the one with the row's 统一社会信用代码; its name must agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone

from sanpi.accounts.roles import Cap
from sanpi.core import audit, cells
from sanpi.core.scope import in_scope
from sanpi.core.tables import Row, RowSpool, Table, TableReport
from sanpi.core.xlsx import ErrorList
from sanpi.regions.models import County, DevelopmentZone, Enterprise
from sanpi.regions.rules import CITY_NAME

from .ledger_columns import (
    BATCHES,
    DATE_KEYS,
    HEADER_OF,
    LEVEL_LABELS,
    ROW_FIELDS,
    SIGN_MODE_LABELS,
)
from .models import Activity, ActivityEntry, Project
from .rules import (
    ACTION_LABELS,
    ACTION_STAGE,
    STAGE_DATE_FIELD,
    STAGE_LABELS,
    Action,
    Stage,
    activity_key,
    amount_scale_error,
    amount_scale_warning,
    date_errors,
    future_date_errors,
    planned_completion_error,
    project_code_error,
    stage_index,
)

CHUNK = 500  # keys in one IN (…) query
OUTSIDE = "超出您的管辖范围"
OUTSIDE_FIX = "请核对项目代码，或请市项目办处理"
CHUNK_ROWS = 2000  # rows checked (and written) together
MATCH_SAMPLE = 50  # normalised-name matches listed in the preview
WARNING_SAMPLE = 100
AMOUNT_KEYS = ("total_investment_wan", "planned_output_wan", "planned_tax_wan", "actual_output_wan")
LARGE_AMOUNT_SETTINGS = {
    "total_investment_wan": "SANPI_LARGE_INVESTMENT_WAN",
    "planned_output_wan": "SANPI_LARGE_OUTPUT_WAN",
    "actual_output_wan": "SANPI_LARGE_OUTPUT_WAN",
}
# Ledger columns and the project fields they set; a column the file lacks leaves the field.
FIELD_OF_COLUMN = {
    "code": "code",
    "county": "county_id",
    "zone": "zone_id",
    "industry": "industry",
    "construction_kind": "construction_kind",
    "total_investment_wan": "total_investment_wan",
    "planned_output_wan": "planned_output_wan",
    "planned_tax_wan": "planned_tax_wan",
    "land_mu": "land_mu",
    "is_standard_land": "is_standard_land",
    "stage": "stage",
    "signed_date": "signed_date",
    "started_date": "started_date",
    "produced_date": "produced_date",
    "reached_date": "reached_date",
    "planned_completion_date": "planned_completion_date",
    "actual_output_wan": "actual_output_wan",
    "is_provincial_key": "is_provincial_key",
    "is_city_key": "is_city_key",
}
assert set(FIELD_OF_COLUMN.values()) == set(ROW_FIELDS)
# What the checks read of a project the system has (the writer reloads it whole).
CHECKED_FIELDS = ("pk", "name", "enterprise_id", *ROW_FIELDS)


def chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    """Lists of ``size`` items, streaming (the last one shorter)."""
    chunk: list = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class Known(NamedTuple):
    """An enterprise already in the system, as the checks need it."""

    pk: int
    name: str
    credit_code: str


class Named(NamedTuple):
    """A project already in the system, as the duplicate check needs it."""

    pk: int
    name: str
    code: str | None
    enterprise_id: int
    enterprise_name: str
    county_id: int
    zone_id: int | None


NAMED_FIELDS = ("pk", "name", "code", "enterprise_id", "enterprise__name", "county_id", "zone_id")


@dataclass
class LedgerPlan:
    by: object
    errors: ErrorList
    progress: object  # (done, total, phase) -> None
    result: object  # io.ImportResult
    ledger: Table | None = None
    reports: dict[str, TableReport] = field(default_factory=dict)  # by sheet role
    acts: Table | None = None
    counties: dict[str, County] = field(default_factory=dict)  # by match key and by code
    county_codes: dict[int, str] = field(default_factory=dict)
    zone_names: dict[int, str] = field(default_factory=dict)
    zones: dict[str, DevelopmentZone] = field(default_factory=dict)  # by match key
    activities: dict[tuple[int, int], Activity] = field(default_factory=dict)
    by_credit_code: dict[str, Known] = field(default_factory=dict)
    by_enterprise_key: dict[str, Known] = field(default_factory=dict)
    projects: dict[tuple[str, int], Project] = field(default_factory=dict)  # (name key, ent.)
    project_by_code: dict[str, Named] = field(default_factory=dict)
    same_name: dict[tuple[str, int], Named] = field(default_factory=dict)  # (name key, county)
    entries: dict[tuple[int, str], ActivityEntry] = field(default_factory=dict)
    new_activities: list[Activity] = field(default_factory=list)
    changed_activities: list[tuple[Activity, dict]] = field(default_factory=list)
    new_enterprises: dict[str, Enterprise] = field(default_factory=dict)  # by credit code
    # What each valid row will do, by row number: the project it updates (None: a new
    # one) and its new attributions. Small, so a big file's checks keep little in memory.
    records: dict[int, tuple[int | None, tuple]] = field(default_factory=dict)
    spool: RowSpool | None = None  # the rows to write, for the writing pass
    loaded_counties: set[int] = field(default_factory=set)
    keyed_enterprises: set[int] = field(default_factory=set)
    project_keys: dict[tuple[str, int], int] = field(default_factory=dict)  # -> project pk
    seen_projects: dict[tuple[str, str], int] = field(default_factory=dict)
    seen_codes: dict[str, int] = field(default_factory=dict)
    seen_enterprises: dict[str, tuple[str, int]] = field(default_factory=dict)
    seen_credit_codes: dict[str, tuple[str, str, int]] = field(default_factory=dict)
    matched: list[dict] = field(default_factory=list)  # normalised-name matches, a sample
    matched_count: int = 0
    warnings: list[str] = field(default_factory=list)  # plausible but unusual, a sample
    warning_count: int = 0
    today: dt.date = field(default_factory=timezone.localdate)

    # --- lookups, a handful of queries whatever the file's size -------------------------------

    def load_reference(self) -> None:
        """Counties, zones and activities: small tables, read whole once."""
        for county in County.objects.all():
            self.counties[county.code] = county
            self.county_codes[county.pk] = county.code
            for name in _county_names(county.name):
                self.counties[cells.match_key(name)] = county
        zones = list(DevelopmentZone.objects.all())
        short: dict[str, list[DevelopmentZone]] = {}
        for zone in zones:
            if zone.short_name:
                short.setdefault(cells.match_key(zone.short_name), []).append(zone)
        for key, same in short.items():
            if len(same) == 1:
                self.zones[key] = same[0]
        for zone in zones:
            self.zones[cells.match_key(zone.name)] = zone
            self.zone_names[zone.pk] = zone.name
        self.activities = {(a.year, a.sequence): a for a in Activity.objects.all()}

    def _load_chunk(self, rows: list[Row]) -> None:
        """What the checks of these rows need from the database, in a few queries."""
        codes = {r.values.get("credit_code") for r in rows} - {None, ""}
        names = {r.values.get("enterprise") for r in rows} - {None, ""}
        for chunk in chunks(codes - set(self.by_credit_code)):
            for known in Enterprise.objects.filter(credit_code__in=chunk).values_list(
                "pk", "name", "credit_code"
            ):
                self._know(Known(*known))
        # Enterprises by name, whatever their code, for "same enterprise, other code":
        # exact names in SQL; normalised spellings through the whole county's list.
        for chunk in chunks(names):
            for known in Enterprise.objects.filter(name__in=chunk).values_list(
                "pk", "name", "credit_code"
            ):
                self._know(Known(*known))
        counties = {self._county(r.values.get("county")) for r in rows} - {None}
        for county in counties:
            if county.pk not in self.loaded_counties:
                self._load_county(county)
        self.projects, self.project_by_code, self.entries = {}, {}, {}
        # The projects of the chunk's enterprises, by normalised name: keys for all of
        # them (kept across chunks), full instances only for the ones the rows name.
        enterprise_ids = {self.by_credit_code[c].pk for c in codes if c in self.by_credit_code}
        for chunk in chunks(enterprise_ids - self.keyed_enterprises):
            self.keyed_enterprises.update(chunk)
            for pk, name, enterprise_id in Project.objects.filter(
                enterprise_id__in=chunk
            ).values_list("pk", "name", "enterprise_id"):
                self.project_keys[(cells.match_key(name), enterprise_id)] = pk
        wanted = set()
        for r in rows:
            known = self.by_credit_code.get(r.values.get("credit_code"))
            if known is not None and r.values.get("name"):
                pk = self.project_keys.get((cells.match_key(r.values["name"]), known.pk))
                if pk is not None:
                    wanted.add(pk)
        for chunk in chunks(wanted):
            for p in Project.objects.filter(pk__in=chunk).only(*CHECKED_FIELDS):
                self.projects[(cells.match_key(p.name), p.enterprise_id)] = p
        project_codes = {r.values.get("code") for r in rows} - {None, ""}
        for chunk in chunks(project_codes):
            for named in Project.objects.filter(code__in=chunk).values_list(*NAMED_FIELDS):
                self.project_by_code[named[2]] = Named(*named)
        project_ids = [p.pk for p in self.projects.values()]
        for chunk in chunks(project_ids):
            for entry in ActivityEntry.objects.filter(project_id__in=chunk).select_related(
                "activity"
            ):
                self.entries[(entry.project_id, entry.action)] = entry

    def _load_county(self, county: County) -> None:
        """A county's enterprises and project names, for matching retyped names."""
        self.loaded_counties.add(county.pk)
        for known in (
            Enterprise.objects.filter(county=county)
            .values_list("pk", "name", "credit_code")
            .iterator(chunk_size=2000)
        ):
            self._know(Known(*known))
        for named in (
            Project.objects.filter(county=county)
            .values_list(*NAMED_FIELDS)
            .iterator(chunk_size=2000)
        ):
            named = Named(*named)
            self.same_name.setdefault((cells.match_key(named.name), named.county_id), named)

    def _know(self, known: Known) -> None:
        self.by_credit_code[known.credit_code] = known
        self.by_enterprise_key.setdefault(cells.match_key(known.name), known)

    def _county(self, value: object) -> County | None:
        if not value:
            return None
        return self.counties.get(str(value)) or self.counties.get(cells.match_key(str(value)))

    # --- the activities sheet --------------------------------------------------------------

    def check_activities(self, rows: list[Row]) -> None:
        seen: dict[tuple[int, int], int] = {}
        present = self.acts.present if self.acts else frozenset()
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
            wanted = {"date": v["date"], "level": v["level"]}
            if "venue" in present:
                wanted["venue"] = v["venue"] or ""
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

    def _act_error(self, row: Row, key: str, message: str) -> None:
        self.errors.add(self.acts.error(row.number, key, message))

    # --- the ledger sheet ------------------------------------------------------------------

    def _error(self, row: Row, key: str, message: str) -> None:
        self.errors.add(self.ledger.error(row.number, key, message))

    def check(self, rows: Iterable[Row], *, estimate: int = 0) -> None:
        """Check every row (streamed), a chunk at a time: a chunk's lookups, then its rows.
        `load_reference` (and `check_activities`) first."""
        for chunk in chunks(rows, CHUNK_ROWS):
            self._load_chunk(chunk)
            for row in chunk:
                self.result.rows += 1
                self._check_row(row)
            done = self.result.rows
            self.progress(done, estimate if estimate >= done else 0, "校验")
        self.projects, self.project_by_code, self.entries = {}, {}, {}

    def _check_row(self, row: Row) -> None:
        v = row.values
        ok = True  # False once this row has an error of its own

        # Region.
        county = None
        if "county" not in row.failed:
            county = self._county(v["county"])
            if county is None:
                self._error(
                    row,
                    "county",
                    f"“{v['county']}”不是{CITY_NAME}的县(市、区)"
                    "（可填全称如“离石区”、简称如“离石”或6位代码）",
                )
                ok = False
        zone = None
        if v.get("zone"):
            zone = self.zones.get(cells.match_key(v["zone"]))
            if zone is None:
                self._error(row, "zone", f"没有名为“{v['zone']}”的开发区")
                ok = False
            elif county is not None and zone.county_id != county.pk:
                self._error(row, "zone", f"开发区“{zone.name}”不在{county.name}")
                ok = False
        elif "zone" in row.failed:
            ok = False

        # Enterprise: the one with the row's credit code; its name must agree.
        name, enterprise_name, code = v.get("name"), v.get("enterprise"), v.get("credit_code")
        enterprise: Known | None = None
        if enterprise_name and code:
            name_key = cells.match_key(enterprise_name)
            enterprise = self.by_credit_code.get(code)
            if enterprise is not None and cells.match_key(enterprise.name) != name_key:
                self._error(
                    row,
                    "credit_code",
                    f"此代码在系统中属于“{enterprise.name}”，与本行项目单位“{enterprise_name}”"
                    "不一致；如企业已更名，请先在企业页面修改名称",
                )
                enterprise = None
                ok = False
            elif enterprise is None and name_key in self.by_enterprise_key:
                other = self.by_enterprise_key[name_key]
                self._error(
                    row,
                    "credit_code",
                    f"与系统中该企业“{other.name}”已登记的统一社会信用代码"
                    f"{other.credit_code}不一致",
                )
                ok = False
            first = self.seen_enterprises.setdefault(name_key, (code, row.number))
            if first[0] != code:
                self._error(row, "credit_code", f"与第{first[1]}行同一企业的统一社会信用代码不一致")
                ok = False
            first_code = self.seen_credit_codes.setdefault(
                code, (name_key, enterprise_name, row.number)
            )
            if first_code[0] != name_key:
                self._error(
                    row,
                    "credit_code",
                    f"与第{first_code[2]}行企业“{first_code[1]}”的统一社会信用代码相同",
                )
                ok = False
        else:
            ok = False

        # Duplicates in the file.
        project_key = cells.match_key(name) if name else ""
        if name and enterprise_name:
            pair = (project_key, cells.match_key(enterprise_name))
            first_row = self.seen_projects.setdefault(pair, row.number)
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
                first_row = self.seen_codes.setdefault(project_code, row.number)
                if first_row != row.number:
                    self._error(row, "code", f"与第{first_row}行的项目代码重复")
                    ok = False

        # The project the row is about, if the system has it.
        existing = None
        if enterprise is not None and name:
            existing = self.projects.get((project_key, enterprise.pk))
        # A project outside the user's area is named by nothing but that fact: not its
        # stage, not its name, not who owns it.
        if existing is not None and not in_scope(self.by, existing):
            self._error(row, "name", OUTSIDE)
            return
        by_code = self.project_by_code.get(project_code) if project_code else None
        if by_code is not None and (existing is None or by_code.pk != existing.pk):
            if self._visible(by_code):
                self._error(
                    row,
                    "code",
                    f"此项目代码在系统中属于项目“{by_code.name}”（{by_code.enterprise_name}），"
                    "与本行的项目名称或项目单位不一致",
                )
            else:
                self._error(row, "code", f"此项目代码属于您管辖范围以外的项目，{OUTSIDE_FIX}")
            ok = False
        if existing is None and name and county is not None and ok:
            twin = self.same_name.get((project_key, county.pk))
            if twin is not None and not self._visible(twin):
                twin = None  # the row's county is not the user's: refused below, untold
            if twin is not None:
                self._error(
                    row,
                    "name",
                    f"疑似重复：{county.name}已有同名项目“{twin.name}”"
                    f"（项目代码{twin.code or '未填'}，项目单位“{twin.enterprise_name}”）。"
                    f"如是同一项目，请把项目单位写成“{twin.enterprise_name}”；"
                    "如是不同项目，请在项目名称中加以区分",
                )
                ok = False
        if existing is not None and existing.name != name:
            self._matched(row, existing, name)
        v = self.fill_batch_dates(self.complete(v, existing))

        # Stage, dates and batches: a batched stage's date is its activity's date.
        flagged = self._batch_date_errors(row, v, existing)
        for date_key, message in flagged.items():
            self._error(row, date_key, message)
            ok = False
        stage = v.get("stage")
        if stage is not None:
            dates = {f: v.get(f) for f in DATE_KEYS}
            problems = date_errors(stage, dates)
            for date_key, message in future_date_errors(dates, self.today).items():
                problems.setdefault(date_key, message)
            problem = planned_completion_error(v.get("planned_completion_date"), dates)
            if problem:
                problems["planned_completion_date"] = problem
            for date_key, message in problems.items():
                if date_key not in row.failed and date_key not in flagged:
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
        for key in AMOUNT_KEYS:
            label = HEADER_OF[key].split("(")[0]
            problem = amount_scale_error(label, v.get(key))
            if problem:
                self._error(row, key, problem)
                ok = False
            elif key in LARGE_AMOUNT_SETTINGS:
                warning = amount_scale_warning(
                    label, v.get(key), getattr(settings, LARGE_AMOUNT_SETTINGS[key])
                )
                if warning:
                    self._warn(row, key, warning)
        new_entries = self._check_batches(row, v, stage, existing)
        if new_entries is None:
            ok = False

        # Scope: the row's county/zone must be the user's (the existing project's was
        # checked where it was found).
        if not ok or row.failed or county is None:
            if county is not None and not self._row_in_scope(county, zone):
                self._scope_error(row)
            return
        if not self._row_in_scope(county, zone):
            self._scope_error(row)
            return

        self._plan_row(row, v, county, zone, enterprise, existing, new_entries)

    def complete(self, v: dict, existing: Project | None) -> dict:
        """The row's values, with what the file does not give: an existing project keeps
        the values of the columns the file lacks; a new one gets nothing."""
        present = self.ledger.present
        missing = [k for k in FIELD_OF_COLUMN if k not in present]
        if not missing:
            return v
        out = dict(v)
        for key in missing:
            if existing is None:
                out[key] = False if key.startswith("is_") else None
            elif key == "county":
                out[key] = self.county_codes[existing.county_id]
            elif key == "zone":
                out[key] = self.zone_names.get(existing.zone_id)
            else:
                out[key] = getattr(existing, FIELD_OF_COLUMN[key])
        return out

    def fill_batch_dates(self, v: dict) -> dict:
        """An empty date of a batched stage the row has reached takes its activity's date."""
        out = v
        reached = stage_index(v["stage"]) if v.get("stage") else -1
        for batch_key, action in BATCHES:
            activity = self.activities.get(v.get(batch_key)) if v.get(batch_key) else None
            date_key = STAGE_DATE_FIELD[ACTION_STAGE[action]]
            if reached < stage_index(ACTION_STAGE[action]):
                continue
            if activity is not None and v.get(date_key) is None:
                if out is v:
                    out = dict(v)
                out[date_key] = activity.date
        return out

    def _batch_date_errors(self, row: Row, v: dict, existing: Project | None) -> dict[str, str]:
        out: dict[str, str] = {}
        for batch_key, action in BATCHES:
            activity = self.activities.get(v.get(batch_key)) if v.get(batch_key) else None
            date_key = STAGE_DATE_FIELD[ACTION_STAGE[action]]
            day = v.get(date_key)
            if activity is None or day is None or day == activity.date or date_key in row.failed:
                continue
            entry = self.entries.get((existing.pk, action.value)) if existing else None
            if entry is not None and entry.activity_id != activity.pk:
                continue  # the attribution itself is refused (see _check_batches)
            out[date_key] = (
                f"{HEADER_OF[date_key]}{day:%Y-%m-%d}与{HEADER_OF[batch_key]}"
                f"{activity_key(*v[batch_key])}（{activity.date:%Y-%m-%d}）不一致：按批次归属的阶段，"
                f"日期即活动日期，请改为{activity.date:%Y-%m-%d}或留空"
            )
        return out

    def _visible(self, named: Named) -> bool:
        """Whether the user may see a project found by its code or name (judged on the
        keys read with it, as `_row_in_scope` judges a row: no query)."""
        probe = Project(
            pk=named.pk, county_id=named.county_id, zone_id=named.zone_id,
            enterprise_id=named.enterprise_id,
        )  # fmt: skip
        return in_scope(self.by, probe)

    def _warn(self, row: Row, key: str, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < WARNING_SAMPLE:
            self.warnings.append(str(self.ledger.error(row.number, key, message)))

    def _matched(self, row: Row, existing: Project, name: str) -> None:
        self.matched_count += 1
        if len(self.matched) < MATCH_SAMPLE:
            self.matched.append(
                {"row": row.number, "name": name, "project": existing.name,
                 "code": existing.code or ""}
            )  # fmt: skip

    def _row_in_scope(self, county: County, zone: DevelopmentZone | None) -> bool:
        if self.by.sees_all:
            return True
        probe = Project(county_id=county.pk, zone_id=zone.pk if zone else None)
        return in_scope(self.by, probe)

    def _scope_error(self, row: Row) -> None:
        key = "zone" if getattr(self.by, "scope_dimension", None) == "zone" else "county"
        self._error(row, key, OUTSIDE)

    def _check_batches(
        self, row: Row, v: dict, stage: str | None, existing: Project | None
    ) -> list[tuple[Action, tuple[int, int], str]] | None:
        """The new activity attributions of a row, or None (with errors)."""
        ok = True
        out: list[tuple[Action, tuple[int, int], str]] = []
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
                    "（请在“三个一批活动”表中列出，或先在系统中创建）",
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

    def state_of(self, v: dict, county: County, zone: DevelopmentZone | None) -> dict:
        """The project fields a checked row sets (by attname)."""
        state = {
            FIELD_OF_COLUMN[k]: v[k] for k in FIELD_OF_COLUMN if k not in ("code", "county", "zone")
        }
        state["code"] = v["code"] or None
        state["county_id"] = county.pk
        state["zone_id"] = zone.pk if zone else None
        return state

    def region_of(self, v: dict) -> tuple[County, DevelopmentZone | None]:
        """The county and zone of a checked row."""
        county = self._county(v["county"])
        zone = self.zones.get(cells.match_key(v["zone"])) if v.get("zone") else None
        return county, zone

    def _plan_row(self, row, v, county, zone, enterprise, existing, new_entries) -> None:
        state = self.state_of(v, county, zone)
        if existing is None:
            if enterprise is None and v["credit_code"] not in self.new_enterprises:
                self.new_enterprises[v["credit_code"]] = Enterprise(
                    name=v["enterprise"], credit_code=v["credit_code"], county=county
                )
            self.result.created += 1
            from_stage = Stage.RESERVE.value
        else:
            changed = any(getattr(existing, f) != state[f] for f in ROW_FIELDS)
            if not changed and not new_entries:
                self.result.unchanged += 1
                return  # nothing to write
            self.result.updated += 1
            from_stage = existing.stage
        self.records[row.number] = (existing.pk if existing else None, tuple(new_entries))
        if self.spool is not None:
            self.spool.add(row)
        self.result.entries_created += len(new_entries)
        self.result.events_created += len(stages_reached(from_stage, state["stage"]))
        self.result.enterprises_created = len(self.new_enterprises)
        self.result.activities_created = len(self.new_activities)
        self.result.activities_updated = len(self.changed_activities)


def stages_reached(from_stage: str, to_stage: str) -> list[Stage]:
    """The stages a row moves its project into (one stage event each)."""
    reached_from = stage_index(from_stage)
    reached_to = stage_index(to_stage)
    return [s for s in STAGE_DATE_FIELD if reached_from < stage_index(s) <= reached_to]


def _county_names(name: str) -> list[str]:
    """A county's name as clerks write it: 离石区, 离石, 吕梁市离石区."""
    names = [name, f"{CITY_NAME}{name}"]
    if len(name) > 2 and name[-1] in "区县市":
        names.append(name[:-1])
    return names


def _activity_value_text(key: str, value: object) -> str:
    if isinstance(value, dt.date):
        return f"{value:%Y-%m-%d}"
    if key == "level":
        return LEVEL_LABELS.get(value, str(value))
    return str(value)
