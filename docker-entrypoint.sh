#!/bin/sh
# The web server by default: migrate, configure the first backend from the environment, then
# run the command (gunicorn). `worker` runs the webhook worker from the same image instead
# (docker run IMAGE worker); `healthcheck` is the image's HEALTHCHECK for either.
set -e
case "$1" in
  worker)
    # The web container migrates; the worker waits for it (at most 5 minutes) rather than
    # migrating the same database at the same time. Only the migrations are waited for here
    # (--skip-checks): a failing system check (portal.E001: no DJANGO_SECRET_KEY) is reported
    # by the next command instead of being waited out as "not migrated".
    tries=0
    until python manage.py migrate --check --skip-checks >/dev/null 2>&1; do
      tries=$((tries + 1))
      if [ "$tries" -ge 150 ]; then echo "worker: the database is not reachable or not migrated; see the web container's log" >&2; exit 1; fi
      echo "worker: waiting for the database and the web container's migrations" >&2
      sleep 2
    done
    python manage.py webhooks_requeue
    # Folds what is left and starts the periodic analytics fold (docs/decisions/0083-analytics-fold-on-the-worker.md).
    python manage.py portal_analytics_fold --schedule
    exec python manage.py db_worker --no-reload
    ;;
  healthcheck)
    if tr '\0' ' ' < /proc/1/cmdline | grep -q db_worker; then exit 0; fi
    exec python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
    ;;
esac
# gunicorn's numbers (WEB_CONCURRENCY, PORTAL_THREADS, ...) as gunicorn.conf.py checks them, before
# anything runs: gunicorn itself reads WEB_CONCURRENCY with a bare int() before that file.
if [ "$1" = gunicorn ]; then python gunicorn.conf.py; fi
# A migration may rebuild or index a large table: no statement timeout for it alone
# (docs/decisions/0106-bounded-waits-on-an-open-database-connection.md).
PORTAL_DATABASE_STATEMENT_TIMEOUT=0 python manage.py migrate --no-input
python manage.py portal_bootstrap
# Closed days into the analytics rollup: after an upgrade, once (seconds for a million start
# records), so no admin's first dashboard read does it; afterwards nothing or a day's worth.
python manage.py portal_analytics_fold
exec "$@"
