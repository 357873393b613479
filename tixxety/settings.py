"""Tixxety settings, read from the environment.

One module for every environment: nothing needs to be set to start a
development server on SQLite, and production sets ``DEBUG=0`` plus the
variables below (see README.md, "Configuration"). With ``DEBUG`` off the
process refuses to start on the development ``SECRET_KEY``.
"""

import ipaddress
import os
import re
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    """The variable's value; unset and empty both mean the default."""
    return os.environ.get(name, "").strip() or default


def env_bool(name: str, default: bool) -> bool:
    value = env_str(name)
    if not value:
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = env_str(name)
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


RATE = re.compile(r"^[0-9]+/[0-9]*[smhd]$")


def env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate: a count per period, such as ``20/m`` or ``10/15m`` (s, m, h, d)."""
    value = env_str(name, default)
    if not RATE.match(value):
        raise ImproperlyConfigured(f"{name} must be a rate such as 20/m or 10/15m, not {value!r}.")
    return value


def env_networks(name: str, default: str) -> list[str]:
    """A comma-separated list of CIDR networks, or ``*`` for any address."""
    networks = env_list(name, default)
    for network in networks:
        try:
            if network != "*":
                ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {network!r} is not a network such as 10.0.0.0/8.") from None
    return networks


# --- Core -------------------------------------------------------------------

DEVELOPMENT_SECRET_KEY = "django-insecure-tixxety-development-key-do-not-use-in-production"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY", DEVELOPMENT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEVELOPMENT_SECRET_KEY:
    raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a long random value.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
PORT = env_int("PORT", 8000)

INSTALLED_APPS = [
    "analytics.admin_config.DashboardAdminConfig",  # django.contrib.admin with the dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "django_dramatiq",
    "django_ratelimit",  # for its system checks: counts must live in a cache every process shares
    # Before dramatiq_crontab: tixxety's `crontab` command replaces the library's.
    "tixxety",
    "dramatiq_crontab",
    "accounts",
    "events",
    "tickets",
    "orders",
    "analytics",
    "ops",
]

MIDDLEWARE = [
    "tixxety.metrics_middleware.RequestMetricsBeforeMiddleware",
    "tixxety.logs.RequestIdMiddleware",
    "tixxety.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "tixxety.ratelimits.AdminRateLimitMiddleware",
    "tixxety.metrics_middleware.RequestMetricsAfterMiddleware",
]

ROOT_URLCONF = "tixxety.urls"
WSGI_APPLICATION = "tixxety.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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
                "orders.context_processors.cart_count",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# PostgreSQL (psycopg 3) when DATABASE_URL is set, SQLite otherwise. Connections
# are kept open between requests (measured: 277 req/s without, ~3,000 with).
# Health checks are off by default: each costs a SELECT 1 round trip per
# request. Without them, after a database restart a worker's first request
# fails and the broken connection is then closed; DB_HEALTH_CHECKS=1 trades
# the round trip for that request.

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=env_bool("DB_HEALTH_CHECKS", False),
    )
}
# SQLite (zero-setup mode) is written by the development server's threads and
# its in-process worker at once. Write-ahead logging lets readers go on while
# one writes; BEGIN IMMEDIATE takes the write lock when a transaction starts,
# where a busy connection waits (timeout, in seconds) instead of failing: a
# deferred transaction that reads first and then writes cannot wait, and got
# "database is locked" at once (expiries then ran up to a minute late).
# synchronous=NORMAL saves an fsync per commit; WAL stays consistent after a
# crash, and a power cut may lose only the last commits of development data.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}
# The backend counts statements and errors in django-prometheus' metrics (tixxety.db_backends).
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "tixxety.db_backends."
)

# --- Cache, Redis -----------------------------------------------------------

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "tixxety.cache_backend.CountingRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "tixxety",
            "OPTIONS": {
                # Fail fast instead of hanging a request when Redis is away.
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache",
            "LOCATION": "tixxety",
        }
    }

# --- Rate limits (django-ratelimit) -----------------------------------------
# Named limits (tixxety/ratelimits.py), each counting unsafe requests per key.
# With Redis the counts are shared by every process; while Redis is down each
# process counts by itself (tixxety/ratelimit_store.py): never a 500, never
# unlimited.

RATE_LIMITS = {
    name: env_rate(f"RATELIMIT_{name.upper().replace('-', '_')}", default)
    for name, default in {
        "login-ip": "20/m",  # sign-in attempts per client address
        "login-account": "10/10m",  # sign-in attempts per e-mail address, from any address
        "register-ip": "20/h",
        "register-account": "5/h",
        "booking": "30/m",  # bookings, cart checkouts, queue and waitlist requests per user
        "admin-write": "120/m",  # admins' API writes and Django admin POSTs per user
    }.items()
}
RATELIMIT_USE_CACHE = "ratelimit"
# The store does not fail (it falls back), so failing closed only refuses a
# request whose counter vanished between django-ratelimit's add and incr.
RATELIMIT_FAIL_OPEN = False
RATELIMIT_IP_META_KEY = "tixxety.ratelimits.client_address"
# Trusted proxies in front (nginx: 1). Raise this only behind proxies that append
# to X-Forwarded-For, or any client could dodge limits with a made-up one.
NUM_PROXIES = env_int("NUM_PROXIES", 0)
if REDIS_URL:
    CACHES["ratelimit"] = {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "tixxety",
        "OPTIONS": {
            "CLIENT_CLASS": "tixxety.ratelimit_store.FallbackClient",
            "SOCKET_CONNECT_TIMEOUT": 2,
            "SOCKET_TIMEOUT": 2,
        },
    }
else:
    CACHES["ratelimit"] = {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "tixxety-ratelimit",
    }
    # Zero-setup mode is one process (`make run` without REDIS_URL), where
    # local-memory counts are exact; django-ratelimit refuses them (E003, W001)
    # because several processes would each count alone. Production sets REDIS_URL.
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

# --- Background jobs (Dramatiq) ---------------------------------------------
# The broker is Redis when REDIS_URL is set. Without it (zero-setup mode) it is
# Dramatiq's in-memory StubBroker, served by a worker thread inside the
# development server (`manage.py rundev`); that mode is for development only.

DRAMATIQ_BROKER_URL = env_str("DRAMATIQ_BROKER_URL", REDIS_URL or "stub://")
DRAMATIQ_MIDDLEWARE = [
    # Listed explicitly: django-dramatiq's default list names a middleware that
    # dramatiq 2.x no longer has, and an empty list means no retries at all.
    "dramatiq.middleware.AgeLimit",
    "dramatiq.middleware.TimeLimit",
    "dramatiq.middleware.ShutdownNotifications",
    "dramatiq.middleware.Callbacks",
    "dramatiq.middleware.Pipelines",
    "dramatiq.middleware.Retries",
    "django_dramatiq.middleware.DbConnectionsMiddleware",
]
if DRAMATIQ_BROKER_URL.startswith("stub://"):
    DRAMATIQ_BROKER = {"BROKER": "dramatiq.brokers.stub.StubBroker", "OPTIONS": {}}
elif DRAMATIQ_BROKER_URL.startswith(("redis://", "rediss://", "unix://")):
    DRAMATIQ_BROKER = {
        "BROKER": "dramatiq.brokers.redis.RedisBroker",
        "OPTIONS": {"url": DRAMATIQ_BROKER_URL, "socket_connect_timeout": 2},
    }
else:
    raise ImproperlyConfigured("DRAMATIQ_BROKER_URL must be a redis:// URL or stub://.")
DRAMATIQ_BROKER["MIDDLEWARE"] = DRAMATIQ_MIDDLEWARE
# How long an idle worker's consumers sleep before they look at their queues
# again, in ms. Dramatiq reads it only from this environment variable, as its
# worker starts; ``manage.py rundramatiq`` loads these settings and then execs
# dramatiq with this process's environment. Dramatiq's 1,000 made a delayed
# expiry wait up to a second twice: for the delay queue to hand the message
# on, and for a consumer to take it (bench/expiry_lag.py: the first expiry of
# a burst 0.4-1.3 s late, 0.1 s at 100). An idle worker then asks Redis about
# ten times a second per queue.
os.environ.setdefault("dramatiq_worker_timeout", "100")
# One scheduler process at a time: dramatiq-crontab holds a Redis lock.
DRAMATIQ_CRONTAB = {"REDIS_URL": REDIS_URL or None}

# --- Auth -------------------------------------------------------------------

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# The pages' sign-in; the admin keeps its own (admin:login).
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 30)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY", SECRET_KEY),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "AUTH_TOKEN_CLASSES": ("accounts.tokens.AccessToken",),
    "TOKEN_REFRESH_SERIALIZER": "accounts.serializers.TokenRefreshSerializer",
    "UPDATE_LAST_LOGIN": False,
}
# How long an API request may trust a cached user row; every save drops it sooner.
USER_CACHE_SECONDS = env_int("USER_CACHE_SECONDS", 300)

# --- API --------------------------------------------------------------------

# DRF's browsable HTML pages: a development aid that production serves as JSON.
API_BROWSABLE = env_bool("API_BROWSABLE", DEBUG)

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        *(["rest_framework.renderers.BrowsableAPIRenderer"] if API_BROWSABLE else []),
    ],
    "DEFAULT_PARSER_CLASSES": [
        "tixxety.api.parsers.JSONParser",
        "tixxety.api.parsers.FormParser",
        "tixxety.api.parsers.MultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.CachedUserJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "tixxety.api.pagination.PageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "tixxety.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "tixxety.api.exceptions.exception_handler",
    # Not DRF's throttling: its hook limits admins' writes through tixxety.ratelimits.
    "DEFAULT_THROTTLE_CLASSES": ["tixxety.api.throttling.AdminWriteRateLimit"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tixxety API",
    "DESCRIPTION": "Events, tickets, orders and check-in. Authenticate with "
    "`POST /api/auth/token` and send `Authorization: Bearer <access>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Request and response shapes differ (read-only and write-only fields, defaults):
    # one component each, so a response can require every field it always carries.
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files so the docs work without internet.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a `status`; name each enum after its model.
    "ENUM_NAME_OVERRIDES": {
        "EventStatusEnum": "events.models.Event.Status",
        "OrderStatusEnum": "orders.models.Order.Status",
        "TicketStatusEnum": "tickets.models.Ticket.Status",
        "PaymentStatusEnum": "orders.models.Payment.Status",
        "WaitlistEntryStatusEnum": "orders.models.WaitlistEntry.Status",
        "TicketRequestStatusEnum": "orders.models.TicketRequest.Status",
    },
}

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_URLS_REGEX = r"^/api/.*$"

# --- Domain -----------------------------------------------------------------

RESERVATION_HOLD_SECONDS = env_int("RESERVATION_HOLD_SECONDS", 600)
# How long an analytics report is served from the cache; any booking, payment,
# refund or expiry makes it stale at once (analytics.cache).
ANALYTICS_CACHE_SECONDS = env_int("ANALYTICS_CACHE_SECONDS", 60)
# Public catalogue reads (event list, event, availability, seat map) are cached
# under a version every change bumps on commit (events/cache.py); this only
# bounds an entry whose bump was lost while Redis was unreachable.
CATALOGUE_CACHE_SECONDS = env_int("CATALOGUE_CACHE_SECONDS", 60)

# --- Static files, mail ------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Tixxety <tickets@tixxety.local>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Security ---------------------------------------------------------------
# HTTPS hardening is on by default in production (DEBUG off) and each switch
# can be turned off for a deployment served over plain HTTP on a private net.

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^metrics/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# /metrics answers only these client networks, and only with
# `Authorization: Bearer <METRICS_TOKEN>` when that is set (tixxety/metrics.py).
METRICS_ALLOWED_NETWORKS = env_networks("METRICS_ALLOWED_NETWORKS", "*" if DEBUG else "127.0.0.0/8,::1")
METRICS_TOKEN = env_str("METRICS_TOKEN")
SECURE_CONTENT_TYPE_NOSNIFF = True
CSRF_FAILURE_VIEW = "tixxety.views.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Logging ----------------------------------------------------------------
# One line per record, JSON by default (LOG_FORMAT=text for humans), each
# carrying the id of the request it belongs to.

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tixxety.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "tixxety.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env_str("LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Replaces Django's default "django" logger so records are written once.
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        # The scheduler logs every run of every job at INFO; keep its warnings.
        "apscheduler": {"level": "WARNING"},
    },
}
