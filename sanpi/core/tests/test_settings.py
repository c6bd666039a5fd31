"""Settings read from the environment (each case in a fresh interpreter)."""

import os
import subprocess
import sys

PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sanpi.settings'; django.setup();"
    "from django.conf import settings as s;"
    "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SANPI_TRUST_X_FORWARDED_FOR)"
)


def _probe(tmp_path, **env) -> str:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SANPI_")}
    environ.update({"SANPI_DATA_DIR": str(tmp_path), **env})
    out = subprocess.run([sys.executable, "-c", PROBE], env=environ, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_plain_http_by_default(tmp_path):
    assert _probe(tmp_path) == "False False False"


def test_https_marks_cookies_secure(tmp_path):
    assert _probe(tmp_path, SANPI_HTTPS="1", SANPI_TRUST_X_FORWARDED_FOR="1") == "True True True"
