"""The stored results: every change of a year's inputs or points makes them stale and
scores the year again (at once for a small year, by the job for a large one); the pages
and documents read them a page at a time; closing scores one last time and a closed or
locked year never moves again, whatever the ledger does."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from sanpi.assessment import io, services
from sanpi.assessment.jobs import RESCORE
from sanpi.assessment.models import SchemeYear, UnitEntry, UnitResult
from sanpi.assessment.schemes import BANK
from sanpi.assessment.selectors import computed, results, scores
from sanpi.assessment.tests.test_io import _book, _rows
from sanpi.core import jobs

pytestmark = pytest.mark.django_db


def _stored(key="bank", year=2025) -> list[tuple[str, int, D, bool]]:
    return [(u.name, u.rank, u.total, u.vetoed) for u in results(key, year).units]


def _fresh(key="bank", year=2025) -> list[tuple[str, int, D, bool]]:
    return [(u.name, u.rank, u.total, u.vetoed) for u in scores(key, year)[1]]


def _load(world):
    io.import_xlsx(by=world.user("city_office"), key="bank", year=2025, data=_book(_rows()))
    return SchemeYear.objects.get(scheme="bank", year=2025)


def test_the_stored_results_are_the_scores_and_follow_every_change(world):
    row = _load(world)
    assert not row.stale and row.scored_at is not None
    assert _stored() == _fresh() and _stored()[0] == ("A银行", 1, D("64.00"), False)
    # The breakdown survives the round trip through the stored JSON, Decimal for Decimal.
    stored_b = next(u for u in results("bank", 2025).units if u.name == "B银行")
    fresh_b = next(u for u in scores("bank", 2025)[1] if u.name == "B银行")
    assert stored_b.items == fresh_b.items and stored_b.regular == fresh_b.regular
    city = world.user("city_office")
    # A unit's inputs changed on the page: scored again in the same transaction.
    before = _stored()
    io.entry_set(by=city, key="bank", year=2025, unit="C银行",
                 raw={"loans_now": "900000"}, version=1)  # fmt: skip
    row.refresh_from_db()
    assert not row.stale and _stored() == _fresh() != before
    # The points changed: scored again.
    points = {i.key: i.max_points for i in BANK.indicators}
    services.scheme_points_set(by=city, key="bank", year=2025, version=row.version,
                               points={**points, "loan_increase": D(15), "loan_growth": D(15)})  # fmt: skip
    assert _stored() == _fresh()
    assert results("bank", 2025).units[0].items[0].max_points == D(15)


def test_a_large_year_is_scored_by_the_job_and_the_page_says_so(world, login, monkeypatch):
    monkeypatch.setattr(services, "SYNC_UNITS", 3)  # five banks: "large"
    row = _load(world)
    assert row.stale and row.scored_revision is None and not UnitResult.objects.exists()
    client = login(world.user("leader"))
    url = reverse("assessment:results", args=["bank", 2025])
    html = client.get(url).content.decode()
    assert 'id="assessment-stale"' in html and "正在计算" in html
    job = jobs.job_start(user=None, kind=RESCORE)  # the periodic job (run at once in tests)
    job.refresh_from_db()
    assert job.status == "done" and "2025年度银行业金融机构" in job.message
    html = client.get(url).content.decode()
    assert 'id="assessment-stale"' not in html and "A银行" in html
    assert _stored() == _fresh()
    # Nothing stale: the next run scores nothing, nor does a run that overlapped this one
    # and finds, once it holds the year, that it has been scored meanwhile.
    assert services.rescore_due() == []
    row.refresh_from_db()
    scored_at = row.scored_at
    assert services.rescore(row, due_from=timezone.now()) is None
    row.refresh_from_db()
    assert row.scored_at == scored_at


def test_closing_scores_once_more_and_a_closed_year_stays_put(world, monkeypatch):
    """亩均 reads the ledger (land left empty is the projects' land): an open year follows
    it (scored again each day), a closed or locked one keeps what it published."""
    from sanpi.projects.models import Project

    city = world.user("city_office")
    Project.objects.filter(pk=world.project_a.pk).update(land_mu=D("100"))
    row = services.scheme_year_open(by=city, key="mujun", year=2025)
    values = {"tax": "500", "revenue": "1000", "value_added": "500", "energy": "100",
              "rnd": "10", "employees": "50"}  # fmt: skip
    UnitEntry.objects.create(scheme_year=row, unit=world.enterprise_a.name, group="其他产业",
                             values=values)  # fmt: skip
    UnitEntry.objects.create(scheme_year=row, unit="别的企业", group="其他产业",
                             values={**values, "land": "10"})  # fmt: skip
    assert services.rescore_due() == ["2025年度工业企业“亩均效益”综合评价"]  # never scored

    def tax_per_mu():
        a = next(u for u in results("mujun", 2025).units if u.name == world.enterprise_a.name)
        return next(i for i in a.items if i.key == "tax_per_mu").value

    assert tax_per_mu() == D(5)  # 500 ÷ 100 亩
    Project.objects.filter(pk=world.project_a.pk).update(land_mu=D("50"))
    assert tax_per_mu() == D(5) and services.rescore_due() == []  # scored today already
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    assert services.rescore_due(tomorrow) == ["2025年度工业企业“亩均效益”综合评价"]
    assert tax_per_mu() == D(10)
    services.scheme_year_state_set(by=city, key="mujun", year=2025, state="closed", version=1)
    Project.objects.filter(pk=world.project_a.pk).update(land_mu=D("25"))
    assert services.rescore_due(tomorrow + dt.timedelta(days=5)) == []
    assert services.rescore(SchemeYear.objects.get(pk=row.pk)) is None  # refused: closed
    assert tax_per_mu() == D(10)  # as closed, not 20
    row.refresh_from_db()
    assert computed(row).units != results("mujun", 2025).units  # the ledger moved on


def test_the_ranking_page_shows_one_page_at_a_time_and_finds_a_unit(world, login):
    city = world.user("city_office")
    row = services.scheme_year_open(by=city, key="mujun", year=2025)
    values = {"land": "10", "revenue": "1000", "value_added": "500", "energy": "100",
              "rnd": "10", "employees": "50"}  # fmt: skip
    UnitEntry.objects.bulk_create(
        UnitEntry(scheme_year=row, unit=f"企业{n:03d}", group="其他产业",
                  values={**values, "tax": str(n)})
        for n in range(1, 121)
    )  # fmt: skip
    services.rescore(row)
    client = login(city)
    url = reverse("assessment:results", args=["mujun", 2025])
    first = client.get(url).content.decode()
    assert "企业120" in first and "企业071" in first and "企业070" not in first  # 50 shown
    assert first.count("<details") == 50  # a breakdown for each unit shown, no more
    last = client.get(url, {"page": 3}).content.decode()
    assert "企业020" in last and "企业001" in last and "企业021" not in last
    found = client.get(url, {"q": "企业007"}).content.decode()
    assert found.count("<details") == 1
    table = found[found.index('id="assessment-ranking"') : found.index("得分明细")]
    assert "<td>114</td>" in table  # its place in the whole ranking, not in the search
    assert "被考核单位共120个" in found  # how many there are in all


def test_the_command_line_scores_a_stale_year_before_printing_it(world, monkeypatch):
    import io as text_io
    import json

    from django.core.management import call_command

    monkeypatch.setattr(services, "SYNC_UNITS", 3)
    row = _load(world)
    assert row.stale
    out = text_io.StringIO()
    call_command("assessment", "score", "--scheme", "bank", "--year", "2025", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert [(u["name"], u["rank"]) for u in data["units"]][:2] == [("A银行", 1), ("B银行", 2)]
    row.refresh_from_db()
    assert not row.stale


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="trigram indexes are PostgreSQL's",
)
def test_the_search_by_name_is_served_by_the_trigram_index(world):
    """The results page's search (`ranking_rows` with a name: `unit__icontains`) matches
    the GIN trigram index's expression on PostgreSQL. Shown on the name condition alone,
    with the other scans off: on a table of five rows the planner rightly prefers the
    year's b-tree (bench/bench_assessment.py shows the index at work on 300,000 rows)."""
    from django.db import connection

    from sanpi.assessment.selectors import ranking_rows

    row = _load(world)
    assert "UPPER" in str(ranking_rows(row, "银行").query)  # the expression indexed
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
    plan = UnitResult.objects.filter(unit__icontains="银行").explain()
    assert "assessment_unitresult_unit_trgm" in plan, plan
