"""Settings for Support Portal.

Every value that differs between deployments comes from the environment (django-environ);
the defaults are the embedded ones `make run` needs: an SQLite file, a cache on disk that
every worker process of the machine shares, and DEBUG off unless asked for. `.env.example` lists every variable.
"""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# The embedded default key is only good for a local demo: production sets DJANGO_SECRET_KEY
# (`check --deploy` flags a key this short and this well known).
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-dev-key-set-DJANGO_SECRET_KEY-in-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DATA_DIR = Path(env("PORTAL_DATA_DIR", default=str(BASE_DIR / "data")))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "portal",
]

MIDDLEWARE = [
    "portal.middleware.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "portal.middleware.SiteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.CustomerLocaleMiddleware",
    "portal.middleware.CustomerPageCacheMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.FramingMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
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
            ],
        },
    },
]

# The API token is shown once through a message: keep messages on the server, never in a
# (signed, readable) cookie.
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# ------------------------------------------------------------------------------
# Data: database and cache
# ------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{DATA_DIR / 'portal.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several gunicorn workers write start records at once: WAL lets readers go on while one
    # writes, and IMMEDIATE transactions wait for the lock instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update({
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    })
    if not env.str("DATABASE_URL", default=""):
        DATA_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default needs its folder
# Persistent connections: opening one per request (SQLite's WAL pragma, PostgreSQL's
# handshake) cost a start more than the start itself (bench/customer_pages.py).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

# Token, rep-list cache, locks, breakers and rate limits live here, so every worker must see the
# same cache with an atomic add and incr. Embedded default: diskcache (SQLite files in
# PORTAL_DATA_DIR/cache), shared by all worker processes of this machine. On more than one
# server: a cache all of them reach, CACHE_URL=redis://... (never locmem: one per process).
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache("CACHE_URL")}
else:
    CACHE_DIR = Path(env("PORTAL_CACHE_DIR", default=str(DATA_DIR / "cache")))
    CACHES = {"default": {
        "BACKEND": "portal.cache_backend.SharedDiskCache",
        "LOCATION": str(CACHE_DIR),
        "TIMEOUT": 300,
        # Waits on another process's write lock are retried by the backend, never failed.
        "SHARDS": 8,
        "DATABASE_TIMEOUT": 0.05,
        "OPTIONS": {"size_limit": 256 * 1024 * 1024},
    }}

# ------------------------------------------------------------------------------
# Internationalisation: the 16 languages a BeyondTrust appliance can have (product spec §5).
# The codes are the vendor's, so the chosen code goes to the vendor unchanged.
# ------------------------------------------------------------------------------
LANGUAGES = [
    ("en-us", "English"),
    ("de", "Deutsch"),
    ("es", "Español (Latinoamérica)"),
    ("es-sp", "Español (España)"),
    ("fi", "Suomi"),
    ("fr", "Français"),
    ("it", "Italiano"),
    ("nl", "Nederlands"),
    ("pt-br", "Português (Brasil)"),
    ("pt-pt", "Português (Portugal)"),
    ("sv-se", "Svenska"),
    ("tr", "Türkçe"),
    ("ja", "日本語"),
    ("zh-hans", "简体中文"),
    ("zh", "繁體中文"),
    ("ru", "Русский"),
]
LANGUAGE_CODE = "en-us"
LOCALE_PATHS = [BASE_DIR / "portal" / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = env("PORTAL_TIME_ZONE", default="UTC")

# ------------------------------------------------------------------------------
# Static and media files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("DJANGO_MEDIA_ROOT", default=str(DATA_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env.bool("PORTAL_MANIFEST_STATIC", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("PORTAL_STATIC_FINDERS", default=DEBUG)

# ------------------------------------------------------------------------------
# Security. Safe by default; the embedded demo on http://127.0.0.1 turns the HTTPS-only parts
# off through PORTAL_HTTPS=false (make run does).
# ------------------------------------------------------------------------------
HTTPS = env.bool("PORTAL_HTTPS", default=True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Secure-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken" if HTTPS else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=HTTPS)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Behind a TLS-terminating proxy, set PORTAL_TRUSTED_PROXY_HEADERS=true so X-Forwarded-Proto
# and X-Forwarded-For (rate limiting) are believed; never on a server reachable directly.
if env.bool("PORTAL_TRUSTED_PROXY_HEADERS", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = env.bool("DJANGO_USE_X_FORWARDED_HOST", default=False)
PORTAL_TRUSTED_PROXY_COUNT = env.int("PORTAL_TRUSTED_PROXY_COUNT", default=0)

# ------------------------------------------------------------------------------
# Portal behaviour
# ------------------------------------------------------------------------------
# Vendor calls: (connect, read) timeouts in seconds, on every call.
PORTAL_VENDOR_CONNECT_TIMEOUT = env.float("PORTAL_VENDOR_CONNECT_TIMEOUT", default=3.0)
PORTAL_VENDOR_READ_TIMEOUT = env.float("PORTAL_VENDOR_READ_TIMEOUT", default=5.0)
# Vendor lists for customer pages (the representative list) are refreshed in the background;
# with nothing cached yet, the request that starts the refresh waits at most this many
# seconds, then the page says it is checking and asks again (docs/decisions/).
PORTAL_VENDOR_WAIT = env.float("PORTAL_VENDOR_WAIT", default=0.3)
# Take Control REST: a 429's Retry-After is waited out on the request path only up to this
# many seconds; this many 429s in a row stop calls for PORTAL_TC_BREAKER_RESET seconds.
PORTAL_TC_RETRY_AFTER_MAX = env.float("PORTAL_TC_RETRY_AFTER_MAX", default=3.0)
PORTAL_TC_BREAKER_THRESHOLD = env.int("PORTAL_TC_BREAKER_THRESHOLD", default=3)
PORTAL_TC_BREAKER_RESET = env.int("PORTAL_TC_BREAKER_RESET", default=60)
# Public forms: a signed timestamp field is valid for this long (seconds) ...
PORTAL_FORM_MAX_AGE = env.int("PORTAL_FORM_MAX_AGE", default=6 * 60 * 60)
# ... and starts per client address and window (the rate limit of product spec §7).
PORTAL_RATE_LIMIT = env.int("PORTAL_RATE_LIMIT", default=30)
PORTAL_RATE_WINDOW = env.int("PORTAL_RATE_WINDOW", default=60)
# Integrations API: requests per token and minute.
PORTAL_API_RATE_LIMIT = env.int("PORTAL_API_RATE_LIMIT", default=120)

# ------------------------------------------------------------------------------
# Logging: to the console; vendor secrets never reach a log line (clients log no headers).
# ------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("PORTAL_LOG_LEVEL", default="INFO")},
    "loggers": {"django": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
