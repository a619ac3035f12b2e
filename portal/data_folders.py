"""The folders the portal writes to (PORTAL_DATA_DIR, or DATABASE_URL's, DJANGO_MEDIA_ROOT's and
PORTAL_CACHE_DIR's own: the SQLite file, uploaded logos, the disk cache) checked
before anything writes there: a folder it may not write stops the start with one line naming
the folder, the user the portal runs as and the fix, not a PermissionError traceback from
wherever the first write happened (docs/decisions/0124-unwritable-data-folder.md).

Imported by the settings, so nothing here reads Django's settings.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# manage.py's exit status for a folder the portal may not write: EX_CONFIG (sysexits.h). The
# image's worker waits out a database that is not ready yet, never this (docker-entrypoint.sh).
EXIT_STATUS = 78


class FolderNotWritable(ImproperlyConfigured):
    """A folder the portal must write to is not writable by the user it runs as; its message
    is the one line manage.py prints."""

    def __init__(self, folder: Path, variable: str, *, blocking: Path | None = None) -> None:
        self.folder = folder
        blocking = blocking or folder
        where = (
            f"cannot write to {folder}"
            if blocking == folder
            else f"cannot write to {folder} ({blocking} is not writable)"
        )
        super().__init__(
            f"Support Portal {where}, the folder {variable} names, as {running_as()}: give it to"
            f" that user (chown -R {os.geteuid()}:{os.getegid()}, on the host folder if it is"
            " bind-mounted), run the portal as the folder's owner (docker run --user), or set"
            f' {variable} to a folder that user can write (README, "Running in production").'
        )


def running_as() -> str:
    """ "uid 10001 (portal), gid 10001": `docker run --user` may give a uid no passwd entry names."""
    uid, gid = os.geteuid(), os.getegid()
    try:
        return f"uid {uid} ({pwd.getpwuid(uid).pw_name}), gid {gid}"
    except KeyError:
        return f"uid {uid}, gid {gid}"


def not_writable(folder: Path) -> Path | None:
    """The folder, or the nearest of its parents that exists when it does not, if the portal's
    user may not create files in it (or it is on a read-only file system); None when it may."""
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.is_dir() and os.access(existing, os.W_OK | os.X_OK):
        return None
    return existing


def require_writable(folder: Path, variable: str) -> None:
    """Raises FolderNotWritable unless the portal may write in `folder` (or create it)."""
    if (blocking := not_writable(folder)) is not None:
        raise FolderNotWritable(folder, variable, blocking=blocking)


def create(folder: Path, variable: str, *, mode: int = 0o777) -> None:
    """Creates `folder` (and its parents) if missing; FolderNotWritable when it cannot, or when
    it exists and the portal may not write in it."""
    require_writable(folder, variable)
    try:
        folder.mkdir(mode=mode, parents=True, exist_ok=True)
    except PermissionError:
        raise FolderNotWritable(folder, variable, blocking=not_writable(folder)) from None
    require_writable(folder, variable)


def first_not_writable(folder: Path) -> Path | None:
    """`folder` or the first folder or file inside it (one level down: the disk cache's shards
    and their files) the portal's user may not write: a cache folder created by another user
    (a `manage.py` run as root) holds shards the portal cannot open."""
    if (blocking := not_writable(folder)) is not None:
        return blocking
    for path in sorted(folder.rglob("*")):
        if len(path.relative_to(folder).parts) <= 2 and not os.access(path, os.W_OK):
            return path
    return None


def require_sqlite_writable(name: str, variable: str) -> None:
    """The SQLite database file `name` (Django's NAME): its folder created if missing, and
    FolderNotWritable when the folder, or the file in it, is not writable (a file left by a
    `manage.py` run as root). An in-memory database has neither."""
    if name == ":memory:" or name.startswith("file:"):
        return
    database = Path(name)
    create(database.parent, variable)
    if database.exists() and not os.access(database, os.W_OK):
        raise FolderNotWritable(database.parent, variable, blocking=database)
