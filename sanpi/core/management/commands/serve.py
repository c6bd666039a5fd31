"""`sanpi serve`: the web UI and API on waitress, a production WSGI server.

Static files (our own and the npm vendor assets) are served by whitenoise from the
staticfiles finders (WHITENOISE_USE_FINDERS), so no `collectstatic` step is needed.
Behind a reverse proxy, ``--trusted-proxy ADDRESS`` lets waitress take the client's
address and the https scheme from that proxy's X-Forwarded-For / X-Forwarded-Proto
headers, and from no one else's (docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "启动网页服务（waitress），静态文件由 whitenoise 提供"

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
        parser.add_argument("--port", type=int, default=8000, help="端口（默认 8000；0 为任选）")
        parser.add_argument("--threads", type=int, default=8, help="工作线程数（默认 8）")
        parser.add_argument(
            "--with-worker",
            action="store_true",
            help="同时启动一个后台处理进程（sanpi worker），随网页服务一起停止（演示用；生产环境单独运行）",
        )
        parser.add_argument(
            "--trusted-proxy",
            default="",
            metavar="ADDRESS",
            help="反向代理的 IP 地址：只信任它发来的 X-Forwarded-For / X-Forwarded-Proto",
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        threads: int,
        trusted_proxy: str,
        with_worker: bool = False,
        **options,
    ):
        from django.conf import settings
        from django.core.wsgi import get_wsgi_application
        from waitress.server import create_server

        self.check_migrations()
        # whitenoise serves from the finders; an empty STATIC_ROOT spares its warning.
        Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
        proxy: dict = {}
        if trusted_proxy:
            proxy = {
                "trusted_proxy": trusted_proxy,
                "trusted_proxy_count": 1,
                "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-proto"},
                "clear_untrusted_proxy_headers": True,
            }
        application = get_wsgi_application()
        try:
            server = create_server(
                application, host=host, port=int(port), threads=int(threads), ident="sanpi", **proxy
            )
        except OSError as exc:
            raise CommandError(f"无法监听 {host}:{port}：{exc.strerror or exc}") from None
        shown = f"[{host}]" if ":" in host else host
        url = f"http://{shown}:{server.effective_port}/"
        self.stdout.write(f"sanpi 网页服务已启动：{url}  （按 Ctrl+C 停止）")
        if host not in ("127.0.0.1", "localhost", "::1") and not settings.DEBUG:
            self.stdout.write(
                f"允许访问的主机名（SANPI_ALLOWED_HOSTS）：{', '.join(settings.ALLOWED_HOSTS)}"
            )
        worker = _start_worker() if with_worker else None
        if worker is not None:
            self.stdout.write(f"后台处理进程已随网页服务启动（进程号 {worker.pid}）")
        self.stdout.flush()
        # Ctrl+C and a service manager's SIGTERM both stop the server (and its worker),
        # even where the shell that started it left SIGINT ignored (a background job).
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, _interrupt)
        try:
            server.run()
        except KeyboardInterrupt:
            pass
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):  # stopping: let it finish
                signal.signal(signum, signal.SIG_IGN)
            server.close()
            if worker is not None:
                _stop_worker(worker)
        self.stdout.write("网页服务已停止")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _die_with_parent() -> None:
    """In the worker, before it runs: on Linux, SIGTERM it when the server process ends,
    however it ends (killed too), so no worker is left behind (prctl PR_SET_PDEATHSIG)."""
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_worker() -> subprocess.Popen:
    """`sanpi worker` beside the web server, on the same database and data directory."""
    return subprocess.Popen(
        [sys.executable, "-m", "sanpi.cli", "worker"],
        env=dict(os.environ),
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads started yet that could deadlock
    )


def _stop_worker(worker: subprocess.Popen) -> None:
    """SIGTERM: the worker finishes the job it is running, then stops."""
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(60)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
