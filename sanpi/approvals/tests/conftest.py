import pytest

from .factories import approvals_world


@pytest.fixture
def aw(world):
    """The shared world with its approvals (see factories.approvals_world)."""
    return approvals_world(world)
