"""The portal's own system checks."""

from __future__ import annotations

from django.conf import settings
from django.core import checks

# settings.SECRET_KEY without DJANGO_SECRET_KEY: good for `make run` only. It is printed in this
# repository, and Django's own check (security.W009) passes it (long, many characters).
EMBEDDED_SECRET_KEY = "insecure-dev-key-set-DJANGO_SECRET_KEY-in-production"

E001 = checks.Error(
    "SECRET_KEY is the embedded demo key, which anyone can read in the source: anyone could sign "
    "a form's timestamp or a Take Control queue page with an applet link of their choosing.",
    hint='Set DJANGO_SECRET_KEY (python -c "import secrets; print(secrets.token_urlsafe(50))").',
    id="portal.E001",
)


# The hosts a portal answers when DJANGO_ALLOWED_HOSTS is not set: this machine's own names.
THIS_MACHINE = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


def _production() -> bool:
    """DEBUG off, HTTPS on, and a hostname other than this machine's own allowed: what every
    deployment the public can reach sets (it must name its host). A fresh clone's defaults
    (only this machine's names) are a try-out, whose management commands keep working."""
    public = any(host not in THIS_MACHINE for host in settings.ALLOWED_HOSTS)
    return not settings.DEBUG and settings.HTTPS and public


@checks.register(checks.Tags.security)
def embedded_secret_key_in_production(app_configs, **kwargs):
    """In production (above) every command that checks refuses: `migrate`, which the image's
    entrypoint and `make serve` run first, stops the start."""
    return [E001] if _production() and settings.SECRET_KEY == EMBEDDED_SECRET_KEY else []


@checks.register(checks.Tags.security, deploy=True)
def embedded_secret_key(app_configs, **kwargs):
    """`check --deploy` says it whatever DEBUG and HTTPS are (the check above already did in
    production)."""
    return [E001] if not _production() and settings.SECRET_KEY == EMBEDDED_SECRET_KEY else []


@checks.register()
def settings_in_range(app_configs, **kwargs):
    """A PORTAL_* number past its bound (`portal.conf.Setting`) refuses to start, as the secret
    key does: `PORTAL_API_RATE_LIMIT=0` would refuse every API request while telling the caller
    when to try again, a zero timeout would fail every vendor call. So does a number
    `portal/settings.py` read for Django or a library (`portal.conf.environment_number`):
    `PORTAL_ADMIN_LOGIN_FAILURE_LIMIT=0` would lock every admin out at the first sign-in."""
    from portal.conf import declared, environment_numbers, portal_settings

    values = [(s, getattr(portal_settings, s.name.removeprefix("PORTAL_"))) for s in declared()]
    return [
        checks.Error(problem, hint="Fix or unset the environment variable of that name.", id="portal.E002")
        for setting, value in [*values, *environment_numbers()]
        if (problem := setting.out_of_range(value))
    ]
