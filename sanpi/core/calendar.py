"""The official working-day calendar as the application uses it.

`official_calendar()` is the one way code gets the calendar (a `WorkCalendar`, see
core.workdays): built from the database (`CalendarDay`, `CalendarYear`), cached per
process and rebuilt when the calendar changes. Domain apps that hold deadlines register
a *deadline source* so a calendar edit can say which open deadlines it would move
before it is saved; core itself knows nothing about what the deadlines are.

Also here: the calendar's reads (a year's days, the years' coverage, the warning about
next year), input checks shared by the page, the API and `sanpi workdays`, and the
services that change the calendar (capability `MANAGE_CALENDAR`, audited).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from sanpi.accounts.roles import Cap

from . import audit
from .errors import Conflict, NotFound, ValidationFailed
from .models import AuditLog, CalendarDay, CalendarSource, CalendarYear
from .services import require, validate_instance
from .workdays import ONE_DAY, WorkCalendar, WorkdayAnswer

WEEKDAYS = "一二三四五六日"
MIN_YEAR, MAX_YEAR = 1900, 2200
MAX_WORKDAYS = 3650  # about 14 years of working days: more is a typing mistake
MAX_RANGE_DAYS = 62  # one entry may set a holiday period, not a whole year
WARN_FROM = (11, 1)  # from 1 November, warn if next year's schedule is missing


@dataclass(frozen=True)
class MovedDeadline:
    """An open deadline that a calendar change would move."""

    label: str  # e.g. "某项目 · 施工许可"
    url: str
    before: dt.date
    after: dt.date


# (old calendar, new calendar) → the open deadlines whose date differs between them
DeadlineSource = Callable[[WorkCalendar, WorkCalendar], list[MovedDeadline]]
_deadline_sources: list[DeadlineSource] = []


def register_deadline_source(source: DeadlineSource) -> None:
    if source not in _deadline_sources:
        _deadline_sources.append(source)


# Called inside the transaction of every calendar edit, with the new calendar: stored
# deadlines derived from the calendar are recomputed there (approvals' due_on).
CalendarListener = Callable[[WorkCalendar], None]
_listeners: list[CalendarListener] = []


def register_calendar_listener(listener: CalendarListener) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def moved_deadlines(old: WorkCalendar, new: WorkCalendar) -> list[MovedDeadline]:
    moved: list[MovedDeadline] = []
    for source in _deadline_sources:
        moved.extend(source(old, new))
    return moved


# --- the calendar in force ----------------------------------------------------------------

# Every process keeps the calendar it built with the version it was built for; the version
# lives in the shared cache and changes with every edit (calendar_changed), so every
# process rebuilds on its next call. A missing version (cache cleared) forces a rebuild.
_VERSION_KEY = "sanpi:calendar:version"
_built: tuple[str, WorkCalendar] | None = None
_build_lock = threading.Lock()


def build_calendar(day_model=CalendarDay, year_model=CalendarYear) -> WorkCalendar:
    """The calendar as the database holds it now (two queries; no cache). A migration
    passes its historical models."""
    days = day_model.objects.values_list("date", "kind")
    return WorkCalendar(
        exceptions=_exceptions((day, kind) for day, kind in days),
        covered_years=frozenset(
            year_model.objects.filter(covered=True).values_list("year", flat=True)
        ),
    )


def _effect(day: dt.date, kind: str) -> bool | None:
    """What a listed day does to counting: True/False = working/off against the weekend
    rule, None = nothing (a weekend day off, a weekday listed as working)."""
    weekend = day.weekday() >= 5
    if kind == CalendarDay.Kind.HOLIDAY:
        return False if not weekend else None
    return True if weekend else None


def _exceptions(days) -> dict[dt.date, bool]:
    out: dict[dt.date, bool] = {}
    for day, kind in days:
        effect = _effect(day, kind)
        if effect is not None:
            out[day] = effect
    return out


def official_calendar() -> WorkCalendar:
    """The calendar in force: from the database, cached until the calendar changes."""
    global _built
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY) or ""
    built = _built
    if built is not None and version and built[0] == version:
        return built[1]
    with _build_lock:
        calendar = build_calendar()
        _built = (version, calendar) if version else None
    return calendar


def calendar_changed() -> None:
    """Make every process rebuild its calendar on its next call."""
    global _built
    _built = None
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def _changed_in_transaction() -> None:
    # Now, for this process and this transaction's later reads; and again after the commit,
    # so no other process keeps a calendar it rebuilt before the change was visible.
    calendar_changed()
    transaction.on_commit(calendar_changed)
    if _listeners:
        new = build_calendar()
        for listener in _listeners:
            listener(new)


# --- reading --------------------------------------------------------------------------------


def weekday_label(day: dt.date) -> str:
    return "星期" + WEEKDAYS[day.weekday()]


def year_days(year: int):
    """The listed days of one year, in date order."""
    return CalendarDay.objects.filter(date__year=year).order_by("date")


@dataclass(frozen=True)
class YearStatus:
    year: int
    covered: bool
    source: str  # "" when the year has no row
    source_label: str
    basis: str
    holidays: int
    workdays: int

    @property
    def note(self) -> str:
        return "" if self.covered else f"{self.year}年节假日安排未录入，按周末推算"


def year_status(year: int) -> YearStatus:
    return next(s for s in years_status(extra=[year]) if s.year == year)


def years_status(*, extra: list[int] | tuple[int, ...] = ()) -> list[YearStatus]:
    """Every year with a row or listed days, plus `extra` years: coverage and day counts."""
    rows = {row.year: row for row in CalendarYear.objects.all()}
    counts: dict[int, dict[str, int]] = {}
    per_year = (
        CalendarDay.objects.values("date__year")
        .annotate(
            holidays=Count("date", filter=Q(kind=CalendarDay.Kind.HOLIDAY)),
            workdays=Count("date", filter=Q(kind=CalendarDay.Kind.WORKDAY)),
        )
        .order_by()
    )
    for entry in per_year:
        counts[entry["date__year"]] = entry
    out = []
    for year in sorted(set(rows) | set(counts) | set(extra)):
        row = rows.get(year)
        count = counts.get(year, {})
        out.append(
            YearStatus(
                year=year,
                covered=bool(row and row.covered),
                source=row.source if row else "",
                source_label=row.get_source_display() if row else "",
                basis=row.basis if row else "",
                holidays=count.get("holidays", 0),
                workdays=count.get("workdays", 0),
            )
        )
    return out


def today() -> dt.date:
    return timezone.localdate()


def coverage_warnings(user, *, on: dt.date | None = None) -> list[str]:
    """For those who keep the calendar: this year's schedule missing, or from 1 November
    next year's. Empty for everyone else."""
    if user is None or not getattr(user, "can", None) or not user.can(Cap.MANAGE_CALENDAR):
        return []
    on = on or today()
    years = [on.year]
    if (on.month, on.day) >= WARN_FROM:
        years.append(on.year + 1)
    covered = official_calendar().covered_years
    return [
        f"{year}年节假日安排未录入，期限按周末推算并标注“推算”。"
        "国务院办公厅公布安排后，请在“工作日历”中录入并标记为已录入。"
        for year in years
        if year not in covered
    ]


# --- input, shared by the page, the API and `sanpi workdays` ----------------------------

_DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def check_year(year: int, *, field: str = "year", label: str = "年份") -> int:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed.of(field, f"{label}须在{MIN_YEAR}年至{MAX_YEAR}年之间")
    return year


def check_date(day: dt.date, *, field: str = "date", label: str = "日期") -> dt.date:
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise ValidationFailed.of(
            field, f"{label}{day.isoformat()}超出范围：须在{MIN_YEAR}年至{MAX_YEAR}年之间"
        )
    return day


def parse_date(text: str, *, field: str = "date", label: str = "日期") -> dt.date:
    """A YYYY-MM-DD date, or ValidationFailed with a Chinese message naming the input."""
    value = (text or "").strip()
    if not _DATE_RE.match(value):
        raise ValidationFailed.of(
            field, f"{label}“{value[:40]}”格式不对，应为 YYYY-MM-DD，如 2021-09-26"
        )
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed.of(field, f"{label}“{value}”不是有效的日期") from None
    return check_date(day, field=field, label=label)


def parse_count(text: str, *, field: str = "n", label: str = "工作日数") -> int:
    value = (text or "").strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,12}", value):
        raise ValidationFailed.of(field, f"{label}“{value[:40]}”须为整数")
    return check_count(int(value), field=field, label=label)


def check_count(n: int, *, field: str = "n", label: str = "工作日数") -> int:
    if n < 0:
        raise ValidationFailed.of(field, f"{label}不能为负数")
    if n > MAX_WORKDAYS:
        raise ValidationFailed.of(field, f"{label}不能超过{MAX_WORKDAYS}")
    return n


def workdays_add(start: dt.date, n: int) -> WorkdayAnswer:
    """The n-th working day after `start` on the official calendar (n = 0: `start`)."""
    check_date(start)
    check_count(n)
    return official_calendar().add(start, n)


def workdays_between(a: dt.date, b: dt.date) -> WorkdayAnswer:
    """Working days after `a` up to and including `b` (0 when b ≤ a)."""
    check_date(a, field="a", label="起始日期")
    check_date(b, field="b", label="截止日期")
    return official_calendar().between(a, b)


# --- services -----------------------------------------------------------------------------


class ConfirmationRequired(Conflict):
    """A calendar change that would move open deadlines: shown, and saved only if confirmed."""

    code = "confirmation_required"
    LISTED = 20

    def __init__(self, moved: list[MovedDeadline]) -> None:
        self.moved = moved
        lines = [f"{m.label}：{m.before.isoformat()} → {m.after.isoformat()}" for m in moved]
        shown = "；".join(lines[: self.LISTED])
        more = f"等{len(moved)}项" if len(moved) > self.LISTED else ""
        super().__init__(
            f"此修改会改变{len(moved)}项未办结事项的期限，尚未保存：{shown}{more}。"
            "核对无误后请确认修改，再次提交。",
            fields={"confirm": lines},
        )


def _guard_moves(old: WorkCalendar, new: WorkCalendar, *, confirm: bool) -> str:
    """Refuse unless confirmed when open deadlines move; the note for the audit row."""
    moved = moved_deadlines(old, new)
    if moved and not confirm:
        raise ConfirmationRequired(moved)
    return f"经确认保存，{len(moved)}项未办结事项的期限随之改变" if moved else ""


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationFailed.of("name", "请填写节日名称，如“国庆节”")
    if len(name) > 50:
        raise ValidationFailed.of("name", "节日名称不能超过50个字")
    return name


def calendar_days_set(
    *,
    by,
    start: dt.date,
    end: dt.date | None = None,
    kind: str,
    name: str,
    confirm: bool = False,
) -> list[CalendarDay]:
    """Enter or correct the days from `start` to `end` (inclusive) as days off (放假) or
    adjusted working days (调休上班). One audit row per day that changes."""
    require(by, Cap.MANAGE_CALENDAR)
    end = end or start
    check_date(start, field="start", label="起始日期")
    check_date(end, field="end", label="截止日期")
    if end < start:
        raise ValidationFailed.of("end", "截止日期不能早于起始日期")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValidationFailed.of("end", f"一次最多录入{MAX_RANGE_DAYS}天")
    if kind not in CalendarDay.Kind.values:
        raise ValidationFailed.of("kind", "类型须为“放假”或“调休上班”")
    name = _clean_name(name)
    dates = [start + ONE_DAY * i for i in range((end - start).days + 1)]
    if kind == CalendarDay.Kind.WORKDAY:
        weekdays = [d for d in dates if d.weekday() < 5]
        if weekdays:
            listed = "、".join(f"{d.isoformat()}（{weekday_label(d)}）" for d in weekdays[:5])
            raise ValidationFailed.of(
                "kind",
                f"调休上班只能设在周六或周日，{listed}本来就是工作日；"
                "如要取消某天放假，请删除该日的记录",
            )
    with transaction.atomic():
        existing = {
            d.date: d for d in CalendarDay.objects.select_for_update().filter(date__in=dates)
        }
        # (the row to save, its audited state before: None for a new day)
        changes: list[tuple[CalendarDay, dict | None]] = []
        for day in dates:
            row = existing.get(day)
            if row is not None and (row.kind, row.name) == (kind, name):
                continue
            before = audit.snapshot(row) if row is not None else None
            row = row or CalendarDay(date=day)
            row.kind, row.name, row.source = kind, name, CalendarSource.ADMIN
            validate_instance(row, exclude=["date"] if before is not None else None)
            changes.append((row, before))
        if not changes:
            raise ValidationFailed("所填内容与日历现有记录相同，没有需要保存的修改")
        old = build_calendar()
        exceptions = dict(old.exceptions)
        for row, _ in changes:
            exceptions.pop(row.date, None)
            effect = _effect(row.date, kind)
            if effect is not None:
                exceptions[row.date] = effect
        note = _guard_moves(old, dataclasses.replace(old, exceptions=exceptions), confirm=confirm)
        for row, before in changes:
            row.save()
            audit.record(
                user=by,
                action=AuditLog.Action.UPDATE if before is not None else AuditLog.Action.CREATE,
                obj=row,
                before=before,
                after=audit.snapshot(row),
                message=note,
            )
        _changed_in_transaction()
    return [row for row, _ in changes]


def calendar_day_remove(*, by, day: dt.date, confirm: bool = False) -> None:
    """Remove a listed day: it follows the weekend rule again."""
    require(by, Cap.MANAGE_CALENDAR)
    check_date(day)
    with transaction.atomic():
        row = CalendarDay.objects.select_for_update().filter(date=day).first()
        if row is None:
            raise NotFound(f"工作日历中没有{day.isoformat()}的记录")
        old = build_calendar()
        exceptions = dict(old.exceptions)
        exceptions.pop(day, None)
        note = _guard_moves(old, dataclasses.replace(old, exceptions=exceptions), confirm=confirm)
        before = audit.snapshot(row)
        text = str(row)
        audit.record(
            user=by,
            action=AuditLog.Action.DELETE,
            obj=row,
            before=before,
            after=None,
            object_repr=text,
            message=note or f"删除后{day.isoformat()}按周末规则计算",
        )
        row.delete()
        _changed_in_transaction()


def calendar_year_set(
    *, by, year: int, covered: bool, basis: str = "", confirm: bool = False
) -> CalendarYear:
    """Mark a year's schedule as complete (covered) or not. A covered year counts on its
    listed days; an uncovered one on weekends only, marked provisional."""
    require(by, Cap.MANAGE_CALENDAR)
    check_year(year)
    basis = (basis or "").strip()
    if len(basis) > 200:
        raise ValidationFailed.of("basis", "依据不能超过200个字")
    with transaction.atomic():
        row = CalendarYear.objects.select_for_update().filter(year=year).first()
        if (
            covered
            and not CalendarDay.objects.filter(
                date__year=year, kind=CalendarDay.Kind.HOLIDAY
            ).exists()
        ):
            raise ValidationFailed.of(
                "covered", f"{year}年还没有录入任何放假日期，请先录入节假日安排，再标记为已录入"
            )
        if row is not None and row.covered == covered and (not basis or basis == row.basis):
            state = "已录入" if covered else "未录入"
            raise ValidationFailed(f"{year}年已是“{state}”，没有需要保存的修改")
        before = audit.snapshot(row) if row is not None else None
        if row is None:
            row = CalendarYear(year=year)
        row.covered = covered
        row.source = CalendarSource.ADMIN
        if basis:
            row.basis = basis
        validate_instance(row, exclude=["year"] if before is not None else None)
        old = build_calendar()
        years = set(old.covered_years)
        (years.add if covered else years.discard)(year)
        new = dataclasses.replace(old, covered_years=frozenset(years))
        note = _guard_moves(old, new, confirm=confirm)
        row.save()
        audit.record(
            user=by,
            action=AuditLog.Action.UPDATE if before is not None else AuditLog.Action.CREATE,
            obj=row,
            before=before,
            after=audit.snapshot(row),
            message=note,
        )
        _changed_in_transaction()
    return row
