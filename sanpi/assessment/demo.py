"""The demo's assessments: the banks' evaluation for the last two years (so the results
page can name a 约谈), 亩均效益 of the demo's enterprises and the zones' assessment
(computed from the demo's ledger) for last year. Generated,
deterministic for a given seed. Fixture data."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from sanpi.projects.models import Project

from .models import UnitEntry
from .schemes import GROUPS
from .services import inputs_compute, rescore_due, scheme_year_open

BANKS = (
    "中国工商银行吕梁分行", "中国农业银行吕梁分行", "中国银行吕梁分行", "中国建设银行吕梁分行",
    "交通银行吕梁分行", "中国邮政储蓄银行吕梁市分行", "山西银行吕梁分行", "晋商银行吕梁分行",
    "吕梁农村商业银行", "兴业银行吕梁分行", "中信银行吕梁分行", "华夏银行吕梁分行",
)  # fmt: skip


def _bank_values(rng: random.Random, i: int) -> dict[str, str]:
    last = rng.randint(200_000, 3_000_000)
    applicants = rng.randint(50, 800)
    signed = rng.randint(0, 12)
    rate_last = Decimal(rng.randint(420, 620)) / 100
    return {
        "loans_last": f"{last}.00",
        "loans_now": f"{last + rng.randint(-60_000, 400_000)}.00",
        "written_off": f"{rng.choice((0, 0, rng.randint(1000, 30_000)))}.00",
        "deposits_new": f"{rng.choice((0, rng.randint(20_000, 500_000), rng.randint(20_000, 500_000)))}.00",
        "first_loans": str(rng.randint(0, 120)),
        "applicants": str(applicants),
        "borrowers": str(rng.randint(applicants // 3, applicants)),
        "signed_projects": str(signed),
        "credited_projects": str(rng.randint(0, signed)),
        "credit_n": str(rng.randint(-20, 300)),
        "credit_amount": f"{rng.randint(-5000, 80_000)}.00",
        "small_n": str(rng.randint(-10, 500)),
        "small_amount": f"{rng.randint(-3000, 120_000)}.00",
        "key_n": str(rng.randint(0, 10)),
        "key_amount": f"{rng.randint(0, 200_000)}.00",
        "rate_last": str(rate_last),
        "rate_now": str(rate_last - Decimal(rng.randint(-20, 80)) / 100),
        "attract": str(int(rng.random() < 0.3)),
        "deploy": str(rng.randint(0, 3)),
        "innovate": str(int(rng.random() < 0.2)),
        "veto": "发生重大风险事故" if i == 11 else "",
    }


def mujun_values(rng: random.Random) -> dict[str, str]:
    """One enterprise's 亩均 inputs, as text (fixture data: the demo and the benchmark)."""
    return {
        "land": str(rng.randint(15, 600)),
        "tax": f"{rng.randint(0, 8000)}.00",
        "revenue": f"{rng.randint(500, 150_000)}.00",
        "value_added": f"{rng.randint(100, 50_000)}.00",
        "energy": str(rng.randint(50, 60_000)),
        "rnd": f"{rng.randint(0, 4000)}.00",
        "employees": str(rng.randint(10, 3000)),
    }


@transaction.atomic
def load_assessment_demo(actor, *, seed: int = 2021) -> None:
    rng = random.Random(seed)
    year = timezone.localdate().year - 1
    for y in (year - 1, year):
        row = scheme_year_open(by=actor, key="bank", year=y)
        for i, name in enumerate(BANKS):
            UnitEntry.objects.create(scheme_year=row, unit=name, values=_bank_values(rng, i))
    row = scheme_year_open(by=actor, key="mujun", year=year)
    traditional = set(
        Project.objects.filter(industry="traditional").values_list("enterprise__name", flat=True)
    )
    names = Project.objects.order_by("enterprise__name").values_list("enterprise__name", flat=True)
    for name in list(dict.fromkeys(names))[:60]:
        group = GROUPS[0] if name in traditional else GROUPS[1]
        UnitEntry.objects.create(scheme_year=row, unit=name, group=group, values=mujun_values(rng))
    inputs_compute(by=actor, key="zone", year=year)  # the zones', from the demo's ledger
    rescore_due()  # the banks' and 亩均's entries, written directly above
