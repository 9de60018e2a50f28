"""Settings from the environment (TAMTAM_*), parsed strictly.

Embedded mode (default): SQLite in WAL mode, workers in the `tamtam run` process group.
Scale-out mode: TAMTAM_DATABASE_URL=postgres://… and TAMTAM_BROKER_URL=redis://…
The mode is chosen here from the environment, never by editing code.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tamtam.lib import env
from tamtam.ops.logs import logging_config

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent.parent


def _raw(name: str) -> str | None:
    # TAMTAM_<name>, or the content of the file named by TAMTAM_<name>_FILE (tamtam/lib/env.py).
    return env.read(f"TAMTAM_{name}")


def env_str(name: str, default: str = "") -> str:
    """A setting from TAMTAM_<name>, or from the file named by TAMTAM_<name>_FILE."""
    raw = _raw(name)
    return default if raw is None else raw


def env_bool(name: str, default: bool) -> bool:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"TAMTAM_{name}: expected a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = _raw(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"TAMTAM_{name}: expected an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = _raw(name)
    if raw is None or raw.strip() == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env_str(name, default).strip().lower() or default
    if value not in choices:
        raise ImproperlyConfigured(f"TAMTAM_{name}: expected one of {', '.join(choices)}, got {value!r}")
    return value


DATA_DIR = Path(env_str("DATA_DIR", str(PROJECT_DIR / "var"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _persistent_secret(filename: str, nbytes: int) -> str:
    """A random secret generated once and kept in the data dir (mode 0600), for the embedded mode."""
    path = DATA_DIR / filename
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    value = secrets.token_urlsafe(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(value)
    return value


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY") or _persistent_secret("secret_key", 50)
# Key for AES-GCM encryption of channel credentials: 32 bytes, urlsafe base64. Separate from
# SECRET_KEY so that rotating session signing does not make credentials unreadable.
ENCRYPTION_KEY = env_str("ENCRYPTION_KEY") or _persistent_secret("encryption_key", 32)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
BASE_URL = env_str("BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# Where networks send people back after OAuth: <this>/oauth/callback/<network>/ (register it there).
OAUTH_REDIRECT_BASE = env_str("OAUTH_REDIRECT_BASE", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    # Listed so the API docs (/api/docs) load Swagger UI from ninja's bundled static files, not a CDN.
    "ninja",
    "tamtam.work",
    "tamtam.accounts",
    "tamtam.strategy",
    "tamtam.networks",
    "tamtam.channels",
    "tamtam.publishing",
    "tamtam.inbox",
    "tamtam.listening",
    "tamtam.crisis",
    "tamtam.analytics",
    "tamtam.reports",
    "tamtam.dataops",
    "tamtam.ops",
    "tamtam.web",
]

MIDDLEWARE = [
    # First: the request id and the latency cover everything below, and every log line of the request.
    "tamtam.ops.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tamtam.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tamtam.urls"
WSGI_APPLICATION = "tamtam.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "tamtam.web.context_processors.workspace",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'tamtam.sqlite3'}")
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run during a write; IMMEDIATE transactions take the write lock up front so
    # two writers never deadlock on a lock upgrade; the busy timeout rides out short write bursts.
    _db["OPTIONS"] = {
        "timeout": env_int("SQLITE_BUSY_TIMEOUT", 20),
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
            "PRAGMA cache_size=-20000;PRAGMA temp_store=MEMORY;"
        ),
    }
    _db["CONN_MAX_AGE"] = 0 if env_bool("SQLITE_SHORT_CONNECTIONS", False) else None
elif _db["ENGINE"] == "django.db.backends.postgresql":
    _db.setdefault("OPTIONS", {})
    # Scale-out mode: a psycopg 3 pool per process (web threads, worker threads share a few
    # connections instead of one each). The health checks make the pool test a connection before
    # handing it out, so a restarted PostgreSQL costs one failed check, not a request or a task.
    if env_str("BROKER_URL") and env_bool("DB_POOL", True):
        _db["CONN_MAX_AGE"] = 0  # Django refuses persistent connections with a pool
        _db["CONN_HEALTH_CHECKS"] = True
        _db["OPTIONS"]["pool"] = {
            "min_size": env_int("DB_POOL_MIN_SIZE", 1),
            "max_size": env_int("DB_POOL_MAX_SIZE", 8),
            "timeout": env_int("DB_POOL_TIMEOUT", 10),
        }
DATABASES = {"default": _db}
if os.environ.get("TAMTAM_TEST_DATABASE_NAME"):
    DATABASES["default"]["TEST"] = {"NAME": os.environ["TAMTAM_TEST_DATABASE_NAME"]}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Work engine ------------------------------------------------------------------------------
BROKER_URL = env_str("BROKER_URL")  # empty: embedded mode, workers poll the database
# Scale-out mode (docs/scaling.md): `tamtam beat` sends due row ids in messages of this many ids,
# sends an id again when it is still due this long after (a message lost with a restarted broker),
# and sweeps expired leases; messages older than the expiry are dropped (beat sends fresh ones).
WORK_MODE = "scaleout" if BROKER_URL else "embedded"
WORK_BEAT_INTERVAL_MS = env_int("WORK_BEAT_INTERVAL_MS", 500)
WORK_BATCH_IDS = env_int("WORK_BATCH_IDS", 10)
WORK_RESEND_SECONDS = env_int("WORK_RESEND_SECONDS", 30)
WORK_MESSAGE_EXPIRES_SECONDS = env_int("WORK_MESSAGE_EXPIRES_SECONDS", 300)
WORK_LEASE_SECONDS = env_int("WORK_LEASE_SECONDS", 60)
WORK_POLL_MS = env_int("WORK_POLL_MS", 200)
WORK_CONCURRENCY = env_int("WORK_CONCURRENCY", 32)
WORK_MAX_ATTEMPTS = env_int("WORK_MAX_ATTEMPTS", 8)
EMBEDDED_WORKERS = env_int("EMBEDDED_WORKERS", 1)

# --- Security -----------------------------------------------------------------------------------
SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 0)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", BASE_URL.startswith("https://"))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_AGE_SECONDS", 14 * 24 * 3600)
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-free meta tag; this stays default
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling: lock a username+address pair after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_COOLOFF_MINUTES", 15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLED = env_bool("LOGIN_THROTTLING", True)

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Caches -------------------------------------------------------------------------------------
# "default": per process (computed figures, kept a few seconds). "shared": the few small values every
# process of this installation must agree on at once — the dashboards' per-workspace generations, so
# that a change made through one web process or worker is not hidden by another process's kept
# figures. Files under the data directory: no server to run, and the same directory everywhere in
# the scale-out layout (docs/scaling.md).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(DATA_DIR / "cache" / "shared"),
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
# Front-end packages are installed from npm by the setup step into node_modules/ and served from
# there; nothing third-party is copied into the repository.
NODE_MODULES_DIR = Path(env_str("NODE_MODULES_DIR", str(PROJECT_DIR / "node_modules")))
STATICFILES_DIRS = [("vendor", NODE_MODULES_DIR)] if NODE_MODULES_DIR.is_dir() else []
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_DIR", str(DATA_DIR / "media")))
MEDIA_MAX_BYTES = env_int("MEDIA_MAX_BYTES", 512 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_HOST = env_str("SMTP_HOST", "127.0.0.1")
EMAIL_PORT = env_int("SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("SMTP_USER")
EMAIL_HOST_PASSWORD = env_str("SMTP_PASSWORD")
EMAIL_USE_TLS = env_bool("SMTP_STARTTLS", False)
# Crisis detection: a minute is scored this long after it ends (late-fetched mentions still count).
CRISIS_SETTLE_SECONDS = env_int("CRISIS_SETTLE_SECONDS", 120)
DEFAULT_FROM_EMAIL = env_str("MAIL_FROM", "tamtam@localhost")

# --- Reports: PDF printed by headless Chromium (Debian's package) ------------------------------------
CHROMIUM_PATH = env_str("CHROMIUM", "/usr/bin/chromium")

# --- Sandbox network ----------------------------------------------------------------------------
# The simulated network keeps its own "remote" state in a separate SQLite file, like a real server
# would, so that a crashed worker cannot roll back what the network already received.
SANDBOX_DB_PATH = Path(env_str("SANDBOX_DB", str(DATA_DIR / "sandbox.sqlite3")))

# --- Logging: never log secrets; request bodies are not logged at all -----------------------------
# Every line carries the request id and the work ids (kind, row id, worker) of what it belongs to, and
# goes through the scrubbing filter (tamtam/ops/logs.py). JSON is the format for the scale-out mode.
LOG_FORMAT = env_choice("LOG_FORMAT", "text", ("text", "json"))
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = logging_config(fmt=LOG_FORMAT, level=LOG_LEVEL)

# --- Operations: /healthz, /readyz, /metrics (docs/operations.md) -------------------------------------
# /metrics answers the addresses listed here (single addresses or networks), or any caller with
# `Authorization: Bearer <METRICS_TOKEN>`. Behind a reverse proxy every caller looks local: a request
# that came through one (X-Forwarded-For / Forwarded) needs the token.
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN")
# /readyz: a worker whose heartbeat is older than this is stale; a queue whose oldest due item waits
# longer than the lag limit (per kind: "publish=60,report_send=3600") makes the system not ready.
READY_HEARTBEAT_STALE_SECONDS = env_int("READY_HEARTBEAT_STALE_SECONDS", 30)
READY_REQUIRE_WORKERS = env_bool("READY_REQUIRE_WORKERS", True)
READY_MAX_LAG_SECONDS = env_int("READY_MAX_LAG_SECONDS", 300)
READY_MAX_LAG_BY_KIND = env_list("READY_MAX_LAG_BY_KIND", [])
READY_BROKER_TIMEOUT_SECONDS = env_int("READY_BROKER_TIMEOUT_SECONDS", 2)

NINJA_PAGINATION_PER_PAGE = 50
