"""Create or update the default site's backend from the environment. Idempotent.

BEYONDTRUST_URL (required to act), BEYONDTRUST_CLIENT_ID, BEYONDTRUST_CLIENT_SECRET,
BEYONDTRUST_STYLE (modern | legacy). Without BEYONDTRUST_URL it does nothing, so `make run` and
the Docker entrypoint can always call it. Secrets are never printed.
"""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.models import Backend, Site

STYLES = {"modern": Backend.Kind.MODERN, "legacy": Backend.Kind.LEGACY}


class Command(BaseCommand):
    help = "Configure the default site's backend from BEYONDTRUST_* environment variables."

    def handle(self, *args, **options):
        url = os.environ.get("BEYONDTRUST_URL", "").strip()
        if not url:
            self.stdout.write("portal_bootstrap: BEYONDTRUST_URL not set, nothing to do.")
            return
        style = os.environ.get("BEYONDTRUST_STYLE", "modern").strip().lower() or "modern"
        if style not in STYLES:
            raise CommandError(f"BEYONDTRUST_STYLE must be one of {', '.join(STYLES)}, not {style!r}.")
        values = {"kind": STYLES[style], "base_url": url.rstrip("/")}
        for env_name, field in (("BEYONDTRUST_CLIENT_ID", "client_id"),
                                ("BEYONDTRUST_CLIENT_SECRET", "client_secret")):
            if env_name in os.environ:
                values[field] = os.environ[env_name].strip()
        with transaction.atomic():
            site = Site.objects.select_related("backend").filter(is_default=True).first()
            backend = site.backend if site and site.backend.kind != Backend.Kind.PREVIEW else None
            if backend is None:
                backend = Backend(name="BeyondTrust (from environment)")
            for field, value in values.items():
                setattr(backend, field, value)
            try:
                backend.full_clean()
            except ValidationError as error:
                raise CommandError(f"Invalid BeyondTrust settings: {error.message_dict}") from error
            created = backend.pk is None
            backend.save()
            if site is None:
                site = Site.objects.create(name="Support", is_default=True, backend=backend)
            elif site.backend_id != backend.pk:
                site.backend = backend
                site.save(update_fields=["backend", "updated_at"])
        verb = "created" if created else "updated"
        self.stdout.write(self.style.SUCCESS(
            f"portal_bootstrap: {verb} backend '{backend.name}' ({style}, {backend.base_url}) "
            f"for site '{site.name}'; client secret {'set' if backend.client_secret else 'not set'}."
        ))
