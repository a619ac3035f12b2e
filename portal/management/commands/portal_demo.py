"""Load the demo: a default site on the Preview backend with issues and custom fields.

Idempotent: run it any number of times; it creates what is missing and leaves admin edits
alone. It also creates the `demo` superuser once and prints its random password that time.
"""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.models import Backend, CustomField, Issue, IssueTranslation, Site, SiteTranslation

ISSUES = [
    {"code_name": "printing", "display_name": "Printing problems", "order": 10, "priority": 2,
     "skills": "printing,windows", "description": "Printer offline, jobs stuck, scanning."},
    {"code_name": "email", "display_name": "Email and calendar", "order": 20, "priority": 2,
     "skills": "email"},
    {"code_name": "vpn", "display_name": "VPN and remote access", "order": 30, "priority": 1,
     "skills": "network"},
    {"code_name": "other", "display_name": "Something else", "order": 40},
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
                welcome_text="Our technicians can see your screen and help you right away.",
                consent_text="A technician will see your screen and may control it while you watch. "
                             "You can end the session at any time.",
                chat_mode=Site.ChatMode.CHOICE,
                company_code_field="optional", external_key_field="optional",
                external_key_label="Ticket number",
            )
            self.stdout.write(f"portal_demo: created site '{site.name}' on the Preview backend.")
        issues = {}
        for data in ISSUES:
            issue, created = Issue.objects.get_or_create(site=site, code_name=data["code_name"], defaults=data)
            issues[issue.code_name] = issue
            if created:
                self.stdout.write(f"portal_demo: created issue '{issue.display_name}'.")
        fields = [
            ({"code_name": "asset_tag", "label": "Asset tag", "max_length": 32,
              "help_text": "The sticker on your computer, e.g. LT-4471.", "order": 10}, []),
            ({"code_name": "printer_model", "label": "Printer model", "max_length": 100, "order": 20,
              "required": True}, ["printing"]),
            ({"code_name": "urgency", "label": "How urgent is it?", "field_type": CustomField.Type.CHOICE,
              "choices": "low|I can wait\nnormal|Today please\nhigh|I cannot work", "required": True,
              "order": 30, "max_length": 10}, []),
        ]
        for data, issue_codes in fields:
            field, created = CustomField.objects.get_or_create(site=site, code_name=data["code_name"], defaults=data)
            if created:
                field.issues.set([issues[code] for code in issue_codes if code in issues])
                self.stdout.write(f"portal_demo: created custom field '{field.label}'.")
        self.create_translations(site, issues)
        if not options["no_user"]:
            self.create_demo_user()

    def create_translations(self, site, issues):
        """German texts for the demo, to show per-language site and issue texts in admin."""
        SiteTranslation.objects.get_or_create(site=site, language="de", defaults={
            "welcome_text": "Unsere Techniker sehen Ihren Bildschirm und helfen Ihnen sofort.",
            "consent_text": "Ein Techniker sieht Ihren Bildschirm und darf ihn steuern, während Sie zusehen. "
                            "Sie können die Sitzung jederzeit beenden.",
        })
        names = {"printing": "Probleme beim Drucken", "email": "E-Mail und Kalender",
                 "vpn": "VPN und Fernzugriff", "other": "Etwas anderes"}
        for code, name in names.items():
            if code in issues:
                IssueTranslation.objects.get_or_create(issue=issues[code], language="de",
                                                       defaults={"display_name": name})

    def create_demo_user(self):
        User = get_user_model()
        if User.objects.filter(username="demo").exists():
            self.stdout.write("portal_demo: admin user 'demo' exists (its password was printed when it "
                              "was created; reset it with: .venv/bin/python manage.py changepassword demo).")
            return
        password = secrets.token_urlsafe(12)  # 16 characters: meets AUTH_PASSWORD_VALIDATORS
        validate_password(password)  # create_superuser does not check them; the demo keeps to them
        User.objects.create_superuser("demo", "demo@example.com", password)
        self.stdout.write(self.style.SUCCESS(
            f"portal_demo: created admin user 'demo' with password {password} (shown only this once)."
        ))
