"""gunicorn as the portal ships it: `make serve`, the Docker image and the benches use this file.

gthread workers: WEB_CONCURRENCY processes (default: one per core, at least 2) with
PORTAL_THREADS threads each (default 4). A request that must wait on a vendor (a Take Control
REST start, at most the vendor timeouts) holds one thread, never the whole process, so key and
PIN starts and every page keep being answered by the other threads. Why threads and not sync
workers or a task queue: docs/decisions/0042-no-customer-waits-on-a-vendor.md.

They are gthread workers of the portal's balanced kind: a worker whose threads are all busy
leaves new connections to one with a free thread, so keep-alive clients spread over every
worker (portal/gunicorn_worker.py, docs/decisions/0087-balanced-gthread-workers.md). With the
embedded SQLite database a worker runs one quick request at a time and starts the next beside it
only once the running one has taken PORTAL_RUN_ALONE_MS (10 ms): threads are room for requests
that wait, not for running four at once behind one GIL. With a database server requests wait on
it, and every request starts at once (docs/decisions/0098-one-quick-request-at-a-time.md).

Each thread may hold a database connection (CONN_MAX_AGE): with PostgreSQL allow for
WEB_CONCURRENCY x PORTAL_THREADS connections per machine.

Its numbers take the forms and have the bounds of the portal's settings: a bad one stops
gunicorn before it listens, with one line naming it. `python gunicorn.conf.py` checks them
alone; the image's entrypoint and `make serve` do so before starting gunicorn, which reads
WEB_CONCURRENCY itself before this file: with a bare int() (a traceback for `abc`) and its
own check ("Value must be positive: -2", not which variable).
"""

import os
import socket
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from portal.conf import REQUEST_LINE_MAX, PortalSettings, bounded_number, read_log_level

# The .env beside this file, as portal/settings.py reads it (what the environment sets wins):
# WEB_CONCURRENCY, PORTAL_THREADS and PORTAL_RUN_ALONE_MS there are gunicorn's too, and
# gunicorn reads this file in its master, before any worker has loaded Django.
environ.Env.read_env(Path(__file__).resolve().parent / ".env", overwrite=False)


def number(name, default, **bound):
    """The environment variable `name` as a number, its bound beside its default: in the forms
    every number of the portal takes (docs/decisions/0086-settings-defaults-in-portal-conf.md).
    No system check runs in gunicorn's master, so a bad value is refused here, before gunicorn
    listens: one line naming the variable, the value and the bound, and exit status 1
    (gunicorn passes SystemExit on; any other exception here it prints as a traceback)."""
    try:
        return bounded_number(os.environ, name, default, **bound)
    except ImproperlyConfigured as refused:
        raise SystemExit(f"gunicorn.conf.py: {refused}") from None


try:
    # The worker class reads its own numbers (PORTAL_RUN_ALONE_MS, PORTAL_REQUEST_HEAD_SECONDS,
    # ...) when imported: here, so a bad one stops gunicorn as above, not in the arbiter's
    # traceback when it loads the class.
    import portal.gunicorn_worker  # noqa: F401
except ImproperlyConfigured as refused:
    raise SystemExit(f"gunicorn.conf.py: {refused}") from None

wsgi_app = "portal.wsgi:application"

worker_class = "portal.gunicorn_worker.BalancedThreadWorker"
# One process per core: on 2 cores, 2 x 4 threads kept key starts at p99 80 ms beside a hung
# appliance, where 3 x 8 gave 114 ms and 2 x 8 105 ms (more threads than the cores can run
# only queue for the GIL and SQLite's write lock; bench/README.md). More threads give more
# room for requests that wait on a vendor (Take Control REST starts): raise PORTAL_THREADS
# where many of those are expected.
workers = number("WEB_CONCURRENCY", max(2, os.cpu_count() or 1), at_least=1)
threads = number("PORTAL_THREADS", 4, at_least=1)

# A worker whose main loop is stuck this long is restarted (its request threads may wait on a
# vendor: they are bounded by the vendor timeouts, far below this). A worker tells the master it
# lives once a second at best (its event loop waits up to 1 s), so under 2 s healthy idle
# workers would be killed; gunicorn's 0, "never restart", would leave a stuck worker holding its
# connections for good.
timeout = number("GUNICORN_TIMEOUT", 30, at_least=2)
graceful_timeout = 30
# Behind a proxy that keeps connections open; idle ones are closed after this long.
keepalive = 5

# A request line (method, path and query) over this is refused with a 400 before the portal
# sees it: gunicorn's own default, named here because signed prefill links are held to it
# (portal/conf.py).
limit_request_line = REQUEST_LINE_MAX

# Standard output unless a file is named; empty is the default, as every empty variable
# (gunicorn could not open the file "" and started no worker).
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "").strip() or "-"
# gunicorn takes SCRIPT_NAME and PATH_INFO from request headers of a trusted proxy
# (forwarded_allow_ips, 127.0.0.1 by default): a client of a proxy on the same machine that
# passes headers with underscores could move every link of a cached page under its own prefix
# for every visitor. The portal is served at the root; it takes neither.
forwarder_headers = ""
# gunicorn's default line has the request's query string and its Referer, and prefill links
# carry a customer's name, email and ticket number in theirs (docs/privacy.md: the portal never
# logs a customer field). The path, never the query; no Referer.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(a)s" %(M)sms'
# Files (static by whitenoise, uploaded logos) are written by the worker, not by sendfile():
# gunicorn counts the bytes of the access log's %(b)s only in its write(), so with sendfile
# every file's line said 0 bytes. The files are small (CSS, scripts, logos) and cached by
# browsers for long; the copy through Python costs little.
sendfile = False
errorlog = "-"
try:
    loglevel = read_log_level("GUNICORN_LOG_LEVEL", os.environ.get("GUNICORN_LOG_LEVEL", ""), "INFO")
except ImproperlyConfigured as refused:
    raise SystemExit(f"gunicorn.conf.py: {refused}") from None

# The heartbeat file on a memory file system, so a slow disk (a container's overlay) never
# looks like a stuck worker.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn 25.1+ opens a control socket in ~/.gunicorn by default: one path for every
# instance on the machine (tests and benches run several) and a home folder the container's
# user cannot write. Nothing here uses it. (Older gunicorns skip the unknown setting.)
control_socket_disable = True


# How many proxies the portal trusts in X-Forwarded-For (portal/conf.py's default, as the
# workers read it): on a Unix socket gunicorn gives the portal no client address, and without a
# trusted proxy every client is then one for the rate limits and the admin lockout.
trusted_proxy_count = number(
    "PORTAL_TRUSTED_PROXY_COUNT", PortalSettings.TRUSTED_PROXY_COUNT.default, at_least=0
)


def on_starting(server):
    """Before gunicorn listens, in its master, for the portal's own application: the settings
    load (a folder the portal may not write, record 0124, is one line and exit status 78 here,
    not a traceback per worker) and, with the shipped manifest storage, the static files were
    collected: without `manage.py collectstatic` every page failed on its first stylesheet with
    a 500 ("Missing staticfiles manifest entry") while /healthz and /readyz said all was well
    (docs/decisions/0125-an-unmigrated-database-at-start.md). The image and `make serve` collect
    them before they start gunicorn."""
    if server.app.app_uri not in (wsgi_app, wsgi_app.partition(":")[0]):
        return  # another application given on the command line (the benches' bare view)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from portal.data_folders import EXIT_STATUS

    try:
        from django.conf import settings
        from django.core.files.storage import storages

        settings.INSTALLED_APPS  # noqa: B018  # loads the settings, and their folder checks
        static = storages["staticfiles"]
    except ImproperlyConfigured as refused:
        server.log.error("%s", refused)
        raise SystemExit(EXIT_STATUS) from None
    manifest = getattr(static, "manifest_name", None)
    if manifest and not static.exists(manifest):
        server.log.error(
            "Static files not collected: %s has no %s. Run `manage.py collectstatic --no-input`"
            " with the server's environment before starting gunicorn (make serve and the image"
            " do); every page would fail on its first stylesheet until then.",
            settings.STATIC_ROOT,
            manifest,
        )
        raise SystemExit(EXIT_STATUS)


def when_ready(server):
    # Said once at start, before any customer is refused: the workers say it again at the first
    # request they cannot count (portal.guards.report_no_client_address).
    unix = [str(listener) for listener in server.LISTENERS if listener.FAMILY == socket.AF_UNIX]
    if unix and not trusted_proxy_count:
        server.log.error(
            "Listening on a Unix socket (%s) with PORTAL_TRUSTED_PROXY_COUNT 0: requests carry no "
            "client address, so every client shares one rate-limit count and one admin lockout. "
            "Set PORTAL_TRUSTED_PROXY_COUNT to the number of proxies in front (1 for one nginx) "
            "and have the proxy send X-Forwarded-For.",
            ", ".join(unix),
        )


def post_worker_init(worker):
    # Threads of one worker share the GIL. A thread back from I/O (SQLite, the socket) waits
    # for the running thread's switch interval before it may go on: 1 ms instead of Python's
    # 5 ms shortens that wait for short requests (bench/hung_appliance.py: key-start p99 and
    # throughput both better, bench/README.md).
    import gc
    import sys

    sys.setswitchinterval(0.001)
    # The application is loaded: what the worker allocated so far (Django, the URL conf, the
    # models, the admin, the vendor clients) lives as long as the process. gc.freeze() moves it
    # out of the cyclic collector's sight, so a full collection walks only what requests left
    # behind: about 7 ms instead of about 55, a pause every request in flight waited for.
    # Refcounting still frees frozen objects (docs/decisions/0089-frozen-startup-objects.md).
    gc.freeze()
