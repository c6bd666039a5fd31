"""Settings read from the environment (each case in a fresh interpreter)."""

import os
import subprocess
import sys


def _settings(tmp_path, expr: str, **env) -> subprocess.CompletedProcess:
    """A fresh interpreter prints ``expr`` (of the settings ``s``), with no SANPI_ variable
    but those given."""
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'sanpi.settings'; django.setup();"
        f"from django.conf import settings as s; print({expr})"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SANPI_")}
    environ.update({"SANPI_DATA_DIR": str(tmp_path), **env})
    return subprocess.run(
        [sys.executable, "-c", script], env=environ, capture_output=True, text=True
    )


def _probe(tmp_path, **env) -> str:
    expr = "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SANPI_TRUST_X_FORWARDED_FOR"
    out = _settings(tmp_path, expr, **env)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def test_plain_http_by_default(tmp_path):
    assert _probe(tmp_path) == "False False False"


def test_https_marks_cookies_secure(tmp_path):
    assert _probe(tmp_path, SANPI_HTTPS="1", SANPI_TRUST_X_FORWARDED_FOR="1") == "True True True"


def test_hsts_is_an_option_for_https_deployments_only(tmp_path):
    expr = "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS"
    refused = _settings(tmp_path, expr, SANPI_HSTS_SECONDS="31536000")
    assert refused.returncode != 0
    assert "SANPI_HSTS_SECONDS 只能在 SANPI_HTTPS=1" in refused.stderr
    on = _settings(
        tmp_path, expr, SANPI_HTTPS="1", SANPI_HSTS_SECONDS="31536000", SANPI_HSTS_SUBDOMAINS="1"
    )
    assert on.returncode == 0 and on.stdout.strip() == "31536000 True", on.stderr


def test_the_roles_that_must_use_two_factors_are_checked(tmp_path):
    assert _settings(tmp_path, "s.SANPI_2FA_ROLES").stdout.strip() == "('admin', 'auditor')"
    done = _settings(tmp_path, "s.SANPI_2FA_ROLES", SANPI_2FA_ROLES=" all ")
    assert done.stdout.strip() == "('all',)"
    # A misspelt role stops the start: it would go without its second factor unnoticed.
    done = _settings(tmp_path, "s.SANPI_2FA_ROLES", SANPI_2FA_ROLES="admin,auditors")
    assert done.returncode != 0 and "SANPI_2FA_ROLES 中有未知的角色：auditors" in done.stderr


def _figures(tmp_path, **env):
    return _settings(tmp_path, "s.SANPI_YI_DECIMALS, s.SANPI_ACTIVITY_NAMING", **env)


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
