"""Test-only: pages that start a background job (run at once under tests)."""

from __future__ import annotations


def job_file(client, url: str, params: dict | None = None):
    """GET ``url``, which starts a job and sends the user to its page; open that page
    (it must offer the download) and return the download's response."""
    started = client.get(url, params or {})
    assert started.status_code == 302 and started.url.startswith("/jobs/"), started
    page = client.get(started.url).content.decode()
    assert 'id="job-download"' in page, page
    return client.get(f"{started.url}download/")
