"""The demo's 政银企对接: the city's banks, a meeting each quarter of last year and this
year so far, loan needs, signings, credit and loans for some of the demo's projects.
Generated, deterministic for a given seed. Fixture data."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from sanpi.projects.models import Project

from . import services
from .models import Bank


def load_finance_demo(actor, banks: tuple[str, ...], *, seed: int = 2021) -> dict[str, str]:
    """Load the meetings and their records; returns the demo's bank login
    ({username: description}) of the bank that signed with the most projects."""
    rng = random.Random(seed)
    bank_rows = [services.bank_create(by=actor, name=name) for name in banks]
    today = timezone.localdate()
    projects = list(Project.objects.filter(signed_date__isnull=False).order_by("pk")[:60])
    quarters = [dt.date(today.year - 1, m, 20) for m in (3, 6, 9, 12)]
    quarters += [
        dt.date(today.year, m, 20) for m in (3, 6, 9, 12) if dt.date(today.year, m, 20) < today
    ]
    for number, day in enumerate(quarters):
        attending = rng.sample(bank_rows, k=min(6, len(bank_rows)))
        chosen = projects[number * 6 : number * 6 + 8]
        meeting = services.meeting_create(
            by=actor, date=day, title=f"{day.year}年第{(day.month - 1) // 3 + 1}季度政银企对接会",
            place="吕梁市政务服务中心", banks=attending,
            enterprises=list({p.enterprise for p in chosen}),
        )  # fmt: skip
        for project in chosen:
            need = Decimal(rng.randint(10, 200) * 100)
            services.need_add(by=actor, project=project, amount_wan=need, purpose="项目建设资金",
                              term_months=rng.choice((12, 36, 60)),
                              recorded_on=day - dt.timedelta(days=rng.randint(5, 40)))  # fmt: skip
            bank = rng.choice(attending)
            services.signing_add(by=actor, meeting=meeting, bank=bank, project=project,
                                 amount_wan=need)  # fmt: skip
            later = day + dt.timedelta(days=rng.randint(10, 80))
            if rng.random() < 0.7 and later < today:
                services.credit_add(by=actor, project=project, bank=bank, amount_wan=need,
                                    granted_on=later)  # fmt: skip
                lent = later + dt.timedelta(days=rng.randint(5, 40))
                if rng.random() < 0.8 and lent < today:
                    services.loan_add(by=actor, project=project, bank=bank,
                                      amount_wan=(need * Decimal(rng.randint(5, 10)) / 10).quantize(Decimal("0.01")),
                                      disbursed_on=lent)  # fmt: skip
    assert Bank.objects.count() == len(banks)
    return _bank_login()


def _bank_login() -> dict[str, str]:
    from django.db.models import Count

    from sanpi.accounts.models import User
    from sanpi.accounts.services import user_create
    from sanpi.projects.demo import DEMO_PASSWORD

    bank = Bank.objects.annotate(n=Count("signings__project", distinct=True)).order_by("-n", "pk")[
        0
    ]
    full_name = f"{bank.name} 公司业务部 赵经理"
    user_create(
        by=User.objects.filter(role="admin").order_by("pk").first(),
        username="bank", password=DEMO_PASSWORD, temporary=False,  # printed, stays usable
        role="bank", full_name=full_name, bank=bank,
    )  # fmt: skip
    return {"bank": full_name}
