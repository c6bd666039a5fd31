import pytest

from sanpi.indicators.tests.factories import seeded


@pytest.fixture
def indicators(db):
    """The seeded indicators by 序号."""
    return seeded()
