"""The ledger's pages read group by group (core.paging.GroupedRows) and must be exactly
the slices of the plainly ordered list: no row lost, none twice, same order."""

import pytest
from django.urls import reverse

from sanpi.core.paging import GroupedRows
from sanpi.core.tests.api import api_clients
from sanpi.projects import selectors
from sanpi.projects.models import Project
from sanpi.regions.models import County

from .factories import EnterpriseFactory, ProjectFactory


@pytest.fixture
def spread(world):
    """Projects over four counties of unequal size, names repeating across enterprises
    (the primary key breaks those ties) and one county left empty."""
    counties = list(County.objects.order_by("code")[:5])
    sizes = [7, 1, 0, 12, 3]
    for county, size in zip(counties, sizes, strict=True):
        for i in range(size):
            ProjectFactory(
                county=county,
                enterprise=EnterpriseFactory(county=county),
                name=f"项目{i % 4}",
            )
    return Project.objects.select_related("county")


def test_every_slice_equals_the_ordered_list(spread):
    plain = list(spread.order_by("county__code", "name", "pk").values_list("pk", flat=True))
    rows = GroupedRows(spread, group="county", group_key="code", within=("name", "pk"))
    assert rows.count() == len(plain) == 25  # 23 made here, the world's two
    for start in range(len(plain) + 2):
        for length in (1, 2, 5, 7, 13, 30):
            got = [p.pk for p in rows[start : start + length]]
            assert got == plain[start : start + length], (start, length)


def test_a_page_reads_at_most_two_ranges(spread, django_assert_max_num_queries):
    rows = GroupedRows(spread, group="county", group_key="code", within=("name", "pk"))
    rows.count()  # the grouped count, once
    with django_assert_max_num_queries(2):
        assert len(rows[3:20]) == 17  # spans three counties


def test_only_slices(spread):
    rows = GroupedRows(spread, group="county", group_key="code", within=("name", "pk"))
    with pytest.raises(TypeError):
        rows[3]
    with pytest.raises(TypeError):
        rows[0:10:2]
    assert rows[10:5] == []


def test_filtered_and_scoped_pages_stay_exact(spread, world, login):
    # The county officer's ledger, filtered, every page: the same projects as the plain
    # order, each once.
    user = world.user("county")
    filters = selectors.ProjectFilter(q="项目")
    qs = selectors.project_list(user=user, filters=filters)
    expected = [p.pk for p in qs.order_by("county__code", "name", "pk")]
    got = [p.pk for p in selectors.project_rows(qs, filters)[0:1000]]
    assert got == expected and len(expected) == 8  # 7 made here + the world's project A


def test_web_and_api_pages_follow_the_ledger_order(spread, world, login):
    client = login(world.user("city_office"))
    order = list(
        Project.objects.order_by("county__code", "name", "pk").values_list("name", "county__name")
    )
    html = client.get(reverse("projects:list"), {"page": 1}).content.decode()
    first, last = order[0], order[24]
    assert html.index(first[0]) < html.index(last[0])
    api = api_clients(world)("city_office")
    body = api.get("/projects", {"limit": 4, "offset": 6}).json()
    assert body["count"] == 25
    assert [p["name"] for p in body["items"]] == [name for name, _ in order[6:10]]
