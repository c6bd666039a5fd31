"""亩均效益 on a generated set of enterprises: each indicator against the best of the
enterprise's own industry group, classes by share of places."""

from __future__ import annotations

import random
from collections import Counter
from decimal import Decimal as D

from sanpi.assessment import engine
from sanpi.assessment.schemes import GROUPS, MUJUN, SCHEMES


def _enterprises(n: int, seed: int) -> list[engine.UnitInput]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        group = GROUPS[i % 2]
        scale = 1 if group == "传统产业" else 5  # the other group is far more productive
        out.append(engine.UnitInput(f"企业{i:03d}", {
            "land": D(rng.randint(10, 500)),
            "tax": D(rng.randint(0, 5000) * scale),
            "revenue": D(rng.randint(100, 90000) * scale),
            "value_added": D(rng.randint(50, 30000) * scale),
            "energy": D(rng.randint(0, 20000)),
            "rnd": D(rng.randint(0, 3000)),
            "employees": D(rng.randint(5, 2000)),
        }, group))  # fmt: skip
    return out


def test_the_schemes_are_well_formed_and_round_trip_as_data():
    for scheme in SCHEMES.values():
        assert engine.check_scheme(scheme) == []
        assert engine.scheme_from_data(engine.scheme_data(scheme)) == scheme


def test_each_group_is_measured_against_its_own_best():
    units = _enterprises(40, seed=3)
    scored = {u.name: u for u in engine.score(MUJUN, units)}
    for group in GROUPS:
        members = [u for u in units if u.group == group]
        best_tax = max(u.values["tax"] / u.values["land"] for u in members)
        for u in members:
            item = scored[u.name].items[0]
            assert item.key == "tax_per_mu" and item.best == best_tax
    # The best of each group scores the full 40, though the groups differ fivefold.
    tops = [max(scored[u.name].items[0].points for u in units if u.group == g) for g in GROUPS]
    assert tops == [D(40), D(40)]


def test_classes_by_share_of_places_on_forty_enterprises():
    scored = engine.score(MUJUN, _enterprises(40, seed=4))
    classes = engine.classes(scored, MUJUN.classes)
    assert Counter(classes.values()) == {
        "A类（优先发展）": 8, "B类（鼓励提升）": 20, "C类（倒逼转型）": 8, "D类（整治淘汰）": 4,
    }  # fmt: skip
    order = [classes[u.name][0] for u in scored]
    assert order == sorted(order)  # A before B before C before D, in rank order


def test_no_energy_use_scores_zero_for_that_indicator_and_says_why():
    units = _enterprises(6, seed=5)
    units[0] = engine.UnitInput(units[0].name, {**units[0].values, "energy": D(0)}, units[0].group)
    (first,) = [u for u in engine.score(MUJUN, units) if u.name == units[0].name]
    item = next(i for i in first.items if i.key == "va_per_energy")
    assert item.points == 0 and "分母“综合能耗(吨标准煤)”为0" in item.note


def test_a_locked_year_publishes_each_enterprises_class(world, login):
    import io

    from django.urls import reverse
    from openpyxl import load_workbook

    from sanpi.assessment import services
    from sanpi.assessment.models import UnitEntry, UnitResult

    city = world.user("city_office")
    row = services.scheme_year_open(by=city, key="mujun", year=2025)
    for i, unit in enumerate(_enterprises(10, seed=9)):
        name = world.enterprise_a.name if i == 0 else unit.name
        UnitEntry.objects.create(scheme_year=row, unit=name, group=unit.group,
                                 values={k: str(v) for k, v in unit.values.items()})  # fmt: skip
    client = login(city)
    page = reverse("regions:enterprise_detail", args=[world.enterprise_a.pk])
    assert 'id="mujun-class"' not in client.get(page).content.decode()  # not final yet
    services.scheme_year_state_set(by=city, key="mujun", year=2025, state="closed", version=1)
    services.scheme_year_state_set(by=city, key="mujun", year=2025, state="locked", version=2)
    assert UnitResult.objects.count() == 10
    published = UnitResult.objects.get(unit=world.enterprise_a.name).labels[0]
    html = client.get(page).content.decode()
    assert f"亩均效益{published} · 2025年度" in html
    project = client.get(reverse("projects:detail", args=[world.project_a.pk])).content.decode()
    assert f"亩均效益{published}" in project
    export = client.get(reverse("assessment:classes_xlsx", args=["mujun", 2025]))
    sheet = load_workbook(io.BytesIO(b"".join(export.streaming_content))).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "2025年度工业企业“亩均效益”综合评价分类名单" in cells and published in cells
    assert client.get(reverse("assessment:classes_xlsx", args=["bank", 2025])).status_code == 404
    services.scheme_year_state_set(by=city, key="mujun", year=2025, state="open", version=3,
                                   reason="更正数据")  # fmt: skip
    # The results stay stored (the ranking page reads them) but are no longer published.
    assert UnitResult.objects.count() == 10
    assert 'id="mujun-class"' not in client.get(page).content.decode()


def test_land_and_group_default_to_the_enterprises_projects(world):
    from sanpi.assessment import services
    from sanpi.assessment.models import UnitEntry
    from sanpi.assessment.selectors import scores
    from sanpi.projects.models import Project

    Project.objects.filter(pk=world.project_a.pk).update(
        land_mu=D("120.50"), industry="traditional"
    )
    city = world.user("city_office")
    row = services.scheme_year_open(by=city, key="mujun", year=2025)
    values = {"tax": "241", "revenue": "1205", "value_added": "500", "energy": "100",
              "rnd": "10", "employees": "50"}  # fmt: skip
    UnitEntry.objects.create(scheme_year=row, unit=world.enterprise_a.name, values=values)
    UnitEntry.objects.create(scheme_year=row, unit="别的企业", group="其他产业",
                             values={**values, "land": "10"})  # fmt: skip
    _, ranked = scores("mujun", 2025)
    a = next(u for u in ranked if u.name == world.enterprise_a.name)
    tax = next(i for i in a.items if i.key == "tax_per_mu")
    assert tax.inputs["land"] == D("120.50") and tax.value == D("241") / D("120.50")
    assert a.group == "传统产业"  # all of its projects are 传统产业: compared within that group
    assert tax.points == D(40)  # the best (the only one) of its group
