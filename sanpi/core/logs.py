"""Logging helpers (no domain knowledge)."""

from __future__ import annotations

import logging


class NoClientErrorTracebacks(logging.Filter):
    """Keep a client error's log line, drop its traceback: Django logs every refused
    request (403 PermissionDenied, 400 SuspiciousOperation) with the exception attached,
    which fills the logs with tracebacks of normal refusals and hides real faults."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
