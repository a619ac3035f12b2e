"""Create, list and revoke integrations API tokens (docs/decisions/0028-api-token-hashing.md).

manage.py portal_token --site "Acme Support" --name Zendesk   # prints the new token once
manage.py portal_token --list
manage.py portal_token --revoke sp_AbC1234
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal.management.sites import site_from_argument
from portal.models import TOKEN_NAME_MAX_CHARS, ApiToken
from portal.tokens import create_api_token, revoke_api_token, validate_token_name


class Command(BaseCommand):
    help = (
        "Create an API token for a site (printed once, stored hashed), list tokens, "
        "or revoke one by its prefix."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--site", help="Create a token for this site (name or pk).")
        action.add_argument("--list", action="store_true", help="List tokens (never the secrets).")
        action.add_argument("--revoke", metavar="PREFIX", help="Revoke the token with this prefix.")
        parser.add_argument("--name", default="", help="Who uses the new token, e.g. Zendesk.")

    def handle(self, *args, **options):
        if options["list"]:
            return self.list_tokens()
        if options["revoke"]:
            return self.revoke(options["revoke"].strip())
        name = self.checked_name(options["name"])
        site = site_from_argument(options["site"])
        new = create_api_token(site=site, name=name)
        self.stdout.write(
            f'Created API token {new.token.prefix}… "{new.token.name}" for site '
            f"{site.name} (pk {site.pk}). It is shown only now; store it safely:"
        )
        self.stdout.write(new.secret)

    def checked_name(self, name: str) -> str:
        """The trimmed name, "API token" when blank; refused as the admin's form refuses it
        (a longer name was cut at 100 characters before: now it is refused, not cut)."""
        name = name.strip() or "API token"
        if len(name) > TOKEN_NAME_MAX_CHARS:
            raise CommandError(f"--name: at most {TOKEN_NAME_MAX_CHARS} characters, not {len(name)}.")
        try:
            validate_token_name(name)
        except ValidationError as error:
            raise CommandError(f"--name: {' '.join(error.messages)}") from error
        return name

    def list_tokens(self):
        tokens = ApiToken.objects.select_related("site").order_by("site__name", "-created_at")
        if not tokens:
            self.stdout.write("No API tokens.")
        for token in tokens:
            last_used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            self.stdout.write(
                f"{token.prefix}  {token.site.name}  {token.name}  "
                f"created {token.created_at:%Y-%m-%d %H:%M}  last used {last_used}  {state}"
            )

    def revoke(self, prefix):
        matches = list(ApiToken.objects.filter(prefix=prefix)[:2])
        if not matches:
            raise CommandError(f"No API token with prefix {prefix!r}: see --list.")
        if len(matches) > 1:
            raise CommandError(f"Several tokens share the prefix {prefix!r}: revoke them in admin.")
        token = matches[0]
        if revoke_api_token(token=token):
            self.stdout.write(f'Revoked API token {token.prefix}… "{token.name}".')
        else:
            self.stdout.write(
                f"API token {token.prefix}… was already revoked on {token.revoked_at:%Y-%m-%d %H:%M}."
            )
