"""Load the demo: a default site on the Preview backend with issues and custom fields, their
texts translated into all 16 languages (portal/management/demo_texts.py).

Idempotent: run it any number of times; it creates what is missing and leaves admin edits
alone (a translation's empty text is filled in, a written one is kept). A text an earlier demo
wrote and the demo now writes otherwise (`FORMER_TEXTS`) is brought up to date: only while it
is still exactly what the demo wrote. It also creates the
`demo` superuser once and prints its random password that time; the password is stored hashed
only, so later runs say how to set a new one (`--reset-password` writes a fresh random one).

`--banner URL` ends the output with where the demo and its admin are and how to log in, so
`make run` shows the login last, right above the server's own lines.
"""

import secrets
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from portal.management.demo_texts import FORMER_TEXTS, SITE_TEXT_FIELDS, SOURCE, TEXTS, urgency_choices
from portal.models import (
    Backend,
    CustomField,
    CustomFieldTranslation,
    Issue,
    IssueTranslation,
    Site,
    SiteTranslation,
)

ISSUES = [
    {"code_name": "printing", "order": 10, "priority": 2, "skills": "printing,windows"},
    {"code_name": "email", "order": 20, "priority": 2, "skills": "email"},
    {"code_name": "vpn", "order": 30, "priority": 1, "skills": "network"},
    {"code_name": "other", "order": 40},
]
FIELDS = [
    ({"code_name": "asset_tag", "max_length": 32, "order": 10}, []),
    ({"code_name": "printer_model", "max_length": 100, "order": 20, "required": True}, ["printing"]),
    (
        {
            "code_name": "urgency",
            "field_type": CustomField.Type.CHOICE,
            "choices": urgency_choices("en-us"),
            "required": True,
            "order": 30,
            "max_length": 10,
        },
        [],
    ),
]


class Command(BaseCommand):
    help = "Create the demo site, issues and custom fields (idempotent) and the demo superuser."

    def add_arguments(self, parser):
        parser.add_argument("--no-user", action="store_true", help="Do not create the demo superuser.")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="Give an existing demo superuser a new random password and print it.",
        )
        parser.add_argument(
            "--banner",
            metavar="URL",
            help="End with the demo's and the admin's address at URL and the login.",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        site = Site.objects.filter(is_default=True).first()
        if site is None:
            backend, _ = Backend.objects.get_or_create(
                name="Preview",
                kind=Backend.Kind.PREVIEW,
                defaults={"base_url": "https://support.example.com"},
            )
            site = Site.objects.create(
                name="Example Support",
                is_default=True,
                backend=backend,
                **{field: SOURCE[field] for field in SITE_TEXT_FIELDS},
                chat_mode=Site.ChatMode.CHOICE,
                company_code_field="optional",
                external_key_field="optional",
                # Reserved example addresses (RFC 2606, Ofcom's drama range): a footer to look at.
                contact_email="help@example.com",
                contact_phone="+44 20 7946 0000",
                contact_url="https://example.com/contact",
                privacy_url="https://example.com/privacy",
            )
            self.stdout.write(f"portal_demo: created site '{site.name}' on the Preview backend.")
        issues = {}
        for data in ISSUES:
            name, description = SOURCE["issues"][data["code_name"]]
            issue, created = Issue.objects.get_or_create(
                site=site,
                code_name=data["code_name"],
                defaults={**data, "display_name": name, "description": description},
            )
            issues[issue.code_name] = issue
            if created:
                self.stdout.write(f"portal_demo: created issue '{issue.display_name}'.")
        fields = {}
        for data, issue_codes in FIELDS:
            label, help_text = SOURCE["fields"][data["code_name"]]
            field, created = CustomField.objects.get_or_create(
                site=site,
                code_name=data["code_name"],
                defaults={**data, "label": label, "help_text": help_text},
            )
            fields[field.code_name] = field
            if created:
                field.issues.set([issues[code] for code in issue_codes if code in issues])
                self.stdout.write(f"portal_demo: created custom field '{field.label}'.")
        self.create_translations(site, issues, fields)
        login = (
            None
            if options["no_user"]
            else self.create_demo_user(
                reset=options["reset_password"],
                show_password=not options["banner"],
                make_run=make_run_for(options["banner"] or ""),
            )
        )
        if options["banner"]:
            self.write_banner(options["banner"].rstrip("/"), login)

    def create_translations(self, site, issues, fields):
        """The demo's texts in all 16 languages, as translations an admin can edit."""
        for language, texts in TEXTS.items():
            former = FORMER_TEXTS.get(language, {})
            fill(
                SiteTranslation,
                {"site": site, "language": language},
                {field: texts[field] for field in SITE_TEXT_FIELDS},
                former={field: former[field] for field in SITE_TEXT_FIELDS if field in former},
            )
            for code, issue in issues.items():
                name, description = texts["issues"][code]
                fill(
                    IssueTranslation,
                    {"issue": issue, "language": language},
                    {"display_name": name, "description": description},
                    former=former.get("issues", {}).get(code, {}),
                )
            for code, field in fields.items():
                label, help_text = texts["fields"][code]
                choices = urgency_choices(language) if code == "urgency" else ""
                fill(
                    CustomFieldTranslation,
                    {"field": field, "language": language},
                    {"label": label, "help_text": help_text, "choices": choices},
                    former=former.get("fields", {}).get(code, {}),
                )

    def create_demo_user(
        self, *, reset: bool = False, show_password: bool = True, make_run: str = "make run"
    ) -> list[str]:
        """Creates (or with `reset`, re-keys) the `demo` superuser; returns the login lines
        for the banner. Without a banner the password is printed right away."""
        User = get_user_model()
        user = User.objects.filter(username="demo").first()
        if user is not None and not reset:
            self.stdout.write(
                "portal_demo: admin user 'demo' exists (its password was printed when it "
                "was created; reset it with: .venv/bin/python manage.py changepassword demo)."
            )
            return [
                "user 'demo', password set earlier (stored hashed only, so not shown again)",
                f"new random one: {make_run} DEMO_PASSWORD_RESET=1",
                "or choose one:  .venv/bin/python manage.py changepassword demo",
            ]
        password = secrets.token_urlsafe(12)  # 16 characters: meets AUTH_PASSWORD_VALIDATORS
        validate_password(password)  # create_superuser does not check them; the demo keeps to them
        if user is None:
            User.objects.create_superuser("demo", "demo@example.com", password)
            done = "created admin user 'demo' with password"
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
            done = "gave admin user 'demo' the new password"
        shown = f"{password} (shown only this once)" if show_password else "shown in the lines below"
        self.stdout.write(self.style.SUCCESS(f"portal_demo: {done} {shown}."))
        return [f"user 'demo', password {password}"]

    def write_banner(self, base_url: str, login: list[str] | None) -> None:
        self.stdout.write("")
        self.stdout.write(f"  Support Portal demo:  {base_url}/")
        self.stdout.write(f"  Admin:                {base_url}{reverse('admin:index')}")
        for line in login or []:
            self.stdout.write(f"                        {line}")
        self.stdout.write("")


def make_run_for(banner: str) -> str:
    """`make run` as it was run to serve the banner's address: with its port unless it is the
    Makefile's default (8000), so the advice on the banner serves the same address again."""
    port = urlsplit(banner).port if banner else None
    return f"make run PORT={port}" if port and port != 8000 else "make run"


def fill(model, keys: dict, texts: dict, *, former: dict[str, tuple[str, ...]] | None = None) -> None:
    """Creates the translation row, or fills in its empty texts and replaces those still as an
    earlier demo wrote them (`former`, per field): what an admin wrote stays."""
    row, created = model.objects.get_or_create(**keys, defaults=texts)
    if created:
        return
    former = former or {}
    missing = {
        name: value
        for name, value in texts.items()
        if value and (not getattr(row, name) or getattr(row, name) in former.get(name, ()))
    }
    if missing:
        for name, value in missing.items():
            setattr(row, name, value)
        row.save(update_fields=list(missing))
