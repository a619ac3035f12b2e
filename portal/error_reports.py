"""What an error report may show of a request: never a secret an admin form carries
(docs/decisions/0040-production-security-defaults.md).

Django's reports (the DEBUG page, the mail `AdminEmailHandler` sends with ADMINS set, any
`ExceptionReporter`) list the request's POST, its META and every setting. Its filter hides
only the parameters a view marked with `sensitive_post_parameters`, and nothing at all with
DEBUG on. This one is settings.DEFAULT_EXCEPTION_REPORTER_FILTER: it hides, from every view
and with DEBUG on too, each POST parameter named after a secret in some model admin's
`secret_fields` (a backend's client secret and Take Control keys, a site's prefill secret, a
webhook endpoint's secret); every frame variable that holds one of the values the request
posted for them, or one the database stores for them (a save's SQL parameters carry a stored
secret nobody posted) or an API token's hash
(docs/decisions/0126-values-stored-before-todays-rules.md); and the configured passwords
(database, cache, mail server) wherever a setting's or META's value holds one.
"""

from __future__ import annotations

import logging
import urllib.parse

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

from portal.http import is_admin_request

logger = logging.getLogger(__name__)


def _secret_fields() -> list[tuple[type, tuple[str, ...]]]:
    """Each registered model with its admin's secret fields."""
    found = []
    for model in apps.get_models():
        if admin.site.is_registered(model):
            fields = tuple(getattr(admin.site.get_model_admin(model), "secret_fields", ()))
            if fields:
                found.append((model, fields))
    return found


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
    return frozenset(name for _model, fields in _secret_fields() for name in fields)


def stored_secrets() -> list[str]:
    """Every secret the database holds: the admin's secret fields' stored values (a backend's
    `SECRET_FIELDS`, a site's prefill secret, a webhook endpoint's secret, an API token's hash).
    DatabaseError when they cannot be read."""
    values: set[str] = set()
    for model, fields in _secret_fields():
        for row in model._base_manager.values_list(*fields):  # type: ignore[attr-defined]
            values.update(value for value in row if value)
    return sorted(values)


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
        """A frame's variables, each one whose text holds a posted or a stored secret replaced:
        the DEBUG page shows them, and a form's cleaned data or a query's parameters carry the
        value. When the stored ones cannot be read (the database is what failed), every
        variable is replaced: a report without them beats one that may show a secret."""
        variables = super().get_traceback_frame_variables(request, tb_frame)
        secrets = self._known_secrets(request)
        if secrets is None:
            return [(name, self.cleansed_substitute) for name, _value in variables]
        if not secrets:
            return variables
        return [
            (name, self.cleansed_substitute if self._holds(value, secrets) else value)
            for name, value in variables
        ]

    def database_unreachable(self, request) -> None:
        """The report is of a database that could not be connected to: its stored secrets are
        not read (that would wait on one more connect, PORTAL_DATABASE_CONNECT_TIMEOUT, in the
        failed request's thread, and fail), every frame variable is hidden instead."""
        request._portal_known_secrets = None

    def _known_secrets(self, request) -> list[str] | None:
        """The posted, the stored and the configured secrets (a database password in a
        driver's frame), read once per report's request; None when the stored ones cannot be
        read."""
        if hasattr(request, "_portal_known_secrets"):
            return request._portal_known_secrets
        known: list[str] | None
        try:
            known = sorted({*self._posted_secrets(request), *stored_secrets(), *configured_secrets()})
        except DatabaseError as error:
            logger.warning("Error report: stored secrets unreadable (%s); frame variables hidden.", error)
            known = None
        if request is not None:
            request._portal_known_secrets = known
        return known

    @staticmethod
    def _posted_secrets(request) -> list[str]:
        """The secrets the request carried: posted under a secret field's name, or the API
        token it presented (`Authorization: Bearer …`)."""
        if request is None:
            return []
        credentials = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")[2].strip()
        found = [credentials] if credentials else []
        if request.method == "POST":
            found += (value for name in secret_post_parameters() for value in request.POST.getlist(name))
        return [value for value in found if value]

    @staticmethod
    def _holds(value, secrets: list[str]) -> bool:
        try:
            text = repr(value)
        except Exception:  # a broken __repr__: the report shows Django's own note for it
            return False
        return any(secret in text or repr(secret)[1:-1] in text for secret in secrets)


class CustomerDataHiddenReporter(ExceptionReporter):
    """settings.DEFAULT_EXCEPTION_REPORTER. A database that could not be connected to is not
    asked for its stored secrets (SecretsHiddenReporterFilter.database_unreachable).

    The error mail (`is_email`) carries nothing a customer typed. The portal logs no customer
    field (docs/decisions/0073-privacy-requests.md) and the mail, a log handler, leaves the
    machine: every query parameter's value (a prefill link carries a name, an email, a ticket
    number; the admin's customer records search one), in the request's URL, its GET,
    QUERY_STRING and Referer, and every value a customer page or the API posted are starred,
    their names kept. The DEBUG page, shown to whoever made the request, keeps them."""

    def get_traceback_data(self):
        if (
            self.request is not None
            and isinstance(self.exc_value, (OperationalError, InterfaceError))
            and connection.connection is None  # not connected: the connect is what failed
            and isinstance(self.filter, SecretsHiddenReporterFilter)
        ):
            self.filter.database_unreachable(self.request)
        data = super().get_traceback_data()
        if not self.is_email or self.request is None:
            return data
        stars = self.filter.cleansed_substitute
        if "request_GET_items" in data:
            data["request_GET_items"] = [(name, stars) for name, _value in data["request_GET_items"]]
        if data.get("request_insecure_uri"):
            data["request_insecure_uri"] = _query_starred(data["request_insecure_uri"], stars)
        if not is_admin_request(self.request):
            data["filtered_POST_items"] = [
                (name, stars) for name, _value in data.get("filtered_POST_items", [])
            ]
        meta = data.get("request_meta")
        if meta:
            meta = dict(meta)
            if meta.get("QUERY_STRING"):
                meta["QUERY_STRING"] = stars
            if isinstance(meta.get("HTTP_REFERER"), str):
                meta["HTTP_REFERER"] = _query_starred(meta["HTTP_REFERER"], stars)
            data["request_meta"] = meta
        return data


def _query_starred(url: str, stars: str) -> str:
    """`url` with its query (and fragment) replaced by `stars`."""
    address, separator, _query = url.split("#", 1)[0].partition("?")
    return f"{address}?{stars}" if separator else address
