"""Remove logo files that no site names any more (docs/decisions/0038-branding-without-script.md).

manage.py portal_prune_logos --dry-run   # lists what it would remove
manage.py portal_prune_logos
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from portal.logo_files import UPLOAD_GRACE, LogoFolderError, remove_unused_logos, unused_logo_files
from portal.models import LOGO_FOLDER


def shown(name: str) -> str:
    """A file name as a terminal can print it, whatever bytes the disk holds."""
    return name.encode("utf-8", "backslashreplace").decode("utf-8")


def files(count: int) -> str:
    return f"{count} unused logo file" if count == 1 else f"{count} unused logo files"


class Command(BaseCommand):
    help = (
        f"Remove files in MEDIA_ROOT/{LOGO_FOLDER} that no site's logo or dark logo names "
        "(left by replaces before unused logos were removed, or by a crash)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="List the files; remove nothing.")

    def handle(self, *args, **options):
        try:
            found = unused_logo_files(using=DEFAULT_DB_ALIAS)
        except LogoFolderError as error:
            raise CommandError(f"portal_prune_logos: {error}.") from error
        if not found.exists:
            # A mistyped DJANGO_MEDIA_ROOT would otherwise read as "removed 0": all clean.
            self.stdout.write(
                f"portal_prune_logos: {shown(found.folder)} does not exist: no logo was ever uploaded "
                "under this MEDIA_ROOT (DJANGO_MEDIA_ROOT, by default media/ in PORTAL_DATA_DIR). "
                "Nothing to remove."
            )
            return
        minutes = int(UPLOAD_GRACE.total_seconds() // 60)
        for name in found.recent:
            self.stdout.write(
                f"Kept {shown(name)}: written in the last {minutes} minutes, it may be an upload being saved."
            )
        for name in found.not_files:
            self.stdout.write(f"Left {shown(name)}: not a regular file (a symlink or a device).")
        if options["dry_run"]:
            for name in found.unused:
                self.stdout.write(f"Would remove {shown(name)}")
            self.stdout.write(
                f"portal_prune_logos: would remove {files(len(found.unused))} from "
                f"{shown(found.folder)} (dry run: nothing was removed)."
            )
            return
        # Each name is checked against the sites again just before it goes.
        removed = remove_unused_logos(names=found.unused, using=DEFAULT_DB_ALIAS)
        for name in removed:
            self.stdout.write(f"Removed {shown(name)}")
        self.stdout.write(f"portal_prune_logos: removed {files(len(removed))} from {shown(found.folder)}.")
