"""`sanpi createadmin USERNAME`: the installation's first 系统管理员.

The system administrator manages accounts and sees no business data (roles.py); every
other account is then created by them in the web UI. The password is asked for twice
on the terminal, or read as one line from standard input with ``--password-stdin``
(for scripts: ``printf '%s\\n' "$PW" | sanpi createadmin admin --password-stdin``).
"""

from __future__ import annotations

import getpass
import sys

from django.core.management.base import BaseCommand, CommandError

from sanpi.accounts.models import User
from sanpi.accounts.roles import Role
from sanpi.accounts.services import user_create
from sanpi.core.audit import audit_context
from sanpi.core.errors import ServiceError


class Command(BaseCommand):
    help = "创建第一个系统管理员账号（之后的账号由系统管理员在系统中创建）"
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username", help="系统管理员的用户名")
        parser.add_argument("--full-name", default="", help="姓名")
        parser.add_argument(
            "--password-stdin", action="store_true", help="从标准输入读取密码（一行）"
        )

    def handle(self, *args, username: str, full_name: str, password_stdin: bool, **options):
        if User.objects.filter(role=Role.ADMIN).exists():
            raise CommandError("已有系统管理员账号：其他账号请由系统管理员在系统中创建")
        stdin = options.get("stdin") or sys.stdin
        if password_stdin:
            password = stdin.readline().rstrip("\r\n")
        else:
            if not stdin.isatty():
                raise CommandError("请在终端中运行以输入密码，或使用 --password-stdin")
            password = getpass.getpass("密码：")
            if getpass.getpass("再次输入密码：") != password:
                raise CommandError("两次输入的密码不一致")
        if not password:
            raise CommandError("密码不能为空")
        with audit_context("cli"):
            try:
                user_create(
                    by=None,
                    username=username,
                    password=password,
                    role=Role.ADMIN,
                    full_name=full_name,
                )
            except ServiceError as exc:
                raise CommandError(exc.message) from None
        self.stdout.write(f"已创建系统管理员 {username}，请用它登录后创建其他账号。")
