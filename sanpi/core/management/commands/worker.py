"""`sanpi worker`: run the background jobs (imports, exports, bulletins, schedules).

One process runs one job at a time; run several for more at once (PostgreSQL: on any
number of hosts; they never take the same job). Before each look at the queue it
settles jobs left "running" by a worker that died and fires the schedules that are due.
SIGTERM or Ctrl+C lets the running job finish first (docs/operations.md).
"""

from __future__ import annotations

import resource

from django.conf import settings
from django.core.management.base import BaseCommand


def apply_memory_limit(megabytes: int) -> None:
    """Cap this process's address space (and its children's): a hostile or enormous file
    fails its own job with MemoryError (reported in Chinese by core.jobs) instead of
    taking the host's memory from everything else. 0 leaves the limit as it is."""
    if megabytes > 0:
        limit = megabytes * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class Command(BaseCommand):
    help = "运行后台处理进程：导入、导出、通报和定时任务"

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval", type=float, default=1.0, help="队列为空时每隔几秒查看一次（默认 1）"
        )
        parser.add_argument(
            "--batch", action="store_true", help="处理完队列中的任务后退出（运维和测试用）"
        )

    def handle(self, *args, interval: float, batch: bool, **options):
        from sanpi.core import jobs, schedules, tasks

        self.check_migrations()
        apply_memory_limit(settings.SANPI_WORKER_MEMORY_MB)
        if settings.SANPI_WORKER_MEMORY_MB:
            self.stdout.write(f"内存上限：{settings.SANPI_WORKER_MEMORY_MB}MB")

        def between() -> None:
            for job in jobs.settle_interrupted():
                self.stdout.write(f"已处理中断的任务 {job.pk}（{jobs.kind_label(job.kind)}）")
            for job in schedules.tick():
                self.stdout.write(f"已启动定时任务 {job.pk}（{jobs.kind_label(job.kind)}）")

        def log(text: str) -> None:
            self.stdout.write(text)
            self.stdout.flush()

        tasks.run_worker(interval=interval, batch=batch, between=between, log=log)
