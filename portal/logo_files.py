"""A site's uploaded logos leave the disk once no site names them: after a replace, a clear or
the site's deletion, when the transaction commits (docs/decisions/0038-branding-without-script.md).

Files are removed only after the commit, so a rolled-back save still finds its logo; only
under `LOGO_FOLDER`, whatever a row says; and only when no site names the file, since a copied
site shares its logo's file. `portal/signals.py` connects these to `Site`'s signals.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from pathlib import PurePosixPath

from django.db import transaction
from django.db.models import Q

from portal.models import LOGO_FOLDER, Site

log = logging.getLogger(__name__)

LOGO_FIELDS = ("logo", "logo_dark")


def logo_names(site: Site) -> set[str]:
    """The names of the files `site` shows, as it stands in memory."""
    return {getattr(site, field).name for field in LOGO_FIELDS if getattr(site, field).name}


def stored_logo_names(*, site: Site, using: str) -> set[str]:
    """The names the site's row holds now, before a save changes them."""
    if site.pk is None:
        return set()
    row = Site.objects.using(using).filter(pk=site.pk).values_list(*LOGO_FIELDS).first()
    return {name for name in row or () if name}


def in_logo_folder(name: str) -> bool:
    path = PurePosixPath(name)
    folder = PurePosixPath(LOGO_FOLDER)
    return (
        not path.is_absolute()
        and ".." not in path.parts
        and len(path.parts) > len(folder.parts)
        and path.parts[: len(folder.parts)] == folder.parts
    )


def remove_unused_logos(*, names: Iterable[str], using: str) -> None:
    """Delete each of `names` that lies in the logos folder and no site names; a file already
    gone is no error."""
    storage = Site.logo.field.storage
    for name in sorted(set(names)):
        if not in_logo_folder(name):
            log.warning("logo file %r is outside %s: left in place", name, LOGO_FOLDER)
            continue
        if Site.objects.using(using).filter(Q(logo=name) | Q(logo_dark=name)).exists():
            continue
        storage.delete(name)  # FileSystemStorage: a file already gone is no error


def remove_after_commit(*, names: Iterable[str], using: str) -> None:
    """`remove_unused_logos` once the transaction commits; nothing if it rolls back. A disk error
    is logged, never turned into a failed admin save (`robust`)."""
    names = set(names)
    if names:
        transaction.on_commit(
            partial(remove_unused_logos, names=names, using=using), using=using, robust=True
        )
