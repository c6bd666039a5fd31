#!/usr/bin/env bash
# Debian packages the test suite needs: a PostgreSQL server (and its client tools, for
# `sanpi backup`), Chromium for the end-to-end tests, a CJK font with fontconfig so
# Chinese renders in screenshots instead of boxes, and headless LibreOffice (Calc and
# Writer, no GUI) so generated workbooks and documents are opened as people open them. Installs only what is missing; runs
# apt-get through sudo when not root.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
# (not `fc-list | grep -q`: with pipefail, grep's early exit fails the pipe)
fonts="$(fc-list 2>/dev/null || true)"
grep -q "Noto Sans CJK" <<<"$fonts" || need+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need+=(postgresql)
command -v pg_dump >/dev/null 2>&1 || need+=(postgresql-client)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-calc-nogui libreoffice-writer-nogui)
command -v runuser >/dev/null 2>&1 || need+=(util-linux)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "== installing Debian packages: ${need[*]}"
SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)
APT=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300)
"${APT[@]}" update -qq
"${APT[@]}" install -y -qq --no-install-recommends "${need[@]}" >/dev/null
