"""What an error report may show of a request: never a secret an admin form carries
(docs/decisions/0040-production-security-defaults.md).

Django's reports (the DEBUG page, the mail `AdminEmailHandler` sends with ADMINS set, any
`ExceptionReporter`) list the request's POST, its META and every setting. Its filter hides
only the parameters a view marked with `sensitive_post_parameters`, and nothing at all with
DEBUG on. This one is settings.DEFAULT_EXCEPTION_REPORTER_FILTER: it hides, from every view
and with DEBUG on too, each POST parameter named after a secret in some model admin's
`secret_fields` (a backend's client secret and Take Control keys, a site's prefill secret, a
webhook endpoint's secret), every frame variable that holds one of the values the request
posted for them, and the configured passwords (database, cache, mail server) wherever a
setting's or META's value holds one.
"""

from __future__ import annotations

import urllib.parse

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.views.debug import SafeExceptionReporterFilter


def configured_secrets() -> list[str]:
    """The passwords of the configured database, cache and mail server, so no log line or error
    report ever carries one (a driver's error may quote part of what it was given, and the
    cache's LOCATION, redis://:PASSWORD@host, is a setting no name marks as secret)."""
    found = [str(db.get("PASSWORD") or "") for db in settings.DATABASES.values()]
    found.append(str(getattr(settings, "EMAIL_HOST_PASSWORD", "") or ""))
    for backend in settings.CACHES.values():
        locations = backend.get("LOCATION") or ""
        for location in [locations] if isinstance(locations, str) else locations:
            parts = urllib.parse.urlsplit(str(location))
            found += [parts.password or "", urllib.parse.unquote(parts.password or "")]
    return [secret for secret in found if secret]


def secret_post_parameters() -> frozenset[str]:
    """The names the admin's secret fields post under: their model fields' names."""
    names: set[str] = set()
    for model in apps.get_models():
        if admin.site.is_registered(model):
            names.update(getattr(admin.site.get_model_admin(model), "secret_fields", ()))
    return frozenset(names)


class SecretsHiddenReporterFilter(SafeExceptionReporterFilter):
    def is_active(self, request):
        """Also with DEBUG on: `make run` may talk to a real appliance with its real secret."""
        return True

    def cleanse_setting(self, key, value):
        """A setting (or, through it, a request's META entry) as Django cleanses it by name, and
        each configured password inside a value no name marks (the cache's LOCATION) starred."""
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str):
            for secret in configured_secrets():
                cleansed = cleansed.replace(secret, self.cleansed_substitute)
        return cleansed

    def get_post_parameters(self, request):
        if request is None:
            return {}
        return self.get_cleansed_multivaluedict(request, request.POST)

    def get_cleansed_multivaluedict(self, request, multivaluedict):
        """The POST (here or as a frame's variable), each secret's and each marked parameter's
        value replaced."""
        marked = getattr(request, "sensitive_post_parameters", [])
        hidden = set(secret_post_parameters()) | (set() if marked == "__ALL__" else set(marked))
        cleansed = multivaluedict.copy()
        for name in cleansed:
            if marked == "__ALL__" or name in hidden:
                cleansed[name] = self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request, tb_frame):
        """A frame's variables, each one whose text holds a posted secret replaced: the DEBUG page
        shows them, and a form's cleaned data or a query's parameters carry the value."""
        variables = super().get_traceback_frame_variables(request, tb_frame)
        posted = self._posted_secrets(request)
        if not posted:
            return variables
        return [
            (name, self.cleansed_substitute if self._holds(value, posted) else value)
            for name, value in variables
        ]

    @staticmethod
    def _posted_secrets(request) -> list[str]:
        if request is None or request.method != "POST":
            return []
        values = (value for name in secret_post_parameters() for value in request.POST.getlist(name))
        return [value for value in values if value]

    @staticmethod
    def _holds(value, secrets: list[str]) -> bool:
        try:
            text = repr(value)
        except Exception:  # a broken __repr__: the report shows Django's own note for it
            return False
        return any(secret in text or repr(secret)[1:-1] in text for secret in secrets)
