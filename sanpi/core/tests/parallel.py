"""Test-only: requests made at the same moment, each in its own thread with its own
database connection (what two people pressing the same button at once amounts to)."""

from __future__ import annotations

import threading

from django.db import connections
from django.test import Client


def parallel(*calls):
    """Run the calls at the same moment, each in its own thread; their results."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            start.wait()
            results[i] = call()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def signed_in(user) -> Client:
    """A client with the user's session (no second step: for roles that need none)."""
    client = Client()
    client.force_login(user)
    return client
