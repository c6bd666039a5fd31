from __future__ import annotations

import uuid
from functools import wraps

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.utils.cache import patch_vary_headers

from .audit import AuditLog, audit_context


def client_ip(request) -> str | None:
    # Behind the government network's reverse proxy, REMOTE_ADDR is the proxy; operators
    # who trust it set SANPI_TRUST_X_FORWARDED_FOR (see docs/operations.md).
    from django.conf import settings

    if getattr(settings, "SANPI_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return request.META.get("REMOTE_ADDR") or None


class AuditContextMiddleware:
    """Every web and API request runs in an audit context with its IP and a request id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        source = AuditLog.Source.API if request.path.startswith("/api/") else AuditLog.Source.WEB
        request_id = str(uuid.uuid4())
        request.request_id = request_id
        with audit_context(source, ip=client_ip(request), request_id=request_id):
            return self.get_response(request)


def passive(view):
    """Mark a view that pages call by themselves (a job's progress, polled every few
    seconds): answering it does not count as the user's activity, so a page left open
    does not keep an idle session alive past SESSION_COOKIE_AGE (等保三级: idle timeout)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.passive = True
        return view(request, *args, **kwargs)

    return wrapped


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's, except that a passive request (see `passive`) neither saves the session
    nor renews its cookie, although SESSION_SAVE_EVERY_REQUEST renews it for every other
    request."""

    def process_response(self, request, response):
        if getattr(request, "passive", False) and not request.session.modified:
            if request.session.accessed:  # the answer is the user's: caches must know
                patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)
