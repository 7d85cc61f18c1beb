"""Django settings: every production knob is an environment variable (see README)."""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext

from atsd_alerts.env import (
    env_bool,
    env_header_pair,
    env_int,
    env_list,
    env_str,
    persistent_fernet_key,
    persistent_secret,
)

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
# A broker read never blocks for good: BRPOP waits 1 s, so an answer missing for 30 s means
# a dead or confused connection, which the worker then drops and opens again.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 30,
    "socket_connect_timeout": 10,
}
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

# --- Ingestion limits --------------------------------------------------------------
# The request body limit (UPLOAD_MAX_BYTES above) also caps what a gzip body inflates to.
# Failed lines listed in a /api/v1/command answer; the rest are only counted.
INGEST_MAX_ERRORS_LISTED = env_int("INGEST_MAX_ERRORS_LISTED", 1000)
# Failed lines after which the rest of a /api/v1/command body is not read (bounded CPU).
INGEST_MAX_FAILED_LINES = env_int("INGEST_MAX_FAILED_LINES", 10000)
# Seconds an HTTP client is told to wait (Retry-After) when Redis or the database is down.
INGEST_RETRY_AFTER = env_int("INGEST_RETRY_AFTER", 5)
# Client networks the TCP listener serves (CIDR list); others are refused at accept.
TCP_ALLOWED_NETWORKS = env_list("TCP_ALLOWED_NETWORKS", ["127.0.0.0/8", "::1/128"])
# Open TCP connections at most; more are refused with a log line.
TCP_MAX_CONNECTIONS = env_int("TCP_MAX_CONNECTIONS", 256)
# Seconds a TCP connection may send nothing before it is closed (0 = never).
TCP_IDLE_TIMEOUT = env_int("TCP_IDLE_TIMEOUT", 600)
# Seconds the stopping listener keeps retrying to hand off what it has read.
TCP_STOP_TIMEOUT = env_int("TCP_STOP_TIMEOUT", 30)

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
        # Axes logs every sign-in at INFO; failures and lockouts (WARNING) are what matter.
        "axes": {"level": "WARNING"},
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

# --- Input bounds: patterns, windows, API pages (README "Limits") -----------------------
# Longest `*`/`?` pattern accepted anywhere: rule entity filters, LIKE and likeAny
# patterns, the filters of the pages and of the Data API.
WILDCARD_PATTERN_MAX_LENGTH = env_int("WILDCARD_PATTERN_MAX_LENGTH", 1024)
# Largest count window (length(N)) and longest time window (seconds) a rule may declare.
RULE_MAX_WINDOW_COUNT = env_int("RULE_MAX_WINDOW_COUNT", 100_000)
RULE_MAX_WINDOW_SECONDS = env_int("RULE_MAX_WINDOW_SECONDS", 366 * 86_400)
# Windows one rule may hold in one engine partition; past it, new windows are refused.
RULE_MAX_WINDOWS = env_int("RULE_MAX_WINDOWS", 100_000)
# Most rows one answer of a read API holds (alerts, alert history, notification log).
API_MAX_PAGE_SIZE = env_int("API_MAX_PAGE_SIZE", 10_000)

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
# The Celery tasks of rules live in the stage each belongs to; the workers import them here.
CELERY_IMPORTS = [
    "rules.ingest.tasks",
    "rules.partition.tasks",
    "rules.alerts.tasks",
    "rules.history.tasks",
]

# --- Notification delivery ---------------------------------------------------------
# Network errors, 5xx and 429 are retried with back-off capped at NOTIFY_BACKOFF_CAP
# seconds until NOTIFY_DEADLINE seconds after the trigger; NOTIFY_MAX_ATTEMPTS > 0 also
# caps the attempts (0: no cap, the deadline alone ends the retries). A notify worker
# whose heartbeat is older than NOTIFY_HEARTBEAT_TTL seconds loses its claims to the
# sweep, which beat runs every 2 s.
NOTIFY_DEADLINE = env_int("NOTIFY_DEADLINE", 3600)
NOTIFY_BACKOFF_CAP = env_int("NOTIFY_BACKOFF_CAP", 60)
NOTIFY_MAX_ATTEMPTS = env_int("NOTIFY_MAX_ATTEMPTS", 0)
NOTIFY_HEARTBEAT_TTL = env_int("NOTIFY_HEARTBEAT_TTL", 6)
CELERY_BEAT_SCHEDULE |= {
    "notify-sweep": {"task": "notifications.sweep", "schedule": 2.0, "options": {"expires": 2}},
    "notify-metrics": {"task": "notifications.emit_metrics", "schedule": 60.0},
}

# --- Charts and screenshots ---------------------------------------------------------
# Series history the chart portals draw (rules.history, in Redis): hours kept,
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
CELERY_BEAT_SCHEDULE |= {
    "expire-series-history": {"task": "rules.expire_series_history", "schedule": 300.0},
}

# --- Stores the rule language reads (property, message, lookup ... functions) ---------
# Property records kept at most (latest per entity, type and keys; least recently
# updated dropped first). Store reads are cached for STORE_CACHE_TTL seconds in at most
# STORE_CACHE_ENTRIES answers per process.
PROPERTY_STORE_MAX_RECORDS = env_int("PROPERTY_STORE_MAX_RECORDS", 100_000)
# Messages kept (db_message_count, db_message_last, db_messages): hours by receive time,
# and at most this many (oldest dropped first).
MESSAGE_RETENTION_HOURS = env_int("MESSAGE_RETENTION_HOURS", 24)
MESSAGE_STORE_MAX_RECORDS = env_int("MESSAGE_STORE_MAX_RECORDS", 100_000)
STORE_CACHE_TTL = env_int("STORE_CACHE_TTL", 5)
STORE_CACHE_ENTRIES = env_int("STORE_CACHE_ENTRIES", 10_000)
CELERY_IMPORTS += ["rules.stores.tasks"]
CELERY_BEAT_SCHEDULE |= {
    "expire-stores": {"task": "rules.expire_stores", "schedule": 3600.0},
}

# --- Access, throttling and production security -------------------------------------
# Password checks are throttled by django-axes: LOGIN_FAILURE_LIMIT failures from one
# address, or against one username, lock that address or name out (HTTP 429, even with
# the right password) until LOGIN_COOLOFF_MINUTES have passed since the last failure.
# /login/, /admin/login/ and HTTP basic on the APIs all count. API tokens are not
# passwords (32 random bytes, stored hashed) and are not throttled.
INSTALLED_APPS += ["axes"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.middleware.csrf.CsrfViewMiddleware"),
    "atsd_alerts.cross_site.CrossSiteRequestMiddleware",
)
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "atsd_alerts.credentials.RecentlyVerifiedBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "atsd_alerts.throttling.lockout_response"
AXES_CLIENT_IP_CALLABLE = "atsd_alerts.throttling.client_address"
# Behind N reverse proxies that each append to X-Forwarded-For, the client is the N-th
# address from the right; 0 = the TCP peer (no proxy, or a proxy that is not trusted).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Seconds a verified username/password pair is remembered (as a keyed hash, never the
# password) so collectors that send basic auth with every request pay one check.
BASIC_AUTH_CACHE_SECONDS = env_int("BASIC_AUTH_CACHE_SECONDS", 10)
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "verified-credentials": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "verified-credentials",
        "TIMEOUT": BASIC_AUTH_CACHE_SECONDS,
        "OPTIONS": {"MAX_ENTRIES": 1000},
    },
}

# HTTPS behind a TLS proxy. HTTPS=true turns on the redirect, secure cookies and a year
# of HSTS; each setting can still be given on its own. HSTS for subdomains and preload
# commit every subdomain to HTTPS for a year, so they are never implied. The embedded
# defaults suit the one-machine `make run` on plain HTTP at 127.0.0.1.
HTTPS = env_bool("HTTPS", False)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
# The web driver reaches portal pages (and their static files) over the internal
# network by PORTAL_BASE_URL, which may be plain HTTP: never redirected.
SECURE_REDIRECT_EXEMPT = env_list("SECURE_REDIRECT_EXEMPT", [r"^portals/", r"^static/"])
SECURE_PROXY_SSL_HEADER = env_header_pair("SECURE_PROXY_SSL_HEADER")
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Secrets at rest (endpoint tokens, proxy passwords) are encrypted with Fernet.
# SECRETS_KEY: comma list of Fernet keys, the first encrypts, all decrypt (rotation:
# put the new key first, run `manage.py rotate_secrets_key`, then drop the old one).
SECRETS_KEYS = env_list("SECRETS_KEY", []) or persistent_fernet_key(DATA_DIR).split(",")

# --- Rule functions that read stores (db_last, db_statistic, last_open, loadHistory)
# and query the network (queryConfig, queryGet, queryPost) ---
# Milliseconds a read of the series history may take before the rule gets a Rule Error.
SERIES_READ_TIMEOUT_MS = env_int("SERIES_READ_TIMEOUT_MS", 500)
# queryConfig/queryGet/queryPost in notification texts reach the network: off unless
# enabled; seconds to connect and to answer; the largest answer taken.
RULE_WEB_QUERIES_ENABLED = env_bool("RULE_WEB_QUERIES_ENABLED", False)
RULE_WEB_QUERY_TIMEOUT = env_int("RULE_WEB_QUERY_TIMEOUT", 5)
RULE_WEB_QUERY_MAX_BYTES = env_int("RULE_WEB_QUERY_MAX_BYTES", 1_000_000)

# --- Alert file logs (a rule's alertLoggerName) ---------------------------------------
# Each logger appends its rules' Logging-tab texts to DATA_DIR/logs/<name>.log, rotated
# at ALERT_LOG_MAX_BYTES with ALERT_LOG_BACKUP_COUNT older files kept.
ALERT_LOG_DIR = DATA_DIR / "logs"
ALERT_LOG_MAX_BYTES = env_int("ALERT_LOG_MAX_BYTES", 10_000_000)
ALERT_LOG_BACKUP_COUNT = env_int("ALERT_LOG_BACKUP_COUNT", 5)

# --- Ingestion: listener processes --------------------------------------------------
# TCP listener processes `make run` starts on TCP_LISTENER_PORT; more than one share the
# port with SO_REUSEPORT (Linux spreads new connections across them), each supervised and
# restarted on its own.
TCP_LISTENERS = env_int("TCP_LISTENERS", 1)
if TCP_LISTENERS < 1:
    raise ValueError(f"environment variable TCP_LISTENERS={TCP_LISTENERS} is below 1")

# --- Backtest on history (rule editor Test on history, /api/v1/rules/backtest) ----------
# Every input of a backtest is bounded: the hours replayed (at most the history kept),
# series read, samples replayed, windows a rule may hold, triggers kept, messages
# rendered, and the seconds a replay may run before it stops and says so.
BACKTEST_MAX_HOURS = env_int("BACKTEST_MAX_HOURS", SERIES_HISTORY_HOURS)
BACKTEST_MAX_SERIES = env_int("BACKTEST_MAX_SERIES", 1000)
BACKTEST_MAX_SAMPLES = env_int("BACKTEST_MAX_SAMPLES", 200_000)
BACKTEST_MAX_WINDOWS = env_int("BACKTEST_MAX_WINDOWS", 1000)
BACKTEST_MAX_TRIGGERS = env_int("BACKTEST_MAX_TRIGGERS", 2000)
BACKTEST_MAX_MESSAGES = env_int("BACKTEST_MAX_MESSAGES", 100)
BACKTEST_TIME_LIMIT_S = env_int("BACKTEST_TIME_LIMIT_S", 10)

# --- Developer tools ---------------------------------------------------------------
# Not product: the fake HipChat server and the benchmarks, installed for their
# management commands (fake_hipchat, bench_*); it has no models and nothing imports it.
INSTALLED_APPS += ["devtools"]

# --- Generic Django classes ----------------------------------------------------------
# ModelAdmin[ApiToken], ModelForm[Rule], TextField[str, str]: the type arguments mypy's
# disallow_any_generics asks for must also subscript at run time.
django_stubs_ext.monkeypatch()

# --- Pipeline stage profile (bench_pipeline --profile) ----------------------------------
# Each process sums the time it spends in each pipeline stage and publishes the sums to
# Redis (atsd_alerts.stage_timing); off by default, and then free.
PIPELINE_PROFILE = env_bool("PIPELINE_PROFILE", False)

# --- Acknowledge links in notifications (rules.contract.ack_links) --------------------
# Hours a message's acknowledge link works; an acknowledged alert's REPEAT messages are
# not sent unless ACK_SILENCES_REPEATS is false (ATSD: acknowledging only sets the flag).
ACK_LINK_MAX_AGE_HOURS = env_int("ACK_LINK_MAX_AGE_HOURS", 72)
ACK_SILENCES_REPEATS = env_bool("ACK_SILENCES_REPEATS", True)
# The log of link openings keeps at most this many rows (and none past the history's age).
ACK_LINK_USES_KEPT = env_int("ACK_LINK_USES_KEPT", 100_000)
