import pytest

from sanpi.problems.tests.factories import PATH, make_problem, problems_state

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", list(PATH))
def test_make_problem_reaches_every_state(world, state):
    assert make_problem(world, state=state).state == state


def test_problems_state_puts_b_out_of_the_scoped_users_view(world):
    from sanpi.problems.selectors import problems

    s = problems_state(world)
    for role in ("county", "zone", "enterprise", "department"):
        visible = set(problems(user=world.user(role)).values_list("pk", flat=True))
        assert s.b.pk not in visible
        assert s.a.pk in visible
