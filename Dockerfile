# Support Portal: gunicorn behind your TLS proxy, static files by whitenoise, non-root.
# The steps are the ones `make serve` runs: install, compile messages, collectstatic.

FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /app
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY portal ./portal
# Editable, as `make install` does: the venv gets the dependencies and a pointer to /app/portal,
# which the runtime stage copies to the same path. A plain install put a second copy of the
# code in the venv's site-packages (and a third in /app/build), which nothing ran: `python
# manage.py` and gunicorn import /app/portal, the current directory, first.
RUN /venv/bin/pip install --no-cache-dir -e ".[build,postgres,redis]"
COPY manage.py docker-entrypoint.sh gunicorn.conf.py ./
COPY templates ./templates
COPY static ./static
RUN /venv/bin/python -m babel.messages.frontend compile --directory portal/locale --domain django \
 && /venv/bin/python -m portal.i18n_fallbacks \
 && DJANGO_SECRET_KEY=collectstatic-only PORTAL_DATA_DIR=/tmp/build \
    /venv/bin/python manage.py collectstatic --no-input --verbosity 0

FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PORTAL_DATA_DIR=/data PORTAL_TRUSTED_PROXY_HEADERS=true PORTAL_TRUSTED_PROXY_COUNT=1
# uid and gid 10001: a host folder bind-mounted on /data must be writable by them (README).
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --home-dir /app --shell /usr/sbin/nologin portal \
 && mkdir -p /data/media && chown -R portal:portal /data
COPY --from=build /venv /venv
COPY --from=build /app /app
WORKDIR /app
USER portal
VOLUME ["/data"]
EXPOSE 8000
# /healthz for the web server; for the worker (`docker run IMAGE worker`) that it runs.
# --start-period covers the worker's wait for the migrations (at most 5 minutes) and a long
# migrate of the web container: failures meanwhile are "starting", not "unhealthy"; the first
# success ends it (docker-entrypoint.sh).
HEALTHCHECK --interval=30s --timeout=5s --start-period=5m \
  CMD ["/app/docker-entrypoint.sh", "healthcheck"]
ENTRYPOINT ["/app/docker-entrypoint.sh"]
# gthread workers (WEB_CONCURRENCY x PORTAL_THREADS) and logs: gunicorn.conf.py. The webhook
# worker is the same image with the command `worker` (docker-entrypoint.sh).
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000"]
