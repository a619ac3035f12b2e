#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    from django.core.management import execute_from_command_line

    from portal.data_folders import EXIT_STATUS, FolderNotWritable

    try:
        execute_from_command_line(sys.argv)
    except FolderNotWritable as error:
        # One line naming the folder, the user and the fix; no wait or retry mends it.
        print(error, file=sys.stderr)
        sys.exit(EXIT_STATUS)


if __name__ == "__main__":
    main()
