"""Load the demo: a default site on the Preview backend with issues and custom fields, their
texts translated into all 16 languages (portal/management/demo_texts.py).

Idempotent: run it any number of times; it creates what is missing and leaves admin edits
alone (a translation's empty text is filled in, a written one is kept). It also creates the
`demo` superuser once and prints its random password that time.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.management.demo_texts import SITE_TEXT_FIELDS, SOURCE, TEXTS, urgency_choices
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
    ({"code_name": "urgency", "field_type": CustomField.Type.CHOICE, "choices": urgency_choices("en-us"),
      "required": True, "order": 30, "max_length": 10}, []),
]


class Command(BaseCommand):
    help = "Create the demo site, issues and custom fields (idempotent) and the demo superuser."

    def add_arguments(self, parser):
        parser.add_argument("--no-user", action="store_true", help="Do not create the demo superuser.")

    @transaction.atomic
    def handle(self, *args, **options):
        site = Site.objects.filter(is_default=True).first()
        if site is None:
            backend, _ = Backend.objects.get_or_create(
                name="Preview", kind=Backend.Kind.PREVIEW,
                defaults={"base_url": "https://support.example.com"},
            )
            site = Site.objects.create(
                name="Example Support", is_default=True, backend=backend,
                **{field: SOURCE[field] for field in SITE_TEXT_FIELDS},
                chat_mode=Site.ChatMode.CHOICE,
                company_code_field="optional", external_key_field="optional",
                # Reserved example addresses (RFC 2606, Ofcom's drama range): a footer to look at.
                contact_email="help@example.com", contact_phone="+44 20 7946 0000",
                contact_url="https://example.com/contact", privacy_url="https://example.com/privacy",
            )
            self.stdout.write(f"portal_demo: created site '{site.name}' on the Preview backend.")
        issues = {}
        for data in ISSUES:
            name, description = SOURCE["issues"][data["code_name"]]
            issue, created = Issue.objects.get_or_create(
                site=site, code_name=data["code_name"],
                defaults={**data, "display_name": name, "description": description})
            issues[issue.code_name] = issue
            if created:
                self.stdout.write(f"portal_demo: created issue '{issue.display_name}'.")
        fields = {}
        for data, issue_codes in FIELDS:
            label, help_text = SOURCE["fields"][data["code_name"]]
            field, created = CustomField.objects.get_or_create(
                site=site, code_name=data["code_name"], defaults={**data, "label": label, "help_text": help_text})
            fields[field.code_name] = field
            if created:
                field.issues.set([issues[code] for code in issue_codes if code in issues])
                self.stdout.write(f"portal_demo: created custom field '{field.label}'.")
        self.create_translations(site, issues, fields)
        if not options["no_user"]:
            self.create_demo_user()

    def create_translations(self, site, issues, fields):
        """The demo's texts in all 16 languages, as translations an admin can edit."""
        for language, texts in TEXTS.items():
            fill(SiteTranslation, {"site": site, "language": language},
                 {field: texts[field] for field in SITE_TEXT_FIELDS})
            for code, issue in issues.items():
                name, description = texts["issues"][code]
                fill(IssueTranslation, {"issue": issue, "language": language},
                     {"display_name": name, "description": description})
            for code, field in fields.items():
                label, help_text = texts["fields"][code]
                choices = urgency_choices(language) if code == "urgency" else ""
                fill(CustomFieldTranslation, {"field": field, "language": language},
                     {"label": label, "help_text": help_text, "choices": choices})

    def create_demo_user(self):
        User = get_user_model()
        if User.objects.filter(username="demo").exists():
            self.stdout.write("portal_demo: admin user 'demo' exists (its password was printed when it "
                              "was created; reset it with: .venv/bin/python manage.py changepassword demo).")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("demo", "demo@example.com", password)
        self.stdout.write(self.style.SUCCESS(
            f"portal_demo: created admin user 'demo' with password {password} (shown only this once)."
        ))


def fill(model, keys: dict, texts: dict) -> None:
    """Creates the translation row, or fills in its empty texts: what an admin wrote stays."""
    row, created = model.objects.get_or_create(**keys, defaults=texts)
    if created:
        return
    missing = {name: value for name, value in texts.items() if value and not getattr(row, name)}
    if missing:
        for name, value in missing.items():
            setattr(row, name, value)
        row.save(update_fields=list(missing))
