"""`sanpi demo`: migrate, load the demo city (once), print the logins, serve."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from sanpi.accounts.models import User
from sanpi.core.audit import audit_context
from sanpi.projects.demo import DEMO_PASSWORD, load_demo
from sanpi.projects.models import Project


class Command(BaseCommand):
    help = "创建数据库、载入演示数据（吕梁市13个县(市、区)、开发区、企业、约300个项目、4次“三个一批”活动）并启动服务"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只载入数据，不启动服务")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(
        self, *args, no_serve: bool = False, host: str = "127.0.0.1", port: str = "8000", **options
    ):
        call_command("migrate", verbosity=0, interactive=False)
        if Project.objects.exists() or User.objects.exists():
            self.stdout.write("数据库中已有数据，跳过演示数据载入。")
            logins = {u.username: str(u) for u in User.objects.order_by("id")}
        else:
            self.stdout.write("正在载入演示数据……")
            with audit_context("cli"):
                logins = load_demo()
            self.stdout.write(f"已载入 {Project.objects.count()} 个项目。")
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：")
        for username, label in logins.items():
            self.stdout.write(f"  {username:<15} {label}")
        if settings.SANPI_2FA_ROLES:
            roles = "所有角色" if "all" in settings.SANPI_2FA_ROLES else "系统管理员、审计管理员"
            self.stdout.write(
                f"  （{roles}须启用两步验证：首次登录后按页面提示用手机上的身份验证器扫码）"
            )
        self.stdout.write("")
        if not no_serve:
            # One worker beside the web server runs the imports, exports and schedules.
            call_command("serve", host=host, port=port, with_worker=True)
