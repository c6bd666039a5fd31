"""Django settings for sanpi.

Configuration comes from environment variables (see docs/operations.md):
  DATABASE_URL         database; default: embedded SQLite file in SANPI_DATA_DIR
  SANPI_DATA_DIR       where the SQLite file, uploads and caches live (default ./var)
  SANPI_SECRET_KEY     required in production (SANPI_DEBUG unset)
  SANPI_DEBUG          "1" for development
  SANPI_ALLOWED_HOSTS  comma-separated host names
  SANPI_LOCKOUT_THRESHOLD  consecutive failed logins that lock an account (default 5)
  SANPI_LOCKOUT_MINUTES    how long a locked account stays locked (default 30)
  SANPI_LOGIN_IP_THRESHOLD failed logins from one client address, whatever the account,
                           after which that address is refused (default 20) …
  SANPI_LOGIN_IP_MINUTES   … for this many minutes from its first failure (default 15)
  SANPI_PASSWORD_MAX_AGE_DAYS  a password older than this must be changed (default 90; 0: never)
  SANPI_2FA_ROLES          roles that must sign in with two factors: role keys, or "all"
                           (default admin,auditor)
  SANPI_LARGE_INVESTMENT_WAN / SANPI_LARGE_OUTPUT_WAN  total investment / annual output (万元)
                           above which a project needs a confirmation (default 500亿元 / 1000亿元)
  SANPI_HTTPS              "1" when users reach the site over HTTPS: Secure cookies
  SANPI_HSTS_SECONDS / SANPI_HSTS_SUBDOMAINS  optional HSTS sent by sanpi (with SANPI_HTTPS)
  SANPI_TRUST_X_FORWARDED_FOR  "1" to audit the client address from X-Forwarded-For
  SANPI_TASKS              "immediate" to run background jobs inside the request that starts
                           them (tests); default "db": queued in the database for `sanpi worker`
  SANPI_JOBS_KEEP_DAYS     finished background jobs and their files are purged after this many
                           days (default 90)
  SANPI_UPLOAD_MAX_BYTES   largest workbook upload, in bytes (default 20MB)
  SANPI_IMPORT_MAX_ROWS / SANPI_UPLOAD_MAX_UNPACKED_MB  rows of one sheet read at most, and
                           what a zipped workbook may unpack to (default 100000 / 200)
  SANPI_WORKER_MEMORY_MB   the address space `sanpi worker` allows itself (default 3072; 0: any)
  SANPI_EMAIL_BACKEND      "smtp" to send notification emails through SANPI_EMAIL_HOST;
                           default "console": written to the worker's output, not sent
  SANPI_EMAIL_HOST / SANPI_EMAIL_PORT  the mail server (default localhost / 25)
  SANPI_EMAIL_USER / SANPI_EMAIL_PASSWORD  its login, if it needs one
  SANPI_EMAIL_TLS / SANPI_EMAIL_SSL  "1" for STARTTLS / implicit TLS (port 465)
  SANPI_EMAIL_TIMEOUT      seconds to wait for the mail server (default 10)
  SANPI_EMAIL_FROM         the sender address (default sanpi@localhost)
  SANPI_ROBOT_TIMEOUT      seconds to wait for a group robot (企业微信/钉钉) to answer (default 5)
  SANPI_SITE_URL           the address users open the site at, e.g. https://sanpi.example.gov.cn:
                           links in emails and robot messages (default: paths only)
  SANPI_YI_DECIMALS        decimal places of 亿元 in bulletins and pages, 1 or 2 (default 2),
                           rounded half-up: 124.3亿元 or 124.25亿元
  SANPI_ACTIVITY_NAMING    how activity names write the 批次 (the year's activities counted in
                           date order from its first one): "ci" (default) 2021年第4次, or
                           "qi" 2021年第四期 in Chinese numerals
  SANPI_AUDIT_RETENTION_DAYS  audit rows kept online at least this many days before they may
                           be archived and purged (default 180, the least accepted)
  SANPI_AUDIT_ARCHIVE_KEY  the key that signs audit archives (HMAC); default: derived from
                           the secret key
  SANPI_AUDIT_HASH         the audit chain's hash for new seals: "sha256" (default) or "sm3" (国密)
  SANPI_PASSWORD_HASHER    "default" (Django's PBKDF2-SHA256) or "sm3" (pbkdf2_sm3, 国密)
  SANPI_PASSWORD_SM3_ITERATIONS  iterations of pbkdf2_sm3 (default 500)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.conf import global_settings as _global_settings
from django.core.exceptions import ImproperlyConfigured

from sanpi.accounts.roles import Role as _Role  # pure: no Django

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
DATA_DIR = Path(os.environ.get("SANPI_DATA_DIR", REPO_DIR / "var")).resolve()
# The database file, uploads, exports and backups are for the service account alone:
# whatever sanpi creates is readable by its owner only (files 0600, directories 0700).
os.umask(0o077)
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

DEBUG = os.environ.get("SANPI_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("SANPI_SECRET_KEY") or (
    "insecure-dev-key-set-SANPI_SECRET_KEY-in-production" if DEBUG else None
)
if not SECRET_KEY:
    # A stable per-installation key, created once in the data directory.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        import secrets

        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    SECRET_KEY = key_file.read_text().strip()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("SANPI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # serves the API docs' Swagger UI from its own static files, not a CDN
    "django_tasks",  # the task API of Django 6 (django.tasks), backported: core.tasks
    "django_tasks_db",  # its queue in our own database, and the worker sanpi worker runs
    "django_otp",  # two-factor sign-in (accounts.two_factor)
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "sanpi.core",
    "sanpi.accounts",
    "sanpi.regions",
    "sanpi.projects",
    "sanpi.approvals",
    "sanpi.cockpit",
    "sanpi.notifications",
    "sanpi.dispatch",
    "sanpi.health",
    "sanpi.targets",
    "sanpi.problems",
    "sanpi.indicators",
    "sanpi.assessment",
    "sanpi.finance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sanpi.core.middleware.SessionMiddleware",  # Django's; polling does not renew it
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "sanpi.core.middleware.AuditContextMiddleware",
    "sanpi.accounts.middleware.LoginRequiredMiddleware",
    "sanpi.accounts.middleware.PasswordChangeRequiredMiddleware",
]

ROOT_URLCONF = "sanpi.urls"
WSGI_APPLICATION = "sanpi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

SQLITE_PATH = DATA_DIR / "sanpi.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "cockpit:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# 等保三级: strong passwords, login-failure lockout, idle session timeout.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "sanpi.accounts.passwords.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "sanpi.accounts.passwords.CharacterClassValidator"},
    {"NAME": "sanpi.accounts.passwords.CommonPatternValidator"},
    {"NAME": "sanpi.accounts.passwords.HistoryValidator"},
]
SANPI_LOCKOUT_THRESHOLD = int(os.environ.get("SANPI_LOCKOUT_THRESHOLD", "5"))
SANPI_LOCKOUT_MINUTES = int(os.environ.get("SANPI_LOCKOUT_MINUTES", "30"))
# Roles that must sign in with a second factor (TOTP): comma-separated role keys, or "all".
SANPI_2FA_ROLES = tuple(
    r.strip() for r in os.environ.get("SANPI_2FA_ROLES", "admin,auditor").split(",") if r.strip()
)
_unknown_roles = set(SANPI_2FA_ROLES) - {"all", *(r.value for r in _Role)}
if _unknown_roles:  # a misspelt role would silently go without its second factor
    raise ImproperlyConfigured(
        f"SANPI_2FA_ROLES 中有未知的角色：{', '.join(sorted(_unknown_roles))}"
        f"（可用：all, {', '.join(r.value for r in _Role)}）"
    )
OTP_TOTP_ISSUER = "三批项目平台"
# How passwords are stored: Django's hashers (PBKDF2-SHA256 first), or with
# SANPI_PASSWORD_HASHER=sm3 PBKDF2-HMAC-SM3 first (国密, accounts.hashers). Either way the other
# stays in the list, so existing hashes still verify and are re-hashed at the next sign-in.
# SM3 is OpenSSL's where Python has it, else gmssl's pure Python, where 500 iterations take
# about 0.25 s (docs/operations.md §3 says when to raise it).
_DJANGO_HASHERS = list(_global_settings.PASSWORD_HASHERS)
_SM3_HASHER = "sanpi.accounts.hashers.PBKDF2SM3PasswordHasher"
SANPI_PASSWORD_HASHER = os.environ.get("SANPI_PASSWORD_HASHER", "default").strip().lower()
if SANPI_PASSWORD_HASHER not in ("default", "sm3"):
    raise ImproperlyConfigured(
        f"SANPI_PASSWORD_HASHER 须为 default 或 sm3（国密），实为 {SANPI_PASSWORD_HASHER!r}"
    )
PASSWORD_HASHERS = (
    [_SM3_HASHER, *_DJANGO_HASHERS]
    if SANPI_PASSWORD_HASHER == "sm3"
    else [*_DJANGO_HASHERS, _SM3_HASHER]
)
SANPI_PASSWORD_SM3_ITERATIONS = int(os.environ.get("SANPI_PASSWORD_SM3_ITERATIONS", "500"))
if SANPI_PASSWORD_SM3_ITERATIONS < 100:
    raise ImproperlyConfigured("SANPI_PASSWORD_SM3_ITERATIONS 不能小于 100")
# A password older than this must be changed at the next sign-in (0: never expires).
SANPI_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("SANPI_PASSWORD_MAX_AGE_DAYS", "90"))
# Hostile uploads: rows of one sheet read at most, and what a zipped workbook may unpack to.
SANPI_IMPORT_MAX_ROWS = int(os.environ.get("SANPI_IMPORT_MAX_ROWS", "100000"))
SANPI_UPLOAD_MAX_UNPACKED_MB = int(os.environ.get("SANPI_UPLOAD_MAX_UNPACKED_MB", "200"))
# `sanpi worker` caps its own memory (address space), so that one file fails its own job.
SANPI_WORKER_MEMORY_MB = int(os.environ.get("SANPI_WORKER_MEMORY_MB", "3072"))
# The audit log (docs/operations.md §5): rows stay online at least this many days (the
# database itself refuses to delete younger than 180, 《网络安全法》第二十一条); archives of
# older rows are signed with SANPI_AUDIT_ARCHIVE_KEY, or a key derived from SECRET_KEY;
# new seals of the hash chain use SHA-256 or SM3 (国密).
SANPI_AUDIT_RETENTION_DAYS = int(os.environ.get("SANPI_AUDIT_RETENTION_DAYS", "180"))
if SANPI_AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(
        f"SANPI_AUDIT_RETENTION_DAYS 不能小于 180（审计记录至少在线保存六个月），实为 "
        f"{SANPI_AUDIT_RETENTION_DAYS}"
    )
SANPI_AUDIT_ARCHIVE_KEY = os.environ.get("SANPI_AUDIT_ARCHIVE_KEY", "")
SANPI_AUDIT_HASH = os.environ.get("SANPI_AUDIT_HASH", "sha256").strip().lower()
if SANPI_AUDIT_HASH not in ("sha256", "sm3"):
    raise ImproperlyConfigured(
        f"SANPI_AUDIT_HASH 须为 sha256 或 sm3（国密），实为 {SANPI_AUDIT_HASH!r}"
    )
SANPI_LOGIN_IP_THRESHOLD = int(os.environ.get("SANPI_LOGIN_IP_THRESHOLD", "20"))
SANPI_LOGIN_IP_MINUTES = int(os.environ.get("SANPI_LOGIN_IP_MINUTES", "15"))
# Plausibility limits (万元): a project above them needs the user's confirmation (forms,
# API) and shows as a warning in the import preview. 500亿元 and 1000亿元 by default.
SANPI_LARGE_INVESTMENT_WAN = int(os.environ.get("SANPI_LARGE_INVESTMENT_WAN", "5000000"))
SANPI_LARGE_OUTPUT_WAN = int(os.environ.get("SANPI_LARGE_OUTPUT_WAN", "10000000"))
# Behind a reverse proxy that overwrites X-Forwarded-For, audit the address it names
# (core.middleware.client_ip; docs/operations.md).
SANPI_TRUST_X_FORWARDED_FOR = os.environ.get("SANPI_TRUST_X_FORWARDED_FOR", "") == "1"
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts, styles, images and requests from sanpi
# itself only, no inline script or style attribute anywhere (the templates have none; the
# Chromium tests fail on any violation), no plugins, no framing, forms post only to sanpi.
# data: images are Bootstrap's own SVG icons in its CSS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# Served over HTTPS (behind the proxy): cookies never travel in clear text, whatever the proxy does.
if os.environ.get("SANPI_HTTPS", "") == "1":
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Optional: sanpi itself sends Strict-Transport-Security (seconds; 0 = not sent), for
# deployments whose proxy does not add the header. Only ever over HTTPS.
SECURE_HSTS_SECONDS = int(os.environ.get("SANPI_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = os.environ.get("SANPI_HSTS_SUBDOMAINS", "") == "1"
if SECURE_HSTS_SECONDS and os.environ.get("SANPI_HTTPS", "") != "1":
    raise ImproperlyConfigured("SANPI_HSTS_SECONDS 只能在 SANPI_HTTPS=1（经 HTTPS 提供服务）时设置")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves from the finders; collectstatic is optional
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/htmx", REPO_DIR / "node_modules" / "htmx.org" / "dist"),
    ("vendor/bootstrap", REPO_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/echarts", REPO_DIR / "node_modules" / "echarts" / "dist"),
    ("vendor/geo", REPO_DIR / "node_modules" / ".sanpi-vendor" / "geo"),  # scripts/vendor_geo.py
]
STATICFILES_DIRS = [
    d for d in STATICFILES_DIRS if Path(d if isinstance(d, Path) else d[1]).exists()
]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MEDIA_ROOT = DATA_DIR / "media"
# Request sizes. An ordinary form's body (everything but its files) keeps Django's default
# limit of 2.5MB: a larger post is refused unread, with core.views.bad_request's 413 page.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A workbook upload is limited on its own: SANPI_UPLOAD_MAX_BYTES (default 20MB) per file,
# counted while it arrives (core.uploads.LimitedUploadHandler keeps nothing beyond it) and
# refused by the upload form before anything parses it. Files above 5MB spool to disk.
SANPI_UPLOAD_MAX_BYTES = int(os.environ.get("SANPI_UPLOAD_MAX_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_HANDLERS = [
    "sanpi.core.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Background jobs (imports, exports, bulletins, scheduled work; core.jobs) are queued in
# the database and run by `sanpi worker`; "immediate" runs each inside the call that
# starts it instead (the test suite does, except where it tests the real worker).
SANPI_TASKS = os.environ.get("SANPI_TASKS", "db")
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if SANPI_TASKS == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}
SANPI_JOBS_KEEP_DAYS = int(os.environ.get("SANPI_JOBS_KEEP_DAYS", "90"))

# Notifications (sanpi.notifications): emails through Django's mail settings, group robots
# over HTTP with a timeout. The console backend by default: nothing leaves the server
# until SANPI_EMAIL_BACKEND=smtp is set (docs/operations.md, "Notifications").
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if os.environ.get("SANPI_EMAIL_BACKEND", "console") == "smtp"
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = os.environ.get("SANPI_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("SANPI_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("SANPI_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SANPI_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("SANPI_EMAIL_TLS", "") == "1"
EMAIL_USE_SSL = os.environ.get("SANPI_EMAIL_SSL", "") == "1"
EMAIL_TIMEOUT = int(os.environ.get("SANPI_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("SANPI_EMAIL_FROM", "sanpi@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
SANPI_ROBOT_TIMEOUT = float(os.environ.get("SANPI_ROBOT_TIMEOUT", "5"))
SANPI_SITE_URL = os.environ.get("SANPI_SITE_URL", "").rstrip("/")

# How the city writes its figures (core.amounts, projects.models.Activity.name).
_yi_decimals = os.environ.get("SANPI_YI_DECIMALS", "2").strip()
if _yi_decimals not in ("1", "2"):
    raise ImproperlyConfigured(f"SANPI_YI_DECIMALS 须为 1 或 2，实为 {_yi_decimals!r}")
SANPI_YI_DECIMALS = int(_yi_decimals)
SANPI_ACTIVITY_NAMING = os.environ.get("SANPI_ACTIVITY_NAMING", "ci").strip().lower()
if SANPI_ACTIVITY_NAMING not in ("ci", "qi"):
    raise ImproperlyConfigured(
        f"SANPI_ACTIVITY_NAMING 须为 ci（第4次）或 qi（第二期），实为 {SANPI_ACTIVITY_NAMING}"
    )

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache"),
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403, 404, …) is logged in one line, without a traceback.
    "filters": {"client_errors": {"()": "sanpi.core.logs.NoClientErrorTracebacks"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["client_errors"]},
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
}
