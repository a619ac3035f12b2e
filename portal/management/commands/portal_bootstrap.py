"""Create or update the default site's backend from the environment. Idempotent.

BeyondTrust: BEYONDTRUST_URL (required to act), BEYONDTRUST_CLIENT_ID, BEYONDTRUST_CLIENT_SECRET,
BEYONDTRUST_STYLE (modern | legacy).
Take Control: TAKECONTROL_API_URL (required to act; the API domain from Profile > APIs, e.g.
https://api.us0.swi-rc.com/rest), TAKECONTROL_UID, TAKECONTROL_PUBLIC_KEY,
TAKECONTROL_PRIVATE_KEY, TAKECONTROL_MODE (redirect | rest).

Set one vendor's URL, not both. Without either it does nothing, so `make run` and the Docker
entrypoint can always call it. Secrets are never printed.

Settings the vendor would refuse are refused as in admin (Backend.clean_settings: e.g. a Take
Control redirect mode without TAKECONTROL_UID, REST mode without TAKECONTROL_PUBLIC_KEY, a
client ID without its secret), and nothing is saved. What the default site asks of the new
backend but the environment cannot change (a representative list without API credentials,
chat-only on a legacy backend) is printed as a warning: the site's other flows still work,
and the admin fixes the site.
"""

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.models import Backend, Site
from portal.vendors.registry import kinds_of

# BEYONDTRUST_STYLE names the kind (modern or legacy); TAKECONTROL_API_URL means Take Control's.
STYLES = {kind: kind for kind in kinds_of("BeyondTrust")}
[TAKECONTROL_KIND] = kinds_of("Take Control")
# The variable to fix for each backend field an error names (never its value).
ENV_NAMES = {
    "BeyondTrust": {
        "base_url": "BEYONDTRUST_URL",
        "client_id": "BEYONDTRUST_CLIENT_ID",
        "client_secret": "BEYONDTRUST_CLIENT_SECRET",
        "kind": "BEYONDTRUST_STYLE",
    },
    "Take Control": {
        "base_url": "TAKECONTROL_API_URL",
        "tc_uid": "TAKECONTROL_UID",
        "tc_public_key": "TAKECONTROL_PUBLIC_KEY",
        "tc_private_key": "TAKECONTROL_PRIVATE_KEY",
        "tc_mode": "TAKECONTROL_MODE",
    },
}
TAKECONTROL_MODES = {mode.value: mode for mode in Backend.TakeControlMode}


def env_values(pairs) -> dict:
    """Model field values for the environment variables that are set (even to empty)."""
    return {field: os.environ[name].strip() for name, field in pairs if name in os.environ}


class Command(BaseCommand):
    help = "Configure the default site's backend from BEYONDTRUST_* or TAKECONTROL_* environment variables."

    def handle(self, *args, **options):
        beyondtrust_url = os.environ.get("BEYONDTRUST_URL", "").strip()
        takecontrol_url = os.environ.get("TAKECONTROL_API_URL", "").strip()
        if beyondtrust_url and takecontrol_url:
            raise CommandError(
                "Set BEYONDTRUST_URL or TAKECONTROL_API_URL, not both: the default site has one backend."
            )
        if takecontrol_url:
            return self.bootstrap_takecontrol(takecontrol_url)
        if beyondtrust_url:
            return self.bootstrap_beyondtrust(beyondtrust_url)
        self.stdout.write("portal_bootstrap: BEYONDTRUST_URL and TAKECONTROL_API_URL not set, nothing to do.")

    def bootstrap_beyondtrust(self, url: str):
        style = os.environ.get("BEYONDTRUST_STYLE", "modern").strip().lower() or "modern"
        if style not in STYLES:
            raise CommandError(f"BEYONDTRUST_STYLE must be one of {', '.join(STYLES)}, not {style!r}.")
        values = {
            "kind": STYLES[style],
            "base_url": url.rstrip("/"),
            **env_values(
                [("BEYONDTRUST_CLIENT_ID", "client_id"), ("BEYONDTRUST_CLIENT_SECRET", "client_secret")]
            ),
        }
        backend, site, created = self.save_default_backend(
            values,
            reuse=lambda b: not b.adapter.is_preview,
            new_name="BeyondTrust (from environment)",
            vendor="BeyondTrust",
        )
        verb = "created" if created else "updated"
        self.stdout.write(
            self.style.SUCCESS(
                f"portal_bootstrap: {verb} backend '{backend.name}' ({style}, {backend.base_url}) "
                f"for site '{site.name}'; client secret {'set' if backend.client_secret else 'not set'}."
            )
        )
        self.warn_about_site(site, backend)

    def bootstrap_takecontrol(self, url: str):
        mode = os.environ.get("TAKECONTROL_MODE", "redirect").strip().lower() or "redirect"
        if mode not in TAKECONTROL_MODES:
            raise CommandError(
                f"TAKECONTROL_MODE must be one of {', '.join(TAKECONTROL_MODES)}, not {mode!r}."
            )
        values = {
            "kind": TAKECONTROL_KIND,
            "base_url": url.rstrip("/"),
            "tc_mode": TAKECONTROL_MODES[mode],
            **env_values(
                [
                    ("TAKECONTROL_UID", "tc_uid"),
                    ("TAKECONTROL_PUBLIC_KEY", "tc_public_key"),
                    ("TAKECONTROL_PRIVATE_KEY", "tc_private_key"),
                ]
            ),
        }
        # A BeyondTrust backend on the site is left as it was, so switching back is one edit.
        backend, site, created = self.save_default_backend(
            values,
            reuse=lambda b: b.adapter.vendor == "Take Control",
            new_name="Take Control (from environment)",
            vendor="Take Control",
        )
        verb = "created" if created else "updated"
        state = ", ".join(
            f"{label} {'set' if getattr(backend, field) else 'not set'}"
            for label, field in (
                ("uid", "tc_uid"),
                ("public key", "tc_public_key"),
                ("private key", "tc_private_key"),
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"portal_bootstrap: {verb} backend '{backend.name}' (Take Control, {mode}, "
                f"{backend.base_url}) for site '{site.name}'; {state}."
            )
        )
        self.warn_about_site(site, backend)

    def warn_about_site(self, site: Site, backend: Backend):
        """What the site asks of the backend that it cannot do: the admin changes the site."""
        for message in site.backend_problems(backend).values():
            self.stdout.write(self.style.WARNING(f"portal_bootstrap: site '{site.name}': {message}"))

    def save_default_backend(self, values: dict, *, reuse, new_name: str, vendor: str):
        """Writes `values` to the default site's backend (when `reuse` accepts it) or a new one."""
        with transaction.atomic():
            site = Site.objects.select_related("backend").filter(is_default=True).first()
            backend = site.backend if site and reuse(site.backend) else None
            if backend is None:
                backend = Backend(name=new_name)
            for field, value in values.items():
                setattr(backend, field, value)
            try:
                # The backend's own settings, as admin checks them; the site is checked below.
                backend.clean_fields()
                backend.clean_settings()
            except ValidationError as error:
                # Variable names and our messages only: a message never quotes a secret value.
                names = ENV_NAMES[vendor]
                problems = "; ".join(
                    f"{names.get(field, field)}: {' '.join(messages)}"
                    for field, messages in error.message_dict.items()
                )
                raise CommandError(f"Invalid {vendor} settings: {problems}") from error
            created = backend.pk is None
            backend.save()
            if site is None:
                site = Site.objects.create(name="Support", is_default=True, backend=backend)
            elif site.backend_id != backend.pk:
                site.backend = backend
                site.save(update_fields=["backend", "updated_at"])
        return backend, site, created
