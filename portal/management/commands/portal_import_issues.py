"""Import a site's issues from its BeyondTrust appliance (`get_support_teams`;
docs/decisions/0041-appliance-admin-actions.md).

    manage.py portal_import_issues --site "Acme Support"

The same as the backend admin action *Import issues from appliance*, for one site: creates or
updates issues by code name, never deletes, and prints what changed.
"""

from django.core.management.base import BaseCommand, CommandError

from portal import appliance
from portal.management.sites import site_from_argument


class Command(BaseCommand):
    help = (
        "Create or update a site's issues from its BeyondTrust appliance's support teams, "
        "by code name (never deletes), and print what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--site", required=True, help="The site's name or pk.")

    def handle(self, *args, **options):
        site = site_from_argument(options["site"])
        if not site.backend.adapter.imports_issues:
            raise CommandError(f"Site {site.name}'s backend is not a BeyondTrust appliance.")
        try:
            (report,), skipped = appliance.import_issues(backend=site.backend, sites=[site])
        except (appliance.ApplianceError, ValueError) as error:
            # The note's English wording, whatever language is active: the command speaks
            # English to the operator's terminal and log (docs/decisions/0041-appliance-admin-actions.md).
            raise CommandError(appliance.import_failure(error).text) from None
        for issue in report.created:
            self.stdout.write(
                f"created  {issue.code_name}: {issue.display_name!r} "
                f"(id {issue.vendor_id if issue.vendor_id is not None else '-'})"
            )
        for code_name, changes in report.updated.items():
            described = ", ".join(f"{name} {old!r} -> {new!r}" for name, (old, new) in changes.items())
            self.stdout.write(f"updated  {code_name}: {described}")
        if skipped:
            self.stdout.write(f"skipped  {skipped} appliance issue(s) without a usable code name")
        self.stdout.write(
            f"{site.name}: {len(report.created)} created, {len(report.updated)} "
            f"updated, {report.unchanged} unchanged."
        )
