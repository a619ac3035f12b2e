"""`manage.py portal_privacy export|erase --email X | --external-key Y` (docs/privacy.md)."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal.privacy import services
from portal.privacy.holders import Subject


class Command(BaseCommand):
    help = (
        "Exports (JSON) or erases everything the portal holds about one customer: start "
        "records, webhook events and their deliveries, and what other apps register."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["export", "erase"])
        parser.add_argument("--email", default="")
        parser.add_argument("--external-key", default="")
        parser.add_argument("--output", help="Write the export to this file instead of standard output.")
        parser.add_argument(
            "--no-input", action="store_false", dest="interactive", help="Erase without asking."
        )

    def handle(self, *args, action, email, external_key, output, interactive, **options):
        try:
            subject = Subject(email=email, external_key=external_key)
        except ValueError as error:
            raise CommandError("Give --email or --external-key (or both).") from error
        if action == "export":
            document = json.dumps(services.export(subject), ensure_ascii=False, indent=2)
            if output:
                with open(output, "w", encoding="utf-8") as file:
                    file.write(document + "\n")
                self.stderr.write(f"Written to {output}.")
            else:
                self.stdout.write(document)
            return
        if interactive:
            answer = input("Erase everything the portal holds about this customer? Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing erased.")
        with transaction.atomic():
            counts = services.erase(subject)
        self.stdout.write(services.erased_text(counts))
