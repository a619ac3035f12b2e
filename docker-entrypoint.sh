#!/bin/sh
# Migrate and configure the first backend from the environment, then run the command (gunicorn).
set -e
python manage.py migrate --no-input
python manage.py portal_bootstrap
exec "$@"
