"""Schedules: background jobs that run by the clock (the nightly 承诺 scan, the purge of
old jobs).

No task framework here: a periodic job is a job kind (``core.jobs``) that a worker starts
when it is due. An app declares one with ``@periodic``::

    @periodic("approvals_scan", label="承诺到期扫描", every="daily", at="01:00")
    def scan(job, progress): ...

which registers the function as a job kind (run with no user; the slot it was started
for is ``job.params["scheduled_for"]``, see ``scheduled_date``) and the default timing.
A ``Schedule`` row per declaration holds what the system administrator may change (time
of day or interval, on or off, working days only) and when it is due next:
``sync_schedules`` creates missing rows and keeps an administrator's changes.

The worker calls ``tick()`` before each look at the queue; ``fire_due(now)`` starts every
enabled schedule whose ``next_run`` has come. The rules:

* a schedule fires once per slot even with several workers: each claims it with a
  conditional update on the ``next_run`` it read, and only one update matches;
* ``next_run`` becomes the next slot strictly after *now*, so slots missed while no worker
  ran are caught up once (the job is started for the latest missed slot), not once each;
* slots are local times (``settings.TIME_ZONE``); a working-days-only schedule has slots
  only on official working days (``core.calendar``: holidays off, 调休 days on).

Interval slots are counted from local midnight each day (every 15 minutes: :00, :15, :30,
:45); an interval that does not divide the day restarts at midnight.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from sanpi.accounts.roles import Cap

from . import audit, jobs
from .errors import NotFound, ValidationFailed
from .models import Job, Schedule
from .services import require

logger = logging.getLogger(__name__)

MIN_MINUTES, MAX_MINUTES = 1, 1440
SEARCH_DAYS = 800  # how far to look for a working day before giving up (no next run)
BAD_TIME = "时间格式应为 HH:MM，如 01:00"
BAD_MINUTES = f"间隔应为{MIN_MINUTES}至{MAX_MINUTES}分钟之间的整数"
DAY = dt.timedelta(days=1)


# --- declarations ----------------------------------------------------------------------


@dataclass(frozen=True)
class Periodic:
    """A periodic job as the code declares it: its defaults."""

    name: str
    label: str
    every: str  # Schedule.Every
    at: dt.time | None = None
    minutes: int | None = None
    working_days_only: bool = False


PERIODIC: dict[str, Periodic] = {}


def parse_time(text: str) -> dt.time:
    """A time from "HH:MM" (or "H:MM"); ValueError otherwise."""
    match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", (text or "").strip())
    if not match:
        raise ValueError(BAD_TIME)
    hour, minute = int(match[1]), int(match[2])
    if hour > 23 or minute > 59:
        raise ValueError(BAD_TIME)
    return dt.time(hour, minute)


def periodic(
    name: str,
    *,
    label: str,
    every: str = "daily",
    at: str | None = None,
    minutes: int | None = None,
    working_days_only: bool = False,
    idempotent: bool = False,
    max_attempts: int = 3,
):
    """Declare a periodic job: ``every="daily"`` with ``at="HH:MM"``, ``every="hourly"``,
    or ``every="minutes"`` with ``minutes=N`` (1–1440). The function is registered as the
    job kind ``name`` (``core.jobs.job_kind``), run as a job with no user."""
    if every == "daily":
        if at is None or minutes is not None:
            raise ValueError(f"periodic {name!r}: daily needs at='HH:MM' and no minutes")
        decl = Periodic(
            name,
            label,
            Schedule.Every.DAILY,
            at=parse_time(at),
            working_days_only=working_days_only,
        )
    elif every in ("hourly", "minutes"):
        if every == "hourly":
            if minutes not in (None, 60):
                raise ValueError(f"periodic {name!r}: hourly means minutes=60")
            minutes = 60
        if at is not None or not isinstance(minutes, int):
            raise ValueError(f"periodic {name!r}: an interval needs minutes=N and no at")
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise ValueError(f"periodic {name!r}: minutes must be 1-1440")
        decl = Periodic(
            name,
            label,
            Schedule.Every.INTERVAL,
            minutes=minutes,
            working_days_only=working_days_only,
        )
    else:
        raise ValueError(f"periodic {name!r}: every must be daily, hourly or minutes")
    register_kind = jobs.job_kind(
        name, label=label, idempotent=idempotent, max_attempts=max_attempts
    )

    def register(run):
        PERIODIC[name] = decl
        return register_kind(run)

    return register


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def scheduled_for(job: Job) -> dt.datetime | None:
    """The slot a scheduled job was started for (local time), None for one started by hand."""
    text = (job.params or {}).get("scheduled_for")
    try:
        return dt.datetime.fromisoformat(text).astimezone(local_zone()) if text else None
    except (TypeError, ValueError):
        return None


def scheduled_date(job: Job) -> dt.date:
    """The local date of the slot the job was started for (today when started by hand)."""
    slot = scheduled_for(job)
    return slot.date() if slot else timezone.localdate()


# --- slots ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    """When a schedule's slots are. Pure: the zone and the working-day test are given."""

    every: str
    at: dt.time | None
    minutes: int | None
    working_days_only: bool
    zone: dt.tzinfo
    is_working_day: Callable[[dt.date], bool] = field(compare=False)

    def _open(self, day: dt.date) -> bool:
        return not self.working_days_only or self.is_working_day(day)

    def _local(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time).replace(tzinfo=self.zone)

    def _step(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.minutes or 0)

    def _day_slots(self) -> int:
        """Interval slots per day, the first at midnight."""
        return -(-MAX_MINUTES // (self.minutes or MAX_MINUTES))

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first slot strictly after ``moment`` (UTC), None if none is near."""
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if self._open(day):
                slot = self._first_of_day_after(day, moment, local)
                if slot is not None:
                    return slot.astimezone(dt.UTC)
            day += DAY
        return None

    def last_upto(self, moment: dt.datetime) -> dt.datetime | None:
        """The last slot at or before ``moment`` (UTC), None if none is near."""
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(SEARCH_DAYS):
            if self._open(day):
                slot = self._last_of_day_upto(day, moment, local)
                if slot is not None:
                    return slot.astimezone(dt.UTC)
            day -= DAY
        return None

    def _first_of_day_after(self, day, moment, local) -> dt.datetime | None:
        if self.every == Schedule.Every.DAILY:
            slot = self._local(day, self.at or dt.time())
            return slot if slot > moment else None
        index = 0
        if day == local.date():
            elapsed = local.replace(tzinfo=None) - dt.datetime.combine(day, dt.time())
            index = elapsed // self._step() + 1
        if index >= self._day_slots():
            return None
        return self._local(day, dt.time()) + index * self._step()

    def _last_of_day_upto(self, day, moment, local) -> dt.datetime | None:
        if self.every == Schedule.Every.DAILY:
            slot = self._local(day, self.at or dt.time())
            return slot if slot <= moment else None
        index = self._day_slots() - 1
        if day == local.date():
            elapsed = local.replace(tzinfo=None) - dt.datetime.combine(day, dt.time())
            index = min(index, elapsed // self._step())
        return self._local(day, dt.time()) + index * self._step()


def timing_of(schedule: Schedule | Periodic, *, is_working_day=None) -> Timing:
    if is_working_day is None:
        from .calendar import official_calendar

        calendar = official_calendar()
        is_working_day = calendar.is_working_day
    return Timing(
        every=schedule.every,
        at=schedule.at,
        minutes=schedule.minutes,
        working_days_only=schedule.working_days_only,
        zone=local_zone(),
        is_working_day=is_working_day,
    )


# --- rows ---------------------------------------------------------------------------------

TIMING_FIELDS = ("every", "at", "minutes", "working_days_only")


def sync_schedules(now: dt.datetime | None = None) -> None:
    """A row for every declared periodic job: missing ones created with the declared
    defaults, due at their next slot; a row an administrator changed keeps its timing and
    switch (unless the code changed the kind of period, daily ↔ interval); one never
    changed follows the declaration's defaults. Rows whose declaration is gone stay,
    and do not fire."""
    now = now or timezone.now()
    existing = {s.name: s for s in Schedule.objects.all()}
    missing = []
    for decl in PERIODIC.values():
        row = existing.get(decl.name)
        if row is None:
            row = Schedule(name=decl.name, label=decl.label, enabled=True)
            for name in TIMING_FIELDS:
                setattr(row, name, getattr(decl, name))
            row.next_run = timing_of(row).next_after(now)
            missing.append(row)
            continue
        updates: dict = {}
        if row.label != decl.label:
            updates["label"] = decl.label
        if row.every != decl.every or not row.customized:
            for name in TIMING_FIELDS:
                if getattr(row, name) != getattr(decl, name):
                    updates[name] = getattr(decl, name)
                    setattr(row, name, getattr(decl, name))
            if row.customized and "every" in updates:
                updates["customized"] = False
        if set(updates) & set(TIMING_FIELDS):
            updates["next_run"] = timing_of(row).next_after(now)
        if updates:
            Schedule.objects.filter(pk=row.pk).update(**updates)
    if missing:
        Schedule.objects.bulk_create(missing, ignore_conflicts=True)


def fire_due(now: dt.datetime | None = None) -> list[Job]:
    """Start the job of every enabled schedule that is due at ``now``; returns the jobs
    started (already finished where tasks run immediately)."""
    now = now or timezone.now()
    started = []
    due = Schedule.objects.filter(enabled=True, next_run__lte=now).order_by("next_run", "name")
    for schedule in due:
        if schedule.name not in PERIODIC or schedule.name not in jobs.KINDS:
            continue  # declared no more (an app removed it): left alone
        try:
            job = fire(schedule, now)
        except Exception:  # one schedule's trouble must not stop the others
            logger.exception("schedule %s could not be fired", schedule.name)
            continue
        if job is not None:
            started.append(job)
    return started


def fire(schedule: Schedule, now: dt.datetime) -> Job | None:
    """Claim the schedule as read (its ``next_run``) and start its job; None when another
    worker claimed it first."""
    timing = timing_of(schedule)
    upcoming = timing.next_after(now)
    latest = timing.last_upto(now)
    slot = max(s for s in (latest, schedule.next_run) if s is not None)
    with transaction.atomic():
        claimed = Schedule.objects.filter(
            pk=schedule.pk, enabled=True, next_run=schedule.next_run
        ).update(next_run=upcoming, last_fired_at=now)
        if not claimed:
            return None
        job = jobs.job_start(
            user=None,
            kind=schedule.name,
            params={"scheduled_for": slot.astimezone(local_zone()).isoformat()},
        )
    logger.info("schedule %s fired for %s: job %s", schedule.name, slot, job.pk)
    return job


_synced = False


def tick(now: dt.datetime | None = None) -> list[Job]:
    """What a worker does before each look at the queue: bring the rows in line with the
    declarations (once per process), then fire what is due. Never raises (a worker that
    started before ``migrate`` keeps running and tries again next time)."""
    global _synced
    try:
        if not _synced:
            sync_schedules()
            _synced = True
        return fire_due(now)
    except Exception:
        logger.exception("schedules: tick failed")
        return []


# --- reading and changing (the system administrator's page) ------------------------------


def schedule_list(*, user) -> list[Schedule]:
    """Every schedule (rows for all declarations), with ``declared`` and ``last_job``."""
    require(user, Cap.MANAGE_JOBS)
    sync_schedules()
    latest = Job.objects.filter(kind=OuterRef("name"), user__isnull=True).order_by("-created_at")
    rows = list(Schedule.objects.annotate(last_job_id=Subquery(latest.values("pk")[:1])))
    last_jobs = Job.objects.defer(*jobs.HEAVY).in_bulk(
        [r.last_job_id for r in rows if r.last_job_id]
    )
    for row in rows:
        row.declared = row.name in PERIODIC
        row.last_job = last_jobs.get(row.last_job_id)
    return rows


def schedule_get(name: str) -> Schedule:
    try:
        return Schedule.objects.get(pk=name)
    except Schedule.DoesNotExist:
        sync_schedules()
    try:
        return Schedule.objects.get(pk=name)
    except Schedule.DoesNotExist:
        raise NotFound("定时任务不存在") from None


def _state(schedule: Schedule) -> dict:
    return {
        "at": schedule.at.strftime("%H:%M") if schedule.at else None,
        "minutes": schedule.minutes,
        "enabled": schedule.enabled,
        "working_days_only": schedule.working_days_only,
        "next_run": audit.jsonable(schedule.next_run),
    }


def schedule_update(
    *,
    by,
    name: str,
    enabled: bool,
    working_days_only: bool,
    at: dt.time | str | None = None,
    minutes: int | None = None,
    now: dt.datetime | None = None,
) -> tuple[Schedule, bool]:
    """Change a schedule's time of day (daily) or interval in minutes, its switch and
    whether it runs on working days only; its next run is computed again from now.
    Audited. Returns the schedule and whether anything changed."""
    require(by, Cap.MANAGE_JOBS)
    now = now or timezone.now()
    with transaction.atomic():
        schedule = schedule_get(name)
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        before = _state(schedule)
        if schedule.every == Schedule.Every.DAILY:
            if isinstance(at, str):
                try:
                    at = parse_time(at)
                except ValueError:
                    raise ValidationFailed.of("at", BAD_TIME) from None
            if not isinstance(at, dt.time):
                raise ValidationFailed.of("at", BAD_TIME)
            schedule.at = at.replace(second=0, microsecond=0)
        else:
            if (
                isinstance(minutes, bool)
                or not isinstance(minutes, int)
                or not MIN_MINUTES <= minutes <= MAX_MINUTES
            ):
                raise ValidationFailed.of("minutes", BAD_MINUTES)
            schedule.minutes = minutes
        schedule.enabled = bool(enabled)
        schedule.working_days_only = bool(working_days_only)
        changed = {k: v for k, v in _state(schedule).items() if k != "next_run"} != {
            k: v for k, v in before.items() if k != "next_run"
        }
        if not changed:
            return schedule, False
        schedule.customized = True
        schedule.next_run = timing_of(schedule).next_after(now)
        schedule.save()
        audit.record(
            user=by,
            action="update",
            obj=schedule,
            before=before,
            after=_state(schedule),
            message=f"修改定时任务：{schedule.label}",
        )
    return schedule, True
