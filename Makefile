# Support Portal: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
HOST   ?= 127.0.0.1
EXTRAS ?= test,build,browser


.PHONY: help install messages migrate demo run serve test lint fuzz test-services collectstatic check-deploy bench bench-wrk bench-scripts clean extract-messages screenshots favicon

# What each target does, for someone who has only the repository (README.md says more).
help:
	@echo "make run            install, migrate, load the demo, serve http://$(HOST):$(PORT) with the worker"
	@echo "                    (PORT=9000 make run for another port; DEMO_PASSWORD_RESET=1 for a new admin password)"
	@echo "make serve          gunicorn with production settings, and the worker"
	@echo "make test           the whole suite, browser tests included (many minutes; PYTEST_ARGS=\"-m 'not browser'\" or -k NAME for less)"
	@echo "make lint           ruff format and check, mypy, import contracts"
	@echo "make fuzz           the property tests at length (hours; PYTEST_ARGS=\"-k NAME\" picks some)"
	@echo "make test-services  the suite on PostgreSQL and Redis, browser tests left out"
	@echo "make check-deploy   Django's deployment checks with production settings"
	@echo "make screenshots    the README's gallery of customer pages, from a throwaway database"
	@echo "make favicon        the favicons, drawn from static/portal/mark.svg"
	@echo "make bench          wrk against gunicorn as shipped (bench/README.md)"
	@echo "make bench-wrk      the old name of make bench"
	@echo "make bench-scripts  the other benchmarks (bench/README.md)"
	@echo "make install        the .venv with the test, build and browser extras"
	@echo "make messages       compile the translation catalogs"
	@echo "make migrate        apply the database migrations"
	@echo "make demo           the demo site, issues and admin user, without serving"
	@echo "make collectstatic  gather static files for make serve"
	@echo "make extract-messages  re-extract the catalogs' strings (needs GNU gettext)"
	@echo "make clean          remove .venv, staticfiles and the pytest cache"

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[$(EXTRAS)]"
	rm -f $(VENV)/.installed-* && touch $@

install: $(VENV)/.installed-$(EXTRAS)

messages: install
	$(PY) -m babel.messages.frontend -q compile --directory portal/locale --domain django
	$(PY) -m portal.i18n_fallbacks

# A migration may rebuild or index a large table: no statement timeout for it alone, as in the
# image (docs/decisions/0106-bounded-waits-on-an-open-database-connection.md).
migrate: install
	PORTAL_DATABASE_STATEMENT_TIMEOUT=0 $(PY) manage.py migrate --no-input

# Demo data for a local try-out, on plain http as `make run` serves it (see below).
demo: export PORTAL_HTTPS = false
demo: migrate
	$(PY) manage.py portal_bootstrap
	$(PY) manage.py portal_demo

# The demo's last lines are the addresses and the admin login (a new random password with
# DEMO_PASSWORD_RESET=1); only the server's own few start-up lines follow them (its checks ran
# with migrate, and its long development-server warning is left out).
# The worker (django-tasks' db_worker: webhook deliveries and the periodic analytics fold, after
# putting back deliveries a stopped worker left mid-request and folding what is left) runs beside the server in the same recipe and is stopped when the server
# stops, however it stops. `make run` lets it send to receivers on this machine.
WORKER := $(PY) manage.py webhooks_requeue && $(PY) manage.py portal_analytics_fold --schedule -v0 && exec $(PY) manage.py db_worker --no-reload --no-startup-delay -v0
# The server runs in the background and the shell waits for it, so a SIGTERM (or SIGINT) sent to
# this shell alone runs the traps at once (a foreground child would defer them until it exited)
# and stops both the server and the worker.
with_worker = ( $(WORKER) ) & worker=$$!; \
	trap 'kill $$worker $$server 2>/dev/null; wait $$worker $$server 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; $(1) & server=$$!; wait $$server

# The local demo's migrate, bootstrap and demo run as its server does, on plain http: with
# HTTPS on they would refuse the embedded SECRET_KEY (portal.E001, portal/checks.py).
run: export PORTAL_HTTPS = false
run: messages migrate
	$(PY) manage.py portal_bootstrap
	@$(PY) manage.py portal_demo --banner http://$(HOST):$(PORT) $(if $(DEMO_PASSWORD_RESET),--reset-password)
	@export PORTAL_HTTPS=false DJANGO_DEBUG=true DJANGO_RUNSERVER_HIDE_WARNING=true \
	  PORTAL_WEBHOOKS_ALLOW_PRIVATE=$${PORTAL_WEBHOOKS_ALLOW_PRIVATE:-true}; \
	  $(call with_worker,$(PY) manage.py runserver --skip-checks $(HOST):$(PORT))

collectstatic: install
	$(PY) manage.py collectstatic --no-input --verbosity 0

# `python gunicorn.conf.py` checks gunicorn's numbers first: gunicorn reads WEB_CONCURRENCY
# itself with a bare int() before its configuration file, whose checks say what is wrong.
serve: messages migrate collectstatic
	$(PY) gunicorn.conf.py
	$(PY) manage.py portal_bootstrap
	@$(call with_worker,$(VENV)/bin/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT))

# axe-core for the browser tests' accessibility checks; without npm those tests are skipped.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/browser --no-audit --no-fund --silent && touch $@; \
	else echo "npm missing: the browser tests will be skipped"; fi

test: messages $(AXE)
	$(PY) -m pytest $(PYTEST_ARGS)

# Format, lint, types and import contracts (all configured in pyproject.toml). The lint extra
# has its own marker, so `make install` and `make test` never need it and never remove it.
$(VENV)/.lint-installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[lint]"
	touch $@

lint: $(VENV)/.lint-installed
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache

# The property tests (tests/fuzz/) at length: 10,000 generated cases per form, page and API
# endpoint, schemathesis 2,000 per operation (about 10 minutes per endpoint on 2 cores; hours
# in all: PYTEST_ARGS="-k NAME" picks some). `make test` runs them with a short profile.
fuzz: messages
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest tests/fuzz -p no:cacheprovider $(PYTEST_ARGS)

# The same suite on PostgreSQL and Redis (started on 127.0.0.1 by .ci/services), as several
# app servers would share them. Browser tests are left to `make test`.
test-services:
	.ci/services $(MAKE) test EXTRAS=test,build,browser,postgres,redis PYTEST_ARGS="-m 'not browser'"

check-deploy: install
	DJANGO_SECRET_KEY=$$($(PY) -c "import secrets; print(secrets.token_urlsafe(50))") \
	DJANGO_ALLOWED_HOSTS=support.example.com $(PY) manage.py check --deploy --fail-level WARNING

# The README's gallery: every customer page of the demo in en-us, de and ja at 1280x800 and
# 390x844, from a throwaway database (docs/tools/screenshots.py; needs Chromium and the browser extra).
# Japanese and Chinese pages need system fonts with those scripts (Debian's fonts-vlgothic and
# fonts-wqy-zenhei, installed here when missing and root); without them they show empty boxes.
screenshots: messages
	@fc-list 2>/dev/null | grep -qi "vl gothic" || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends fonts-vlgothic fonts-wqy-zenhei >/dev/null; \
	  else echo "screenshots: install fonts-vlgothic and fonts-wqy-zenhei for the ja/zh pages" >&2; fi; }
	$(PY) docs/tools/screenshots.py

# The committed favicons, drawn from static/portal/mark.svg by the same Chromium.
favicon: install
	$(PY) docs/tools/favicon.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache

# The other benchmarks (bench/README.md): in-process and Python-client scripts, each one question.
bench-scripts: install
	$(PY) bench/customer_pages.py
	@test ! -f bench/rep_list.py || $(PY) bench/rep_list.py
	$(PY) bench/hung_appliance.py
	$(PY) bench/worker_sharing.py
	$(PY) bench/analytics.py

# The field measurement: Debian's wrk against gunicorn as shipped, both setups (SQLite + local
# memory; PostgreSQL + Redis through .ci/services), django-helpdesk as the peer in the same run
# (in its own throwaway venv). Options: BENCH_ARGS="--quick" or "--setup embedded --rounds 5".
# `make bench` is this measurement; `bench-wrk` is its older name.
bench bench-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; \
	  else echo "bench: wrk missing; install it as root (Debian: apt-get install wrk)" >&2; exit 1; fi; }
	$(MAKE) messages EXTRAS=test,build,browser,postgres,redis
	$(PY) bench/wrk_bench.py $(BENCH_ARGS)

# Re-extract translatable strings into the 16 catalogs (needs GNU gettext: apt-get install gettext).
LOCALES := en_US de es es_SP fi fr it nl pt_BR pt_PT sv_SE tr ja zh_Hans zh ru
extract-messages: install
	for l in $(LOCALES); do $(PY) manage.py makemessages -l $$l --no-obsolete -v0 \
	  --ignore ".venv/*" --ignore "tests/*" --ignore "bench/*" --ignore "staticfiles/*" \
	  --ignore "data/*" --ignore "*.egg-info/*" --ignore "node_modules/*"; done
