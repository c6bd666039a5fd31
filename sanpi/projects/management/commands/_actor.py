"""Who an operator command acts as: the operator, or the account named by --user."""

from __future__ import annotations

from django.core.management.base import CommandError

from sanpi.accounts.actors import cli_actor
from sanpi.accounts.models import User


def command_actor(username: str):
    """`cli_actor()` (city-wide rights), or the named active account with its scope."""
    if not username:
        return cli_actor()
    try:
        return User.objects.get(username=username, is_active=True)
    except User.DoesNotExist:
        raise CommandError(f"没有账号“{username}”（或账号已停用）") from None
