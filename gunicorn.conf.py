"""gunicorn as the portal ships it: `make serve`, the Docker image and the benches use this file.

gthread workers: WEB_CONCURRENCY processes (default 3) with PORTAL_THREADS threads each
(default 8). A request that must wait on a vendor (a Take Control REST start, at most the
vendor timeouts) holds one thread, never the whole process, so key and PIN starts and every
page keep being answered by the other threads. Why threads and not sync workers or a task
queue: docs/decisions/ (no customer waits on a vendor).

Each thread may hold a database connection (CONN_MAX_AGE): with PostgreSQL allow for
WEB_CONCURRENCY x PORTAL_THREADS connections per machine.
"""

import os

wsgi_app = "portal.wsgi:application"

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("PORTAL_THREADS", "8"))

# A worker whose main loop is stuck this long is restarted (its request threads may wait on a
# vendor: they are bounded by the vendor timeouts, far below this).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
# Behind a proxy that keeps connections open; idle ones are closed after this long.
keepalive = 5

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# The heartbeat file on a memory file system, so a slow disk (a container's overlay) never
# looks like a stuck worker.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# gunicorn 25.1+ opens a control socket in ~/.gunicorn by default: one path for every
# instance on the machine (tests and benches run several) and a home folder the container's
# user cannot write. Nothing here uses it. (Older gunicorns skip the unknown setting.)
control_socket_disable = True
