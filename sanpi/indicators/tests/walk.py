"""The indicators' routes for the whole-site walks in sanpi/core/tests (test_views' PAGES,
test_scope_walk's WRITES, test_api_robustness' bodies), kept here beside the app."""

from __future__ import annotations

from sanpi.indicators.tests.factories import indicator

READERS = {"city_office", "leader", "county", "zone", "enterprise"}
YEAR = 2023  # within 2021 to this year


def _gdp(w) -> int:
    return indicator(1).pk


# (url name, kwargs builder, roles allowed, roles that can see the object or None):
# city-level data, the same for every ledger reader; values entered by the city office.
PAGES = [
    ("indicators:table", None, READERS, None),
    ("indicators:export", None, READERS, None),
    ("indicators:detail", lambda w: {"pk": _gdp(w)}, READERS, None),
    ("indicators:value_edit", lambda w: {"pk": _gdp(w), "year": YEAR}, {"city_office"}, None),
]
READ_ONLY = {"indicators:table", "indicators:export", "indicators:detail"}  # export: audited

# route name → (kwargs builder, data builder, roles allowed to succeed)
WRITES = {
    "indicators:value_edit": (
        lambda w: {"pk": _gdp(w), "year": YEAR},
        lambda w: {"actual": "1937.44", "note": "越权录入", "version": "0"},
        {"city_office"},
    ),
}

VALUE_PUT = "/indicators/{id}/values/{year}"
API_BODIES = {VALUE_PUT: {"actual": "1937.44", "note": "接口测试", "version": 0}}


def api_path(path: str) -> str:
    """An API path of the indicators with real ids (GDP, 2023)."""
    return path.replace("{id}", str(indicator(1).pk)).replace("{year}", str(YEAR))
