"""Django settings: every production knob is an environment variable (see README)."""

import os
from pathlib import Path

import dj_database_url

from atsd_alerts.env import env_bool, env_int, env_list, env_str, persistent_secret

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("DATA_DIR", str(BASE_DIR / "var"))).resolve()

SECRET_KEY = env_str("SECRET_KEY", "") or persistent_secret(DATA_DIR)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# Base of the links placed in notifications (ruleLink, entityLink, chartLink...).
SERVER_URL = env_str("SERVER_URL", "http://127.0.0.1:8088").rstrip("/")
# Entity that owns built-in metrics (timers, self-monitoring).
SERVER_ENTITY = env_str("SERVER_ENTITY", "atsd").lower()

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "atsd_alerts",
    "rules",
    "notifications",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "atsd_alerts.urls"
WSGI_APPLICATION = "atsd_alerts.wsgi.application"

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
                "atsd_alerts.accounts.roles_context",
            ],
        },
    },
]


def _database() -> dj_database_url.DBConfig:
    url = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'atsd-alerts.sqlite3'}")
    # Health checks: a reused connection is tested before its first query of a request or
    # task, so one a database restart broke is replaced instead of failing that query.
    config = dj_database_url.parse(
        url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Web, engine and notify processes share one file: WAL lets readers run beside
        # the writer, IMMEDIATE transactions take the write lock up front (no deadlock
        # on lock upgrade) and the timeout waits for it instead of failing.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
        # A file, not memory, so engine workers in other processes share the test database.
        config["TEST"] = {"NAME": str(DATA_DIR / f"test-atsd-alerts-{os.getpid()}.sqlite3")}
    return config


DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "open-alerts"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Uploads (rules.xml) are bounded; the XML importer enforces its own limit too.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE

# rules.xml and endpoint XML uploads are refused above this size before parsing.
RULES_IMPORT_MAX_BYTES = env_int("RULES_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
ENDPOINT_IMPORT_MAX_BYTES = env_int("ENDPOINT_IMPORT_MAX_BYTES", 2 * 1024 * 1024)

# --- Broker and Celery -------------------------------------------------------------
# Unset REDIS_URL means the embedded Redis that `make run` starts on this socket.
EMBEDDED_REDIS_SOCKET = DATA_DIR / "redis.sock"
REDIS_URL = env_str("REDIS_URL", f"redis+socket://{EMBEDDED_REDIS_SOCKET}")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Durable state and reconnection (atsd_alerts.redis_check) -------------------------
# Every process refuses to start on a Redis without appendonly yes and
# maxmemory-policy noeviction; false skips the check (a managed Redis without CONFIG
# and INFO, or a loss knowingly accepted).
REDIS_CONFIG_CHECK = env_bool("REDIS_CONFIG_CHECK", True)
# A worker that lost the broker keeps trying to reconnect (after 2 s, 4 s, ... then every
# 30 s: kombu's back-off) instead of giving up after 100 attempts: Redis comes back, the
# worker resumes.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None

# --- Ingestion ---------------------------------------------------------------------
TCP_LISTENER_HOST = env_str("TCP_LISTENER_HOST", "127.0.0.1")
TCP_LISTENER_PORT = env_int("TCP_LISTENER_PORT", 8081)
# ATSD's input.disconnect.on.error: close a TCP connection at its first invalid command.
INPUT_DISCONNECT_ON_ERROR = env_bool("INPUT_DISCONNECT_ON_ERROR", True)
# Samples per Celery message when ingest hands batches to the engine.
INGEST_BATCH_SIZE = env_int("INGEST_BATCH_SIZE", 2000)
# TCP listener flushes what it has accepted at least this often (milliseconds).
INGEST_FLUSH_MS = env_int("INGEST_FLUSH_MS", 50)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # Celery's per-tick and per-task lines are DEBUG records, beat's send errors one line
    # (atsd_alerts.log_filters).
    "filters": {
        "routine": {"()": "atsd_alerts.log_filters.RoutineToDebug"},
        "one_line": {"()": "atsd_alerts.log_filters.OneLineSendErrors"},
        "notices": {"()": "atsd_alerts.log_filters.DropCelery6Notice"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "celery.beat": {"filters": ["routine", "one_line"]},
        "celery.worker.strategy": {"filters": ["routine"]},
        "celery.app.trace": {"filters": ["routine"]},
        "py.warnings": {"filters": ["notices"]},
    },
}

# --- Engine ------------------------------------------------------------------------
# Partition queues engine.0 ... engine.N-1; each is consumed by one worker process.
ENGINE_PARTITIONS = env_int("ENGINE_PARTITIONS", 2)
# ATSD's cancel.on.rule.change: fire On Cancel actions when a rule change drops windows.
CANCEL_ON_RULE_CHANGE = env_bool("CANCEL_ON_RULE_CHANGE", False)

# Retention of what the engine writes.
TRIGGER_RETENTION_DAYS = env_int("TRIGGER_RETENTION_DAYS", 7)
ALERT_HISTORY_RETENTION_DAYS = env_int("ALERT_HISTORY_RETENTION_DAYS", 90)

# Tasks without a route (timers, maintenance, notifications) go to the notify worker.
CELERY_TASK_DEFAULT_QUEUE = "notify"
CELERY_BEAT_SCHEDULE = {
    **{
        f"tick-engine-{p}": {
            "task": "rules.tick_partition",
            "schedule": 1.0,
            "args": (p,),
            "options": {"queue": f"engine.{p}", "expires": 5},
        }
        for p in range(ENGINE_PARTITIONS)
    },
    "timer_15s": {"task": "rules.emit_timer", "schedule": 15.0, "args": ("timer_15s",)},
    "timer_1m": {"task": "rules.emit_timer", "schedule": 60.0, "args": ("timer_1m",)},
    "timer_15m": {"task": "rules.emit_timer", "schedule": 900.0, "args": ("timer_15m",)},
    "timer_1h": {"task": "rules.emit_timer", "schedule": 3600.0, "args": ("timer_1h",)},
    "self-metrics": {"task": "rules.emit_self_metrics", "schedule": 60.0},
    "expire-records": {"task": "rules.expire_records", "schedule": 3600.0},
}

# --- Notification delivery ---------------------------------------------------------
# Seconds from trigger to delivery after which a notification is given up; attempts per
# notification (network errors, 5xx and 429 are retried with back-off until either ends).
NOTIFY_DEADLINE = env_int("NOTIFY_DEADLINE", 3600)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 10)
CELERY_BEAT_SCHEDULE |= {
    "notify-sweep": {"task": "notifications.sweep", "schedule": 10.0, "options": {"expires": 10}},
    "notify-metrics": {"task": "notifications.emit_metrics", "schedule": 60.0},
}

# --- Charts and screenshots ---------------------------------------------------------
# Series history the chart portals draw (rules.history.store, in Redis): hours kept,
# raw points per series (older minutes are kept as per-minute aggregates), series cap.
SERIES_HISTORY_HOURS = env_int("SERIES_HISTORY_HOURS", 24)
SERIES_HISTORY_RAW_POINTS = env_int("SERIES_HISTORY_RAW_POINTS", 500)
SERIES_HISTORY_MAX_SERIES = env_int("SERIES_HISTORY_MAX_SERIES", 5000)
# Where the web driver reaches this UI (the portal pages it captures): in Compose the
# Selenium container sees the app by its service name. Default: SERVER_URL.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", SERVER_URL)
# Seconds a signed portal URL handed to the web driver stays valid.
PORTAL_SIGNATURE_MAX_AGE = env_int("PORTAL_SIGNATURE_MAX_AGE", 60)
# Web driver: local Chromium + chromedriver, or a Selenium Grid when WEBDRIVER_REMOTE_URL is set.
WEBDRIVER_CHROMIUM = env_str("WEBDRIVER_CHROMIUM", "/usr/bin/chromium")
WEBDRIVER_CHROMEDRIVER = env_str("WEBDRIVER_CHROMEDRIVER", "/usr/bin/chromedriver")
WEBDRIVER_REMOTE_URL = env_str("WEBDRIVER_REMOTE_URL", "")
# Browsers per notify worker process, and seconds one screenshot may take.
WEBDRIVER_POOL_SIZE = env_int("WEBDRIVER_POOL_SIZE", 1)
WEBDRIVER_SHOT_TIMEOUT = env_int("WEBDRIVER_SHOT_TIMEOUT", 20)
CELERY_IMPORTS = ["rules.history.tasks"]
CELERY_BEAT_SCHEDULE |= {
    "expire-series-history": {"task": "rules.expire_series_history", "schedule": 300.0},
}
