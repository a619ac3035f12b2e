"""Settings for Support Portal.

Every value that differs between deployments comes from the environment (django-environ);
the defaults are the embedded ones `make run` needs: an SQLite file, a cache on disk that
every worker process of the machine shares, and DEBUG off unless asked for. `.env.example` lists
every variable.
"""

import email.utils
import warnings
import zoneinfo
from datetime import timedelta
from functools import partial
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from portal import conf as portal_conf
from portal import data_folders
from portal.checks import EMBEDDED_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
# A number from the environment, in the forms portal/conf.py accepts, its bound checked when
# the portal starts, as the portal's own are (portal.E002, decision record 0086).
_number = partial(portal_conf.environment_number, env)
# A boolean from the environment; empty, its default (django-environ reads it as false).
_flag = partial(portal_conf.read_flag, env)


# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
# An empty (or blank) variable is its default, as an unset one, whatever its type: .env.example
# leaves lines empty, and no empty value is meant literally (decision record 0086).
def _text(name: str, default: str) -> str:
    """The environment variable, or `default` when it is unset or blank (as .env.example leaves
    a line): an empty database URL, time zone or log level would stop the start with a
    traceback that names none of them, an empty secret key with one that names SECRET_KEY."""
    value = env.str(name, default="")
    return value if value.strip() else default


def _list(name: str, default: list[str]) -> list[str]:
    """The comma-separated values of the environment variable, spaces around each let go, or
    `default` when it names none (unset, empty, only commas and spaces): django-environ read an
    empty DJANGO_ALLOWED_HOSTS as no host at all, every request a 400, and kept the space in
    "a, b" (a host " b" no request names)."""
    values = [value.strip() for value in env.str(name, default="").split(",")]
    return [value for value in values if value] or default


DEBUG = _flag("DJANGO_DEBUG", False)
# The embedded default key is only good for a local demo: production sets DJANGO_SECRET_KEY
# (portal/checks.py refuses the embedded key with DEBUG off and HTTPS on, and `check --deploy`
# flags it always).
SECRET_KEY = _text("DJANGO_SECRET_KEY", EMBEDDED_SECRET_KEY)
ALLOWED_HOSTS = _list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = _list("DJANGO_CSRF_TRUSTED_ORIGINS", [])


def _folder(name: str, default: Path) -> Path:
    """The folder the environment variable names, or `default` when it is unset or empty:
    never Path(""), the working directory, which as STATIC_ROOT WhiteNoise would serve whole
    (the source, .env, the SQLite database)."""
    return Path(_text(name, str(default)))


DATA_DIR = _folder("PORTAL_DATA_DIR", BASE_DIR / "data")

INSTALLED_APPS = [
    # `runserver` with gunicorn's request-line limit (portal/devserver/): first, as below.
    "portal.devserver",
    # `createsuperuser` held to the password validators with --noinput too: Django runs a
    # command from the first app that has it, so this stands before django.contrib.auth.
    "portal.accounts",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # Counts failed admin sign-ins in the database and locks out by username and by client
    # address (see "Admin security" below).
    "axes",
    "csp",
    # The durable queue for webhook deliveries (docs/decisions/0070-start-webhooks-on-django-tasks.md).
    "django_tasks",
    "django_tasks_db",
    "portal",
    "portal.webhooks",
    "portal.privacy",
    "portal.analytics",
]

MIDDLEWARE = [
    # Outermost: HEAD goes through everything below as a GET, and leaves without the body.
    "portal.middleware.HeadMiddleware",
    # The response headers first, so every response has them: probes, static files, media,
    # the API, error pages and pages from the page cache alike.
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    # DENY unless a view exempts its response (customer pages: frame-ancestors decides), on
    # every response as CSP's frame-ancestors: redirects a lower middleware makes (an admin
    # path without its slash), errors raised below, pages from the page cache.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Probes next: before host validation (and exempt from the HTTPS redirect, below).
    "portal.middleware.HealthCheckMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Nothing below reads the database until it has every migration: until then a 503 page.
    "portal.middleware.MigratedDatabaseMiddleware",
    "portal.middleware.SiteMiddleware",
    "portal.middleware.RequestBodyMiddleware",  # before anything reads a body it refuses
    "portal.middleware.CustomerLocaleMiddleware",
    "portal.middleware.AdminQueryMiddleware",  # no NUL reaches the admin's list filters
    # Counts customer page views and form posts; the page cache is a view decorator
    # (portal/caching.py), so pages it serves pass here too
    # (docs/decisions/0081-cookie-free-view-counting.md).
    "portal.analytics.middleware.PageViewCountMiddleware",
    # A page-cache hit of a customer view answers here, before the session, CSRF, auth and
    # messages middlewares it never needs (portal/caching.py, PageCacheHitMiddleware).
    "portal.caching.PageCacheHitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Last, as axes requires: turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
# Where Django admin lives, relative to the site root, as in cookiecutter-django: moving it off
# the well-known admin/ keeps most scanners away from the sign-in form.
ADMIN_URL = (env("DJANGO_ADMIN_URL", default="admin/").strip("/") or "admin") + "/"
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


def _database(url: str) -> dict:
    """Django's database settings for DATABASE_URL, PostgreSQL or SQLite. A URL without a scheme
    (`//db.internal:5432/portal`) stopped the start with KeyError 'ENGINE', naming nothing; the
    message does not repeat the URL, which may hold a password (and django-environ's warning,
    which prints the parsed URL, password included, is silenced for it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Engine not recognized from url")
        database = env.db_url_config(url)
    # Only these two: without its scheme the URL's first word reads as one ("portal:pw@host"
    # gives ENGINE 'portal'), and Django's refusal of that engine names no variable either.
    if database.get("ENGINE") not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
        raise ImproperlyConfigured(
            "DATABASE_URL names no database; it must begin with postgres:// "
            "(postgres://USER:PASSWORD@HOST:5432/NAME) or sqlite:/// (sqlite:////srv/portal/portal.sqlite3)."
        )
    return database


DATABASES = {
    "default": _database(_text("DATABASE_URL", f"sqlite:///{DATA_DIR / 'portal.sqlite3'}")),
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Several gunicorn workers write start records at once: WAL lets readers go on while one
    # writes, and IMMEDIATE transactions wait for the lock instead of failing mid-transaction.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
    # The database's folder, writable (created if missing): SQLite writes its WAL beside the
    # file, and refused with "unable to open database file", naming neither file nor folder.
    data_folders.require_sqlite_writable(
        DATABASES["default"]["NAME"], "DATABASE_URL" if _text("DATABASE_URL", "") else "PORTAL_DATA_DIR"
    )
elif DATABASES["default"]["ENGINE"].endswith(("postgresql", "postgis")):
    # A database host that does not answer (down, behind a partition) would hold each new
    # connection for the system's TCP timeout, minutes: libpq gives up after this many seconds.
    # DATABASE_URL's own ?connect_timeout= wins.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options.setdefault("connect_timeout", _number("PORTAL_DATABASE_CONNECT_TIMEOUT", 5, at_least=1))
    # An open connection whose server stops answering: a statement stuck behind a lock (a
    # migration, a VACUUM FULL) is cancelled by the server after PORTAL_DATABASE_STATEMENT_TIMEOUT
    # seconds (0: no limit); a host that is gone (a partition, a dead VM) is noticed by TCP
    # keepalives (10 s idle, then 3 probes 5 s apart) and by tcp_user_timeout (15 s for a sent
    # query to be acknowledged), where the system's defaults wait for hours. Each of these in
    # DATABASE_URL (?options=, ?keepalives_idle=, ...) wins.
    # docs/decisions/0106-bounded-waits-on-an-open-database-connection.md
    _statement_timeout = _number("PORTAL_DATABASE_STATEMENT_TIMEOUT", 30, at_least=0)
    if _statement_timeout:
        _pg_options.setdefault("options", f"-c statement_timeout={_statement_timeout}s")
    for _name, _value in {
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        "tcp_user_timeout": 15000,
    }.items():
        _pg_options.setdefault(_name, _value)
# Persistent connections: opening one per request (SQLite's WAL pragma, PostgreSQL's
# handshake) cost a start more than the start itself (bench/customer_pages.py).
DATABASES["default"].setdefault("CONN_MAX_AGE", _number("DATABASE_CONN_MAX_AGE", 60, at_least=0))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)

# Token, rep-list cache, locks, breakers and rate limits live here, so every worker must see the
# same cache with an atomic add and incr. Embedded default: diskcache (SQLite files in
# PORTAL_DATA_DIR/cache), shared by all worker processes of this machine. On more than one
# server: a cache all of them reach, CACHE_URL=redis://... (never locmem: one per process).
if _cache_url := _text("CACHE_URL", ""):
    CACHES = {"default": env.cache_url_config(_cache_url)}
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        CACHES["default"]["BACKEND"] = "portal.cache_backend.SharedRedisCache"  # incr in one trip
        # A Redis that accepts connections and never answers (a hung host, a partition) would
        # hold every request that touches the cache, /readyz included, for redis-py's default
        # (5 s a call from version 8, no limit before): each connect and each answer is waited
        # for at most this many seconds, then the request fails as with Redis down and /readyz
        # says so. CACHE_URL's own ?socket_timeout= and ?socket_connect_timeout= win.
        _redis_wait = _number("PORTAL_REDIS_TIMEOUT", 1.0, at_least=0) or None  # 0: no limit
        _redis_options = CACHES["default"].setdefault("OPTIONS", {})
        _redis_options.setdefault("socket_connect_timeout", _redis_wait)
        _redis_options.setdefault("socket_timeout", _redis_wait)
else:
    CACHE_DIR = _folder("PORTAL_CACHE_DIR", DATA_DIR / "cache")
    # Checked here, before any command runs: the backend creates it on its first use, which
    # (in `migrate`) came after other writes had failed with tracebacks naming nothing.
    data_folders.require_writable(
        CACHE_DIR, "PORTAL_CACHE_DIR" if _text("PORTAL_CACHE_DIR", "") else "PORTAL_DATA_DIR"
    )
    CACHES = {
        "default": {
            "BACKEND": "portal.cache_backend.SharedDiskCache",
            "LOCATION": str(CACHE_DIR),
            "TIMEOUT": 300,
            # Waits on another process's write lock are retried by the backend, never failed.
            "SHARDS": 8,
            "DATABASE_TIMEOUT": 0.05,
            "OPTIONS": {"size_limit": 256 * 1024 * 1024},
        }
    }

# ------------------------------------------------------------------------------
# Internationalisation: the 16 languages a BeyondTrust appliance can have
# (docs/decisions/0030-customer-language.md). The codes are the vendor's, so the chosen code goes to
# the vendor unchanged.
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
# The portal's catalogs first (they win), then Django's own words for the codes whose Django
# catalog has another name (portal/i18n_fallbacks.py: `zh` is Django's `zh_Hant`).
LOCALE_PATHS = [BASE_DIR / "portal" / "locale", BASE_DIR / "portal" / "locale_fallback"]
FORMAT_MODULE_PATH = ["portal.formats"]  # the same for date formats (portal/formats/__init__.py)
USE_I18N = True
USE_TZ = True


def _time_zone(name: str) -> str:
    """The time zone PORTAL_TIME_ZONE names: Django's own refusal ("Incorrect timezone setting")
    names no variable, and it checks only where the system has a zoneinfo folder."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(
            f"PORTAL_TIME_ZONE is {name!r}; it must be a time zone name, e.g. Europe/Berlin or UTC."
        ) from None
    return name


TIME_ZONE = _time_zone(_text("PORTAL_TIME_ZONE", "UTC").strip())

# ------------------------------------------------------------------------------
# Static and media files
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = _folder("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = _folder("DJANGO_MEDIA_ROOT", DATA_DIR / "media")
# Checked, not created (the storage creates it at the first logo upload): an upload into a
# folder the portal may not write failed with a PermissionError traceback long after the start.
data_folders.require_writable(
    MEDIA_ROOT, "DJANGO_MEDIA_ROOT" if _text("DJANGO_MEDIA_ROOT", "") else "PORTAL_DATA_DIR"
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if _flag("PORTAL_MANIFEST_STATIC", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = _flag("PORTAL_STATIC_FINDERS", DEBUG)

# ------------------------------------------------------------------------------
# Security. Safe by default; the embedded demo on http://127.0.0.1 turns the HTTPS-only parts
# off through PORTAL_HTTPS=false (make run does).
# ------------------------------------------------------------------------------
HTTPS = _flag("PORTAL_HTTPS", True)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_NAME = "__Secure-sessionid" if HTTPS else "sessionid"
CSRF_COOKIE_NAME = "__Secure-csrftoken" if HTTPS else "csrftoken"
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "portal.sessions"  # database sessions that refuse keys Django never makes
CSRF_COOKIE_HTTPONLY = True
# Outside the admin, the branded 403 page (customer paths that are no form still meet the check).
CSRF_FAILURE_VIEW = "portal.error_handlers.csrf_failure"
SECURE_SSL_REDIRECT = _flag("DJANGO_SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = _number("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365 if HTTPS else 0, at_least=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
# Preload is a promise for the whole domain and every subdomain, hard to take back: off unless
# the operator asks. check --deploy's reminder of it (security.W021) is silenced while off.
SECURE_HSTS_PRELOAD = _flag("DJANGO_SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Load balancers and Docker probe /healthz and /readyz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# The baseline policy on every response (django-csp). Nothing inline: scripts, styles and the
# site colours (theme.css) are files. Customer pages widen frame-ancestors to the site's
# embedding origins and form-action to the backend (portal.views.rendering.customer_csp).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-src": [NONE],
        "worker-src": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Powerful browser features the portal never uses, refused for its pages and anything they
# might embed. (Only names Chromium knows: it logs an error for any other, e.g. bluetooth.)
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-create",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
        "clipboard-read",
    )
}
# Behind a TLS-terminating proxy, set PORTAL_TRUSTED_PROXY_HEADERS=true so X-Forwarded-Proto
# and X-Forwarded-For (rate limiting) are believed; never on a server reachable directly.
if _flag("PORTAL_TRUSTED_PROXY_HEADERS", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = _flag("DJANGO_USE_X_FORWARDED_HOST", False)

# ------------------------------------------------------------------------------
# Admin security: password rules and brute-force lockout (django-axes).
# ------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": _number("PORTAL_PASSWORD_MIN_LENGTH", 12, at_least=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out sign-in is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# After this many failed sign-ins from one client address, whatever the usernames, that address
# is locked out for the cool-off. A username is never locked for everyone: whoever knew or
# guessed `admin` kept that administrator out with five requests every cool-off. With one
# limit, counting by ("username", "ip_address") too would add nothing (never more failures than
# the address's own) (docs/decisions/0040-production-security-defaults.md).
AXES_FAILURE_LIMIT = _number("PORTAL_ADMIN_LOGIN_FAILURE_LIMIT", 5, at_least=1)
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
# At most a thousand years: axes looks back the cool-off from now (now - AXES_COOLOFF_TIME),
# which fails past year 1, after about 2,000 years; a longer lockout means nothing more anyway
# (`axes_reset` ends one).
AXES_COOLOFF_TIME = timedelta(
    minutes=_number("PORTAL_ADMIN_LOGIN_COOLOFF_MINUTES", 15.0, above=0, at_most=1000 * 365.25 * 24 * 60)
)
# Sign-ins during a lockout are refused without being counted: the lockout ends when the
# cool-off says, and an attacker hammering a locked account writes nothing to the database.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# The same client as the public forms' rate limit: REMOTE_ADDR, or the address
# PORTAL_TRUSTED_PROXY_COUNT hops from the right of X-Forwarded-For, without a port, and an
# IPv6 address by its /64 (its network address: `axes_reset_ip 2001:db8:1:2::` unlocks it).
AXES_CLIENT_IP_CALLABLE = "portal.guards.counted_client"
AXES_LOCKOUT_CALLABLE = "portal.admin.security.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# axes masks username and address in its own log lines by default, which leaves them saying
# nothing; the password is always masked (in the log and in the stored attempt).
AXES_SENSITIVE_PARAMETERS: list[str] = []

# ------------------------------------------------------------------------------
# Portal behaviour: timeouts, rate limits, webhook retries, the trusted proxy count. Each
# PORTAL_* setting the code reads is declared in portal/conf.py with its default and meaning
# (the one place); here each is taken from the environment variable of the same name.
# ------------------------------------------------------------------------------
globals().update(portal_conf.from_environment(env))

# ------------------------------------------------------------------------------
# Start webhooks (portal/webhooks/, docs/integrations/webhooks.md): delivered by the worker
# (`manage.py db_worker`, started by make run, make serve and `docker run IMAGE worker`) from
# the task rows in the database.
# ------------------------------------------------------------------------------
# Their timeouts, retries and allowed receivers: the PORTAL_WEBHOOKS_* settings (portal/conf.py).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# An error report (the DEBUG page, an ExceptionReporter) never shows a secret an admin form
# posted, with DEBUG on too (portal/error_reports.py).
DEFAULT_EXCEPTION_REPORTER_FILTER = "portal.error_reports.SecretsHiddenReporterFilter"
# The error mail without what a customer typed (the query, a customer page's POST).
DEFAULT_EXCEPTION_REPORTER = "portal.error_reports.CustomerDataHiddenReporter"

# ------------------------------------------------------------------------------
# Error mail: each uncaught exception of a request (a 500) mailed to DJANGO_ADMINS, through
# the mail server EMAIL_URL names, with DEBUG off (docs/decisions/0040-production-security-defaults.md).
# Nobody by default. `manage.py sendtestemail --admins` checks the two.
# ------------------------------------------------------------------------------


def _admins(name: str) -> list[tuple[str, str]]:
    """DJANGO_ADMINS, "ops@example.com, Jane Doe <jane@example.com>", as Django's (name,
    address) pairs; an entry without an address stops the start naming the variable."""
    admins = []
    for entry in _list(name, []):
        person, address = email.utils.parseaddr(entry)
        if "@" not in address:
            raise ImproperlyConfigured(
                f"{name} holds {entry!r}, which is no email address; write addresses separated by"
                " commas: ops@example.com, Jane Doe <jane@example.com>."
            )
        admins.append((person or address, address))
    return admins


ADMINS = _admins("DJANGO_ADMINS")
# The sender of the error mail (Django's default, root@localhost, many mail servers refuse).
SERVER_EMAIL = _text("DJANGO_SERVER_EMAIL", "root@localhost")
_mail = env.email_url_config(_text("EMAIL_URL", "smtp://localhost:25"))
EMAIL_BACKEND = _mail["EMAIL_BACKEND"]
EMAIL_HOST = _mail["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _mail["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _mail["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _mail["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_mail.get("EMAIL_USE_TLS"))
EMAIL_USE_SSL = bool(_mail.get("EMAIL_USE_SSL"))
# The mail is sent by the failed request's thread: a mail server that does not answer holds it
# this long at most (Django's default: no limit). EMAIL_URL's own ?timeout= wins.
EMAIL_TIMEOUT = _mail.get("OPTIONS", {}).get("TIMEOUT", 10)

# ------------------------------------------------------------------------------
# Logging: to the console; vendor secrets never reach a log line (clients log no headers).
# ------------------------------------------------------------------------------
# A client's bad request (bad Host, too many fields, broken multipart, not UTF-8, 404, ...) is
# one line without traceback, at most PORTAL_LOG_CLIENT_ERRORS_PER_MINUTE per kind and
# process (portal/log.py); server errors keep their traceback.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "client_errors": {
            "()": "portal.log.ClientErrorFilter",
            "limit": _number("PORTAL_LOG_CLIENT_ERRORS_PER_MINUTE", 10, at_least=0),
            "window": 60,
        },
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        "raised": {"()": "portal.log.RaisedExceptionFilter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["client_errors"]},
        # Django's own handler, which this configuration used to leave out: the text report
        # only (no HTML part with each frame's variables), through the portal's report filter
        # (portal/error_reports.py). Only what raised: a 503 page the portal answers on purpose
        # (a vendor down, a portal not set up) is no mail per request.
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false", "raised"],
        },
    },
    "root": {
        "handlers": ["console"],
        "level": portal_conf.read_log_level(
            "PORTAL_LOG_LEVEL", env.str("PORTAL_LOG_LEVEL", default=""), "INFO"
        ),
    },
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # A request's 500 (django.request logs it at ERROR, with the exception), to ADMINS.
        "django.request": {"handlers": ["mail_admins"], "level": "INFO", "propagate": True},
        # axes says "running database handler" on every failure at INFO; its WARNING lines
        # (new, repeated failure, lockout) and portal.admin_security's line are the record.
        "axes": {"level": "WARNING"},
        # At DEBUG urllib3 writes each request's path and query: a webhook URL may carry its
        # receiver's credential (a Logic Apps `sig=`), which the log never carries (README).
        "urllib3": {"level": "INFO"},
    },
}
