"""The problems part of the demo city (called at the end of sanpi.projects.demo, once the
demo's logins exist).

Problems in every state of the loop on projects of 吕梁经开区 (the demo zone, enterprise
and department logins see them) and 孝义市 (the demo county login), under 13710 for key
projects and the ordinary terms otherwise, dated back from today on the official
calendar so that the lights always show something: most on time, a few yellow, some red
(one raised weeks ago and never deployed, which the breach task escalates to the city's
joint meeting when the demo runs it at the end). Leaders' liaison of three key projects
(the demo leader) and two service-team visits, one with a problem it raised.

Everything is written through the services (audited like any other write); as elsewhere
in the demo's history, the moments of the moves are then set back to the days the story
says (the services stamp them with the time of loading).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sanpi.accounts.models import User
from sanpi.core.calendar import official_calendar
from sanpi.projects.models import Project
from sanpi.regions.models import County, Department, DevelopmentZone

from . import services
from .jobs import problems_tick
from .models import Problem, ProblemEvent

# The moment of each move that the story sets back (the services stamp "now").
_STAMPS = {
    "assign": "assigned_at",
    "solve": "solved_at",
    "confirm": "closed_at",
    "withdraw": "closed_at",
    "escalate": "escalated_at",
}


class _Story:
    """Days counted back in working days from today, and the moves made on them."""

    def __init__(self) -> None:
        self.calendar = official_calendar()
        self.now = timezone.now()
        self.today = timezone.localdate()

    def day(self, n: int) -> dt.date:
        """The working day ``n`` working days before today (today for 0)."""
        day = self.today
        while n > 0:
            day -= dt.timedelta(days=1)
            if self.calendar.is_working_day(day):
                n -= 1
        return day

    def at(self, n: int, hour: int, minute: int = 0) -> dt.datetime:
        """That day at that time (Beijing time), never later than a minute ago."""
        moment = timezone.make_aware(dt.datetime.combine(self.day(n), dt.time(hour, minute)))
        return min(moment, self.now - dt.timedelta(minutes=1))

    def raise_(self, by: User, project: Project, when: dt.datetime, text: str, category: str,
               **extra) -> Problem:  # fmt: skip
        return services.problem_raise(
            by=by, project=project, description=text, category=category, raised_at=when, **extra
        )

    def move(self, by, problem: Problem, move: str, when: dt.datetime, **data) -> Problem:
        first_feedback = move == "feedback" and problem.first_feedback_at is None
        event = services.problem_move_event(by=by, problem=problem, move=move, **data)
        problem = event.problem
        ProblemEvent.objects.filter(pk=event.pk).update(at=when)
        stamps = {_STAMPS[move]: when} if move in _STAMPS else {}
        if first_feedback:
            stamps["first_feedback_at"] = when
        if stamps:
            Problem.objects.filter(pk=problem.pk).update(**stamps)
            problem.refresh_from_db()
        return problem


def _projects(**where) -> list[Project]:
    """Projects under way there, key projects first."""
    return list(
        Project.objects.filter(stage__in=["signed", "started", "produced"], **where)
        .exclude(health="withdrawn")
        .order_by("-is_provincial_key", "-is_city_key", "pk")
    )


def _assign(unit_kind: str, unit, person: User, *, leader_name: str, solution: str,
            days: int, today: dt.date, leader: User | None = None) -> dict:  # fmt: skip
    return {
        "unit_kind": unit_kind,
        "unit_id": getattr(unit, "pk", None),
        "leader_name": leader_name,
        "leader_id": leader.pk if leader else None,
        "person_id": person.pk,
        "solution": solution,
        "deadline": today + dt.timedelta(days=days),
    }


def load_problems_demo() -> None:
    s = _Story()
    users = {u.username: u for u in User.objects.filter(is_active=True)}
    city, leader = users["city"], users["leader"]
    county, zone_user = users["county_xiaoyi"], users["zone_lvliang"]
    enterprise, dept = users["enterprise"], users["dept_lvliang"]
    zone = DevelopmentZone.objects.get(short_name="吕梁经开区")
    xiaoyi = County.objects.get(code="141181")
    bureau = Department.objects.get(name="吕梁经开区行政审批局")
    in_zone = _projects(zone=zone)
    own = [p for p in in_zone if p.enterprise_id == enterprise.enterprise_id]
    others = [p for p in in_zone if p.enterprise_id != enterprise.enterprise_id]
    in_xiaoyi = _projects(county=xiaoyi)
    to_bureau = {"leader_name": "吕梁经开区管委会副主任 刘强", "today": s.today}
    to_xiaoyi = {"leader_name": "孝义市副市长 赵鹏", "today": s.today}

    # Raised half an hour ago by the county: to be deployed today.
    s.raise_(county, in_xiaoyi[0], s.at(0, 9, 0), "项目用地规划调整手续迟迟未批复", "land")

    # Raised yesterday by the enterprise and analysed, not yet assigned: the deploy clock
    # ran out last night (red, not yet escalated).
    p = s.raise_(enterprise, own[0], s.at(1, 10, 0), "施工用电需新建10千伏专线，供电公司排期过晚",
                 "utilities")  # fmt: skip
    s.move(zone_user, p, "analyse", s.at(1, 15, 0), solution="协调供电公司优先排期")

    # Assigned on the day raised; the first feedback is due tomorrow (yellow).
    n = services.policy_for(others[0]).feedback_days - 1
    p = s.raise_(zone_user, others[0], s.at(n, 9, 30), "环评批复前置条件不明确，企业无所适从",
                 "assessment")  # fmt: skip
    s.move(zone_user, p, "assign", s.at(n, 11, 0),
           **_assign("department", bureau, dept, solution="行政审批局组织专家一次性告知",
                     days=10, **to_bureau))  # fmt: skip

    # In progress and on time.
    p = s.raise_(city, others[1], s.at(4, 9, 0), "施工许可证办理需补充消防设计审查意见", "permit")
    s.move(city, p, "assign", s.at(4, 14, 0),
           **_assign("department", bureau, dept, solution="并联审查、容缺受理", days=7,
                     leader=leader, **to_bureau))  # fmt: skip
    s.move(dept, p, "feedback", s.at(3, 10, 0), text="已受理，消防审查意见预计三个工作日内出具")

    # In progress, but the solve clock ran out two working days ago (red, one full
    # working day ago: not yet escalated).
    n = services.policy_for(in_xiaoyi[1]).solve_days + 2
    p = s.raise_(county, in_xiaoyi[1], s.at(n, 9, 0), "园区道路未贯通，大型设备无法进场",
                 "utilities")  # fmt: skip
    s.move(county, p, "assign", s.at(n, 16, 0),
           **_assign("county", xiaoyi, county, solution="交通局牵头抢修临时便道", days=15,
                     **to_xiaoyi))  # fmt: skip
    s.move(county, p, "feedback", s.at(n - 1, 11, 0), text="便道已开工")

    # A complex problem: a month to solve.
    p = s.raise_(city, own[1] if len(own) > 1 else others[2], s.at(12, 10, 0),
                 "项目融资需银行授信，企业抵押物不足", "financing")  # fmt: skip
    s.move(city, p, "analyse", s.at(12, 15, 0), solution="政银企对接会专项推介", is_complex=True)
    s.move(city, p, "assign", s.at(12, 16, 0),
           **_assign("city", None, city, solution="政银企对接会专项推介", days=30,
                     leader=leader, **to_bureau))  # fmt: skip
    s.move(city, p, "feedback", s.at(10, 16, 0), text="已推荐三家银行对接")

    # Solved; the enterprise has yet to say whether it is satisfied.
    p = s.raise_(enterprise, own[0], s.at(6, 9, 0), "厂区供水管网接入审批慢", "utilities")
    s.move(zone_user, p, "assign", s.at(6, 11, 0),
           **_assign("zone", zone, zone_user, solution="管委会协调水务公司", days=10,
                     **to_bureau))  # fmt: skip
    s.move(zone_user, p, "feedback", s.at(5, 10, 0), text="水务公司已勘察")
    s.move(zone_user, p, "solve", s.at(1, 17, 0), text="已接通供水")

    # Closed: by the enterprise itself, and by the county on behalf of one without an
    # account.
    p = s.raise_(
        enterprise, own[0], s.at(20, 10, 0), "项目备案信息变更需重新出具证明", "procedures"
    )
    s.move(zone_user, p, "assign", s.at(20, 15, 0),
           **_assign("department", bureau, dept, solution="当场办理变更", days=5,
                     **to_bureau))  # fmt: skip
    s.move(dept, p, "feedback", s.at(19, 10, 0), text="已受理")
    s.move(dept, p, "solve", s.at(18, 10, 0), text="变更备案已办结")
    s.move(enterprise, p, "confirm", s.at(17, 9, 0), text="办理及时，满意")
    p = s.raise_(county, in_xiaoyi[2], s.at(25, 9, 0), "招工难，缺少熟练焊工", "labour")
    s.move(county, p, "assign", s.at(25, 15, 0),
           **_assign("county", xiaoyi, county, solution="人社局组织专场招聘", days=20,
                     **to_xiaoyi))  # fmt: skip
    s.move(county, p, "feedback", s.at(23, 10, 0), text="专场招聘会已排期")
    s.move(county, p, "solve", s.at(20, 16, 0), text="招聘焊工42名")
    s.move(county, p, "confirm", s.at(19, 10, 0), text="电话回访企业，表示满意")

    # Withdrawn by whoever raised it.
    p = s.raise_(zone_user, others[1], s.at(5, 9, 0), "临时用地手续咨询", "land")
    s.move(zone_user, p, "withdraw", s.at(5, 16, 0), text="企业已自行办结，撤回")

    # Escalated today by the county: needs the city's joint meeting.
    p = s.raise_(county, in_xiaoyi[3], s.at(3, 9, 0), "跨县输气管线占地补偿标准不一致",
                 "demolition")  # fmt: skip
    s.move(county, p, "escalate", s.at(0, 8, 30), text="涉及两县补偿标准，需市联席会议协调")

    # Raised weeks ago and never deployed: the breach task escalates it below.
    s.raise_(county, in_xiaoyi[4], s.at(15, 10, 0), "项目周边村民阻工，施工无法推进", "demolition")

    # Leaders' liaison and the service team's visits.
    since = dt.date(s.today.year, 1, 1)
    for project in [p for p in in_zone + in_xiaoyi if p.is_provincial_key or p.is_city_key][:3]:
        services.liaison_set(by=city, leader=leader, project=project, since=since)
    services.visit_record(
        by=city, project=own[0], date=s.day(30), visitors="市项目办 王主任；吕梁经开区 刘科长",
        findings="主体结构施工，用工约两百人", promises="协调解决供水接入",
    )  # fmt: skip
    visit = services.visit_record(
        by=zone_user, project=others[0], date=s.day(7), visitors="吕梁经开区 刘科长",
        findings="设备进场，环评手续未完成", promises="一周内答复环评问题",
        problems=[{"description": "环评报告编制单位资质存疑", "category": "assessment",
                   "raised_at": s.at(7, 15, 0)}],
    )  # fmt: skip
    p = visit.problems.get()
    s.move(zone_user, p, "assign", s.at(7, 16, 0),
           **_assign("department", bureau, dept, solution="核查编制单位资质", days=10,
                     **to_bureau))  # fmt: skip
    s.move(dept, p, "feedback", s.at(6, 9, 0), text="已核查，资质有效")
    s.move(dept, p, "solve", s.at(5, 15, 0), text="书面答复企业")

    problems_tick(s.now)
