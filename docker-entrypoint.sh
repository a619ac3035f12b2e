#!/bin/sh
# The web server by default: migrate, configure the first backend from the environment, then
# run the command (gunicorn). `worker` runs the webhook worker from the same image instead
# (docker run IMAGE worker); `healthcheck` is the image's HEALTHCHECK for either.
set -e

# This shell is the container's first process until the last `exec`: the kernel gives PID 1
# no default action for SIGTERM or SIGINT, so without a trap `docker stop` waited its full
# timeout during `migrate` or the worker's wait. Each step runs in the background and is
# waited for; on TERM or INT it is stopped (TERM: a background command ignores INT) and the
# shell exits at once.
child=
stop() {
  if [ -n "$child" ]; then
    kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$1"
}
trap 'stop 143' TERM
trap 'stop 130' INT
run() {
  "$@" &
  child=$!
  status=0
  wait "$child" || status=$?
  child=
  return "$status"
}

case "$1" in
  worker)
    # The web container migrates; the worker waits for it (at most 5 minutes) rather than
    # migrating the same database at the same time. Only the migrations are waited for here
    # (--skip-checks): a failing system check (portal.E001: no DJANGO_SECRET_KEY) is reported
    # by the next command instead of being waited out as "not migrated". The Dockerfile's
    # HEALTHCHECK --start-period covers this wait: "starting", not "unhealthy", meanwhile.
    # Status 78 (manage.py): a folder the portal may not write (PORTAL_DATA_DIR), which no
    # wait mends: said in manage.py's one line, at once.
    deadline=$(($(date +%s) + 300))
    until status=0; run python manage.py migrate --check --skip-checks >/dev/null 2>&1 || status=$?; [ "$status" = 0 ]; do
      if [ "$status" = 78 ]; then run python manage.py migrate --check --skip-checks >/dev/null || exit 78; fi
      if [ "$(date +%s)" -ge "$deadline" ]; then echo "worker: the database is not reachable or not migrated; see the web container's log" >&2; exit 1; fi
      echo "worker: waiting for the database and the web container's migrations" >&2
      run sleep 2
    done
    run python manage.py webhooks_requeue
    # Folds what is left and starts the periodic analytics fold (docs/decisions/0083-analytics-fold-on-the-worker.md).
    run python manage.py portal_analytics_fold --schedule
    exec python manage.py db_worker --no-reload
    ;;
  healthcheck)
    pid1=$(tr '\0' ' ' < /proc/1/cmdline)
    case "$pid1" in
      *db_worker*) exit 0 ;;
      *"docker-entrypoint.sh worker"*)
        # The worker before db_worker: waiting for the migrations (bounded above), then
        # requeue and fold. Not healthy yet; Docker says "starting" within --start-period.
        echo "worker: not started yet (waiting for the database and the migrations)"
        exit 1
        ;;
    esac
    exec python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
    ;;
esac
# gunicorn's numbers (WEB_CONCURRENCY, PORTAL_THREADS, ...) as gunicorn.conf.py checks them, before
# anything runs: gunicorn itself reads WEB_CONCURRENCY with a bare int() before that file.
if [ "$1" = gunicorn ]; then python gunicorn.conf.py; fi
# A migration may rebuild or index a large table: no statement timeout for it alone
# (docs/decisions/0106-bounded-waits-on-an-open-database-connection.md).
run env PORTAL_DATABASE_STATEMENT_TIMEOUT=0 python manage.py migrate --no-input
run python manage.py portal_bootstrap
# Closed days into the analytics rollup: after an upgrade, once (seconds for a million start
# records), so no admin's first dashboard read does it; afterwards nothing or a day's worth.
run python manage.py portal_analytics_fold
exec "$@"
