"""Settings for Shuangsuiji. Everything deployment-specific comes from the environment (see README)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list

django_stubs_ext.monkeypatch()  # lets typed generics like ModelForm[Entity] run

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("SHUANGSUIJI_DATA_DIR", "var")).resolve()

DEBUG = env_bool("SHUANGSUIJI_DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if not DEBUG:
        raise ImproperlyConfigured(
            "未设置 SECRET_KEY。生产环境必须通过环境变量提供至少 50 个字符的随机密钥；"
            "本地试用请设置 SHUANGSUIJI_DEBUG=1 或运行 `shuangsuiji demo`。"
        )
    # Development only: one random key per data directory, kept across restarts so sessions survive.
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / "dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64), encoding="ascii")
        path.chmod(0o600)
    return path.read_text(encoding="ascii").strip()


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_tasks",
    "django_tasks_db",
    "shuangsuiji.core",
    "shuangsuiji.accounts",
    "shuangsuiji.audit",
    "shuangsuiji.catalog",
    "shuangsuiji.directory",
    "shuangsuiji.planning",
    "shuangsuiji.draws",
    "shuangsuiji.inspections",
    "shuangsuiji.disclosure",
    "shuangsuiji.oversight",
    "shuangsuiji.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shuangsuiji.core.security.SecurityHeadersMiddleware",
    "shuangsuiji.audit.services.RequestAddressMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "shuangsuiji.core.permissions.PublicPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "shuangsuiji.accounts.middleware.SecondFactorMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "shuangsuiji.core.permissions.RuleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shuangsuiji.accounts.middleware.PasswordExpiryMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "shuangsuiji" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "shuangsuiji.core.context.navigation",
            ],
        },
    },
]


def _database() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL", "").strip()
    conn_max_age = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
    if url:
        if not url.startswith(("postgres://", "postgresql://", "sqlite://")):
            raise ImproperlyConfigured(
                f"DATABASE_URL={url!r} 不受支持：请使用 postgres://用户:密码@主机:端口/库名 或 sqlite:///路径。"
            )
        config = dj_database_url.parse(url, conn_max_age=conn_max_age)
        if config["ENGINE"] == "django.db.backends.postgresql":
            # JIT compilation costs ~200 ms on the big list scans and never pays back for these short
            # queries (benchmarks/bench_entity_list.py).
            config.setdefault("OPTIONS", {})["options"] = "-c jit=off"
            # Django's backend, the health check of a kept connection taken at most once a second
            # (shuangsuiji.core.postgresql.base).
            config["ENGINE"] = "shuangsuiji.core.postgresql"
            config["CONN_HEALTH_CHECKS"] = True
        return dict(config)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "shuangsuiji.sqlite3",
        # Each server thread keeps its connection: a new one per request costs more than many a page
        # (open, the PRAGMAs, reading the schema, and a WAL check on close; benchmarks/bench_portal.py).
        "CONN_MAX_AGE": conn_max_age,
        "OPTIONS": {
            # IMMEDIATE: a writing transaction takes the lock at BEGIN, so two concurrent writers queue
            # instead of failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        },
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]

# 等保 身份鉴别: 5 failed logins lock the account for 30 minutes; the security admin can unlock it.
AXES_FAILURE_LIMIT = env_int("SHUANGSUIJI_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SHUANGSUIJI_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked.html"
AXES_HTTP_RESPONSE_CODE = 403
AXES_VERBOSE = False
PASSWORD_MAX_AGE_DAYS = env_int("SHUANGSUIJI_PASSWORD_MAX_AGE_DAYS", 90, minimum=0)  # 0 = never expires
PASSWORD_HISTORY = 5
OTP_TOTP_ISSUER = "双随机监管平台"
# Lockout is per account, not per address: on a government intranet a whole bureau often shares one
# NAT address, and locking it would lock everyone out (axes.W006 warns about exactly this choice).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "shuangsuiji.accounts.passwords.CharacterClassValidator"},
    {"NAME": "shuangsuiji.accounts.passwords.PasswordHistoryValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "files"},
    },
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Sessions: idle timeout (等保: 会话超时), renewed on each request.
SESSION_COOKIE_AGE = env_int("SHUANGSUIJI_IDLE_TIMEOUT_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SHUANGSUIJI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SHUANGSUIJI_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SHUANGSUIJI_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Background jobs (big imports and draws): the database backend, so the embedded default needs no
# extra server. Run the worker with `shuangsuiji db_worker` (`shuangsuiji demo` starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# Per process: the portal search form's choices (a minute). The portal's rendered pages are kept apart, by
# core.pagecache. Shared state (the dashboard's figures, jobs) lives in the database.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "OPTIONS": {"MAX_ENTRIES": 1000},
    }
}

SHUANGSUIJI_BACKGROUND_THRESHOLD = env_int("SHUANGSUIJI_BACKGROUND_THRESHOLD", 100_000, minimum=0)
# Draws: populations of at least this many entities are drawn by 2 worker processes (same answer); the team
# draw's tickets in this many processes (pays only on idle cores). docs/lottery.md.
SHUANGSUIJI_DRAW_PARALLEL_THRESHOLD = env_int("SHUANGSUIJI_DRAW_PARALLEL_THRESHOLD", 2_000_000, minimum=1)
SHUANGSUIJI_TEAM_DRAW_PROCESSES = env_int("SHUANGSUIJI_TEAM_DRAW_PROCESSES", 1, minimum=1)

SHUANGSUIJI_IMPORT_BACKGROUND_BYTES = env_int("SHUANGSUIJI_IMPORT_BACKGROUND_MB", 5, minimum=0) * 1024 * 1024
# Files at least this big are read and checked in a second process while the import writes (0: never).
SHUANGSUIJI_IMPORT_PARALLEL_BYTES = env_int("SHUANGSUIJI_IMPORT_PARALLEL_MB", 8, minimum=0) * 1024 * 1024
UPLOAD_MAX_BYTES = env_int("SHUANGSUIJI_UPLOAD_MAX_MB", 200, minimum=1) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("SHUANGSUIJI_LOG_LEVEL", "INFO")},
}
