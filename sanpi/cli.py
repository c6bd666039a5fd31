"""The `sanpi` console command: a thin front for Django's management commands.

`sanpi migrate`, `sanpi demo`, `sanpi import ledger FILE.xlsx` … all run the
management command of that name. A global `--database-url URL` option (anywhere
on the line) sets DATABASE_URL for the run; otherwise the environment's
DATABASE_URL or the embedded SQLite file is used.
"""

from __future__ import annotations

import os
import sys


def _take_database_url(argv: list[str]) -> list[str]:
    out: list[str] = []
    it = iter(range(len(argv)))
    skip = False
    for i in it:
        if skip:
            skip = False
            continue
        arg = argv[i]
        if arg == "--database-url":
            if i + 1 >= len(argv):
                sys.stderr.write("--database-url 需要一个数据库地址\n")
                raise SystemExit(2)
            os.environ["DATABASE_URL"] = argv[i + 1]
            skip = True
        elif arg.startswith("--database-url="):
            os.environ["DATABASE_URL"] = arg.split("=", 1)[1]
        else:
            out.append(arg)
    return out


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv = [argv[0], *_take_database_url(argv[1:])]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanpi.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
