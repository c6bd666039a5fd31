"""The leaders' cockpit in Chromium, on the demo city: the city's screen and a county's,
a click on a county of the map, a drill-down from a number to its projects, the
large-screen mode and the print layout; every screenshot is checked not to be blank,
and the map draws 13 counties."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image

from sanpi.projects.demo import DEMO_PASSWORD

SHOTS = os.environ.get("SANPI_E2E_SHOTS", "")


@pytest.fixture
def demo(transactional_db):
    from sanpi.projects.demo import load_demo

    load_demo()


def _shot(page, tmp_path: Path, name: str, **kwargs) -> Image.Image:
    path = Path(SHOTS or tmp_path) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return Image.open(io.BytesIO(page.screenshot(path=str(path), **kwargs))).convert("RGB")


def _not_blank(image: Image.Image) -> None:
    small = image.resize((image.width // 4, image.height // 4))
    colours = small.getcolors(maxcolors=small.width * small.height)
    assert len(colours) > 300, f"only {len(colours)} colours"
    top, _ = max(colours)
    assert top < 0.85 * small.width * small.height, "one colour fills the picture"


def _wait_drawn(page) -> None:
    page.wait_for_selector('#county-map[data-state="drawn"]')
    for chart in page.locator(".sanpi-chart").all():
        assert chart.get_attribute("data-state") == "drawn"
    assert page.locator("#county-map").get_attribute("data-drawn") == "13"


def test_the_cockpit_for_the_city_and_for_a_county(page, log_in, demo, tmp_path):
    page.set_viewport_size({"width": 1600, "height": 1000})
    log_in("city", DEMO_PASSWORD)
    page.goto("/cockpit/?year=2026")
    _wait_drawn(page)
    assert "领导驾驶舱 · 全市 · 2026年" in page.locator("#board-title").inner_text()
    assert "与台账一致" in page.locator("#board-freshness").inner_text()
    rates = page.locator("#board-rates").inner_text()
    assert re.search(r"开工率\s+\S+%（\d+/\d+）", rates), rates
    # The year's ranking trend, from the places stored by the nightly job (the demo ran it).
    assert page.locator("#board-rank-county tbody tr").count() == 10
    # What needs attention: the health lists, open problems, approvals past their limit.
    assert page.locator("#board-health li").count() == 3
    assert "超时未办结" in page.locator("#board-problems").inner_text()
    assert page.locator("#approvals-title").inner_text().startswith("审批超时")
    # The early warning: scored signed projects with their reasons, and the rules shown.
    assert page.locator("#board-warning tbody tr").count() >= 1
    assert "签约已满6个月仍未开工 +20" in page.locator("#warning-rules").inner_text()
    _not_blank(_shot(page, tmp_path, "cockpit-city.png", full_page=True))

    # A click on 孝义市 filters the whole screen to it.
    point = page.evaluate("window.sanpiMap.points['141181']")
    box = page.locator("#county-map").bounding_box()
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_url(re.compile(r"county=141181"))
    _wait_drawn(page)
    assert "领导驾驶舱 · 孝义市" in page.locator("#board-title").inner_text()

    # A number drills down to its projects in the ledger (which exports to .xlsx).
    signed = page.locator("#board-funnel tbody tr").nth(1)
    count = int(signed.locator("a.sanpi-drill").inner_text().replace(",", ""))
    signed.locator("a.sanpi-drill").click()
    page.wait_for_url(re.compile(r"/projects/\?"))
    assert (
        "只看签约日期在2026-01-01至2026-12-31的项目" in page.locator("#reached-filter").inner_text()
    )
    listed = page.locator("#project-table").inner_text()
    assert f"共 {count} 个" in listed or f"共{count}个" in listed.replace(" ", ""), listed[:300]

    # The large-screen mode: dark, no navigation, refreshed by itself.
    page.goto("/cockpit/?year=2026&screen=1")
    page.set_viewport_size({"width": 1920, "height": 1080})
    _wait_drawn(page)
    assert "sanpi-dark" in page.locator("body").get_attribute("class")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    assert not page.locator(".sanpi-nav").is_visible()
    screen = _shot(page, tmp_path, "cockpit-screen.png")
    _not_blank(screen)
    assert sum(screen.convert("L").resize((64, 36)).getdata()) / (64 * 36) < 110  # dark

    # The print layout: one A4 landscape page.
    page.goto("/cockpit/?year=2026")
    _wait_drawn(page)
    page.emulate_media(media="print")
    _not_blank(_shot(page, tmp_path, "cockpit-print.png"))
    pdf = page.pdf(landscape=True, format="A4", print_background=True)
    (Path(SHOTS or tmp_path) / "cockpit.pdf").write_bytes(pdf)
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1

    page.emulate_media(media="screen")

    # A county officer's cockpit is their county's (one demo load: a second test would
    # find the flushed database without the migrations' reference data).
    page.context.clear_cookies()
    log_in("county_xiaoyi", DEMO_PASSWORD)
    page.goto("/cockpit/?year=2026")
    _wait_drawn(page)
    assert "领导驾驶舱 · 孝义市" in page.locator("#board-title").inner_text()
    assert page.locator("#id_county").count() == 0  # their scope fixes the county
    _not_blank(_shot(page, tmp_path, "cockpit-county.png", full_page=True))
