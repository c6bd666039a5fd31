from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's, with its refusal in Chinese. Django 5.2 changed this message's msgid and
    its zh_Hans catalogue still carries the old one, so the refusal came out in English."""

    def get_error_message(self) -> str:
        return f"密码长度太短。密码必须包含至少 {self.min_length} 个字符。"


class CharacterClassValidator:
    """At least three of: upper case, lower case, digits, symbols (等保三级 complexity)."""

    classes = (r"[A-Z]", r"[a-z]", r"[0-9]", r"[^A-Za-z0-9]")

    def validate(self, password: str, user=None) -> None:
        found = sum(1 for pattern in self.classes if re.search(pattern, password))
        if found < 3:
            raise ValidationError(
                "密码须包含大写字母、小写字母、数字、符号中的至少三类。",
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"


class CommonPatternValidator:
    """A common word dressed up with digits and symbols ("Password123!", "Admin@2024",
    "Qwerty123.") is as guessable as the word: the letters left after removing digits and
    symbols must not be a common password, nor the user name."""

    def __init__(self) -> None:
        self.common = password_validation.CommonPasswordValidator().passwords

    def validate(self, password: str, user=None) -> None:
        core = re.sub(r"[^a-z]", "", password.lower())
        username = (getattr(user, "username", "") or "").lower()
        if (
            not core
            or core in self.common
            or (username and core == re.sub(r"[^a-z]", "", username))
        ):
            raise ValidationError(
                "密码过于常见：常见单词或用户名加上数字、符号仍然容易被猜出，请换一个。",
                code="password_common_pattern",
            )

    def get_help_text(self) -> str:
        return "不能是常见单词或用户名加数字、符号。"


HISTORY = 5  # a new password may not be any of the last 5


class HistoryValidator:
    """Not the current password, nor one of the last HISTORY (等保三级: no reuse)."""

    def validate(self, password: str, user=None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        from .models import PasswordHistory

        hashes = [user.password] if user.password else []
        hashes += list(
            PasswordHistory.objects.filter(user=user)
            .order_by("-created_at", "-pk")
            .values_list("password", flat=True)[:HISTORY]
        )
        from django.contrib.auth.hashers import check_password

        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                f"不能与当前密码或最近{HISTORY}次用过的密码相同。", code="password_reused"
            )

    def get_help_text(self) -> str:
        return f"不能与最近{HISTORY}次用过的密码相同。"
