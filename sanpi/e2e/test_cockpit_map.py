"""The county map of 吕梁 in Chromium: ECharts draws the 13 counties from the vendored
shapes under the site's Content-Security-Policy (the ``page`` fixture fails on any
violation), the picture is not blank, and a click on a county filters the page to it."""

from __future__ import annotations

import datetime as dt
import io
import os
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from sanpi.accounts.tests.factories import UserFactory
from sanpi.projects.tests.factories import ProjectFactory
from sanpi.regions.models import County
from sanpi.regions.rules import COUNTIES
from sanpi.regions.tests.factories import EnterpriseFactory

# Screenshots go here when set (to look at them), else to the test's tmp_path.
SHOTS = os.environ.get("SANPI_E2E_SHOTS", "")
MAP = "#county-map"
DRAWN = '#county-map[data-state="drawn"]'


@pytest.fixture
def city(transactional_db):
    """A city office user and projects signed this year in nine counties, 1亿元 to 90亿元."""
    user = UserFactory(username="map_city", role="city_office")
    for i, (code, _name) in enumerate(COUNTIES[:9]):
        county = County.objects.get(code=code)
        ProjectFactory(
            name=f"地图测试项目{i}",
            county=county,
            enterprise=EnterpriseFactory(county=county),
            total_investment_wan=Decimal(10000 * (i + 1) ** 2),
            stage="signed",
            signed_date=dt.date.today().replace(month=1, day=1),
        )
    return user


def _wait_until(page, expression: str, timeout_ms: int = 10_000) -> None:
    """Poll `expression` with page.evaluate. Not page.wait_for_function: its polling
    evaluates a string with eval, which the site's CSP (no 'unsafe-eval') refuses."""
    waited = 0
    while not page.evaluate(expression):
        assert waited < timeout_ms, f"waited {timeout_ms} ms for {expression}"
        page.wait_for_timeout(50)
        waited += 50


def _shot(locator, tmp_path: Path, name: str) -> Image.Image:
    path = Path(SHOTS or tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return Image.open(io.BytesIO(locator.screenshot(path=str(path)))).convert("RGB")


def _not_blank(image: Image.Image, points: dict[str, list[int]], most: float = 0.75) -> None:
    """The map's region (around the counties' label points) has many colours, none
    filling more than `most` of it: areas in several shades, borders, labels."""
    xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]
    region = image.crop((min(xs) - 20, min(ys) - 20, max(xs) + 20, max(ys) + 20))
    area = region.width * region.height
    colours = region.getcolors(maxcolors=area)
    assert len(colours) > 200, f"only {len(colours)} colours"
    top_count, _ = max(colours)
    assert top_count < most * area, f"one colour fills {top_count / area:.0%} of the map"


def test_the_map_draws_13_counties_and_a_click_filters_to_one(page, log_in, city, tmp_path):
    log_in("map_city")
    page.goto("/cockpit/")
    page.wait_for_selector(DRAWN)
    element = page.locator(MAP)
    assert element.get_attribute("data-drawn") == "13"
    points = page.evaluate("window.sanpiMap.points")
    assert sorted(points) == sorted(code for code, _ in COUNTIES)
    assert page.locator("canvas").count() >= 1
    _not_blank(_shot(element, tmp_path, "cockpit-map.png"), points)

    # The map follows the window's size.
    width = page.evaluate("document.querySelector('#county-map canvas').clientWidth")
    page.set_viewport_size({"width": 1250, "height": 900})  # still two columns, narrower
    _wait_until(page, f"document.querySelector('#county-map canvas').clientWidth < {width}")
    _wait_until(page, f"window.sanpiMap.points['141181'][0] !== {points['141181'][0]}")
    points = page.evaluate("window.sanpiMap.points")

    # Hovering shows the tooltip, drawn on the canvas: no style attribute for the CSP to
    # refuse (the fixture fails the test on a violation).
    box = element.bounding_box()
    x, y = points["141181"]
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(500)
    assert page.locator("#county-map [style*='position: absolute'] >> text=孝义市").count() == 0
    _shot(element, tmp_path, "cockpit-map-hover.png")

    # A click on 孝义市 (at its label's point) filters the page to it.
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**county=141181**")
    page.wait_for_selector(DRAWN)
    assert page.locator(MAP).get_attribute("data-drawn") == "13"
    assert "领导驾驶舱 · 孝义市" in page.locator("#board-title").inner_text()
    points = page.evaluate("window.sanpiMap.points")
    _not_blank(_shot(page.locator(MAP), tmp_path, "cockpit-map-selected.png"), points)


def test_the_dark_variant_for_the_large_screen(page, log_in, city, tmp_path):
    # As the large-screen mode will: the class on <body> before the map is drawn.
    page.add_init_script(
        "document.addEventListener('DOMContentLoaded', "
        "() => document.body.classList.add('sanpi-dark'))"
    )
    log_in("map_city")
    page.goto("/cockpit/?measure=signed")
    page.wait_for_selector(DRAWN)
    assert page.locator(MAP).get_attribute("data-drawn") == "13"
    image = _shot(page.locator(MAP), tmp_path, "cockpit-map-dark.png")
    _not_blank(image, page.evaluate("window.sanpiMap.points"))
    # Mostly dark: the mean brightness of the picture is low.
    grey = image.convert("L")
    mean = sum(i * n for i, n in enumerate(grey.histogram())) / (grey.width * grey.height)
    assert mean < 90, mean


def test_a_county_user_sees_the_other_counties_greyed(page, log_in, city, tmp_path):
    UserFactory(username="map_lishi", role="county", county=County.objects.get(code="141102"))
    log_in("map_lishi")
    page.goto("/cockpit/")
    page.wait_for_selector(DRAWN)
    element = page.locator(MAP)
    assert element.get_attribute("data-drawn") == "13"
    points = page.evaluate("window.sanpiMap.points")
    # Twelve grey counties (no figures for this user) and their own in colour.
    _not_blank(_shot(element, tmp_path, "cockpit-map-county.png"), points, most=0.9)
    box = element.bounding_box()
    # Another county's figures are not the user's: a click there goes nowhere...
    x, y = points["141181"]
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_timeout(500)
    assert "county=" not in page.url
    # ...their own county filters as for the city.
    x, y = points["141102"]
    page.mouse.click(box["x"] + x, box["y"] + y)
    page.wait_for_url("**county=141102**")
