"""A site's uploaded logos leave the disk once no site names them: after a replace, a clear or
the site's deletion, when the transaction commits (docs/decisions/0038-branding-without-script.md).

Files are removed only after the commit, so a rolled-back save still finds its logo; only
under `LOGO_FOLDER`, whatever a row says; and only when no site names the file, since a copied
site shares its logo's file. `portal/signals.py` connects these to `Site`'s signals.

Files orphaned before that (or by a crash between a commit and its removal) are found by
`unused_logo_files` and removed by `manage.py portal_prune_logos`.
"""

from __future__ import annotations

import logging
import os
import posixpath
import stat
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path, PurePosixPath

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models import Q

from portal.models import LOGO_FOLDER, Site

log = logging.getLogger(__name__)

LOGO_FIELDS = ("logo", "logo_dark")

# An upload is written to disk before the save that names it commits: a file younger than this
# may be a logo an admin is saving right now, so the prune keeps it.
UPLOAD_GRACE = timedelta(hours=1)


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


def remove_unused_logos(*, names: Iterable[str], using: str) -> list[str]:
    """Delete each of `names` that lies in the logos folder and no site names; a file already
    gone is no error. Returns the names it deleted: not one another prune or an admin's save
    removed first (FileSystemStorage.delete passes over it without saying)."""
    storage = Site.logo.field.storage
    removed = []
    for name in sorted(set(names)):
        if not in_logo_folder(name):
            log.warning("logo file %r is outside %s: left in place", name, LOGO_FOLDER)
            continue
        if _is_text(name) and Site.objects.using(using).filter(Q(logo=name) | Q(logo_dark=name)).exists():
            continue
        if _deleted(storage, name):
            removed.append(name)
    return removed


def _deleted(storage: Storage, name: str) -> bool:
    """Delete `name`; whether this call removed it (False: it was already gone)."""
    try:
        path = storage.path(name)
    except NotImplementedError:  # no local disk: the storage says nothing more
        storage.delete(name)
        return True
    try:
        os.remove(path)
    except FileNotFoundError:
        return False
    return True


def _is_text(name: str) -> bool:
    """Whether a name read from the disk is text a database can hold: one in another encoding
    (its bytes kept as surrogates, os.fsdecode) is named by no site, and asking would fail."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def remove_after_commit(*, names: Iterable[str], using: str) -> None:
    """`remove_unused_logos` once the transaction commits; nothing if it rolls back. A disk error
    is logged, never turned into a failed admin save (`robust`)."""
    names = set(names)
    if names:
        transaction.on_commit(
            partial(remove_unused_logos, names=names, using=using), using=using, robust=True
        )


class LogoFolderError(Exception):
    """The logos folder cannot be searched safely (not on the local disk, or a symlink)."""


@dataclass
class LogoFolderContents:
    """What `unused_logo_files` found under `LOGO_FOLDER`, as storage names."""

    folder: str = ""  # where it looked, on this machine's disk (MEDIA_ROOT/logos)
    exists: bool = True  # False: no logo was ever stored under this MEDIA_ROOT
    unused: list[str] = field(default_factory=list)  # no site names them: safe to remove
    recent: list[str] = field(default_factory=list)  # unnamed but within UPLOAD_GRACE: kept
    not_files: list[str] = field(default_factory=list)  # symlinks, folders' links, devices: never touched


def named_logo_files(*, using: str) -> set[str]:
    """Every name a site's `logo` or `logo_dark` holds, normalised as the disk would spell it."""
    rows = Site.objects.using(using).values_list(*LOGO_FIELDS)
    return {posixpath.normpath(name) for row in rows for name in row if name}


def unused_logo_files(*, using: str, now: float | None = None) -> LogoFolderContents:
    """The regular files under `LOGO_FOLDER` that no site names, without following a symlink
    out of it; the rest of `MEDIA_ROOT` is never read (docs/decisions/0038-branding-without-script.md).
    A file gone between the folder's listing and its own look is gone: not listed, no error."""
    storage = Site.logo.field.storage
    try:
        location = Path(storage.path(""))
        folder = Path(storage.path(LOGO_FOLDER))
    except NotImplementedError as error:
        raise LogoFolderError("the logos are not stored on this machine's disk") from error
    if folder.is_symlink():
        raise LogoFolderError(f"{folder} is a symlink; prune the folder it points to where it lies")
    found = LogoFolderContents(folder=str(folder))
    if not folder.is_dir():
        found.exists = False
        return found
    named = named_logo_files(using=using)
    oldest_upload = (time.time() if now is None else now) - UPLOAD_GRACE.total_seconds()
    for parent, folders, files in os.walk(folder, followlinks=False):
        for entry in sorted(files + [name for name in folders if Path(parent, name).is_symlink()]):
            path = Path(parent, entry)
            name = path.relative_to(location).as_posix()
            try:
                info = path.lstat()
            except FileNotFoundError:  # removed since the listing (another prune, an admin's save)
                continue
            if not stat.S_ISREG(info.st_mode):
                found.not_files.append(name)
            elif not in_logo_folder(name) or name in named:
                continue
            elif info.st_mtime > oldest_upload:
                found.recent.append(name)
            else:
                found.unused.append(name)
    for names in (found.unused, found.recent, found.not_files):
        names.sort()
    return found
