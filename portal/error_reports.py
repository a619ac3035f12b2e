"""What an error report may show of a request: never a secret an admin form carries
(docs/decisions/0040-production-security-defaults.md).

Django's reports (the DEBUG page, the mail `AdminEmailHandler` sends with ADMINS set, any
`ExceptionReporter`) list the request's POST. Its filter hides only the parameters a view
marked with `sensitive_post_parameters`, and nothing at all with DEBUG on. This one is
settings.DEFAULT_EXCEPTION_REPORTER_FILTER: it hides, from every view and with DEBUG on too,
each POST parameter named after a secret in some model admin's `secret_fields` (a backend's
client secret and Take Control keys, a site's prefill secret, a webhook endpoint's secret),
and every frame variable that holds one of the values the request posted for them.
"""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.views.debug import SafeExceptionReporterFilter


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
