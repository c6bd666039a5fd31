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


FIGURES_PROBE = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sanpi.settings'; django.setup();"
    "from django.conf import settings as s;"
    "print(s.SANPI_YI_DECIMALS, s.SANPI_ACTIVITY_NAMING)"
)


def _figures(tmp_path, **env):
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SANPI_")}
    environ.update({"SANPI_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", FIGURES_PROBE], env=environ, capture_output=True, text=True
    )


def test_how_the_city_writes_figures(tmp_path):
    assert _figures(tmp_path).stdout.strip() == "2 ci"
    done = _figures(tmp_path, SANPI_YI_DECIMALS="1", SANPI_ACTIVITY_NAMING="qi")
    assert done.stdout.strip() == "1 qi"
    # A value the code can't honour stops the start, saying what is allowed.
    done = _figures(tmp_path, SANPI_YI_DECIMALS="3")
    assert done.returncode != 0 and "SANPI_YI_DECIMALS 须为 1 或 2" in done.stderr
    done = _figures(tmp_path, SANPI_ACTIVITY_NAMING="pi")
    assert (
        done.returncode != 0
        and "SANPI_ACTIVITY_NAMING 须为 ci（第4次）或 qi（第二期）" in done.stderr
    )
