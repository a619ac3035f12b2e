"""`manage.py runserver` (what `make run` serves) with gunicorn's request-line limit: listed
first in INSTALLED_APPS, so its `runserver` wins over WhiteNoise's and staticfiles' (Django
runs a command from the first app that has it)."""
