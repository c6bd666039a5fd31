"""The Content-Security-Policy as Chromium enforces it.

Every e2e test fails on a CSP violation (conftest's ``page`` fixture); this module shows
that the check sees one, and walks the pages that carry the policy's hardest cases: the
API document (Swagger UI), the job progress bar and the two-factor QR code.
"""

from __future__ import annotations

from sanpi.accounts.tests.factories import UserFactory


def test_an_inline_style_is_refused_and_reported(browser, live_server, transactional_db):
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    seen: list[str] = []
    page.on("console", lambda m: seen.append(m.text))
    page.goto("/accounts/login/")
    page.evaluate(
        "document.body.insertAdjacentHTML('beforeend', "
        '\'<div id="x" style="color: rgb(255, 0, 0)">x</div>\')'
    )
    page.wait_for_timeout(200)
    color = page.eval_on_selector("#x", "e => getComputedStyle(e).color")
    context.close()
    assert color != "rgb(255, 0, 0)"
    assert any("Content Security Policy" in text for text in seen), seen


def test_pages_with_scripts_and_svg_run_under_the_policy(page, log_in):
    UserFactory(username="csp_city", role="city_office")
    log_in("csp_city")
    for path in ("/", "/projects/", "/api/v1/docs", "/calendar/", "/accounts/me/2fa/"):
        response = page.goto(path)
        assert response.status < 400, (path, response.status)
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    # Swagger UI drew the operations, with its script from sanpi's own static files.
    page.goto("/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
