"""`createsuperuser`, with the password validators on `--noinput` too.

Django checks AUTH_PASSWORD_VALIDATORS only when it asks for the password at the prompt; with
`--noinput` it took DJANGO_SUPERUSER_PASSWORD as it was, so "short" made a superuser, the
account that can read every site's vendor credentials, with a password the portal's rules
refuse. Here such a password stops the command before anything is saved, with the validators'
own messages; the prompt is Django's, unchanged. Without DJANGO_SUPERUSER_PASSWORD the user
gets no usable password, as in Django (set one with `changepassword`, which validates it).
"""

import os

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

PASSWORD_VARIABLE = "DJANGO_SUPERUSER_PASSWORD"


class Command(createsuperuser.Command):
    def handle(self, *args, **options):
        if not options["interactive"] and PASSWORD_VARIABLE in os.environ:
            try:
                validate_password(os.environ[PASSWORD_VARIABLE], self.UserModel(**self.named(options)))
            except ValidationError as error:
                raise CommandError(
                    f"{PASSWORD_VARIABLE} does not meet the password rules, no user was created: "
                    + " ".join(error.messages)
                ) from error
        return super().handle(*args, **options)

    def named(self, options) -> dict[str, str]:
        """The new user's name and plain fields (the e-mail address), as Django's `--noinput`
        reads them, option first, then DJANGO_SUPERUSER_<FIELD>: the similarity validator
        refuses a password that repeats them."""
        values = {}
        for name in (self.username_field.name, *self.UserModel.REQUIRED_FIELDS):
            field = self.UserModel._meta.get_field(name)
            value = options.get(name) or os.environ.get(f"DJANGO_SUPERUSER_{name.upper()}")
            if value and not field.is_relation:
                values[name] = value
        return values
