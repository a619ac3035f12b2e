"""A data folder the portal may not write (a root-owned host folder bind-mounted on /data, an
`.env` naming /data on a laptop) stops `manage.py` with one line naming the folder, the user the
portal runs as and the fix, never a traceback
(docs/decisions/0124-unwritable-data-folder.md).

The folders are made unwritable with chmod and the commands run as an unprivileged user: the
test's own when it is not root; as root (for whom chmod forbids nothing), uid 65534 through
util-linux `setpriv`. The image's entrypoint: tests/server/test_entrypoint.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOBODY = 65534


def unprivileged() -> list[str]:
    """The prefix that runs a command as a user chmod binds: none when the tests are not root.

    The user keeps one capability, CAP_DAC_READ_SEARCH: it reads and enters every folder, so
    the checkout runs wherever it lies (CI clones into a folder only root may enter), while
    writing stays bound by the modes the tests set, which is what they are about."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without util-linux setpriv: no unprivileged user to run as")
    return [
        "setpriv",
        f"--reuid={NOBODY}",
        f"--regid={NOBODY}",
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
    ]


def runs_as() -> int:
    return NOBODY if os.geteuid() == 0 else os.geteuid()


def portal_environment(**variables: str) -> dict[str, str]:
    """The environment of a fresh start: none of the test run's portal variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_", "PORTAL_"))}
    env.pop("CACHE_URL", None)
    env.update(PORTAL_HTTPS="false", **variables)
    return env


@pytest.fixture
def folder() -> Iterator[Path]:
    """A folder every user may enter (pytest's tmp_path is its owner's alone), mode 755."""
    path = Path(tempfile.mkdtemp(prefix="portal-data-folders-"))
    path.chmod(0o755)
    yield path
    for inner in path.rglob("*"):
        if inner.is_dir():
            inner.chmod(0o755)
    shutil.rmtree(path)


def made(path: Path, mode: int) -> Path:
    """A new folder with exactly `mode` (mkdir's is reduced by the umask)."""
    path.mkdir()
    path.chmod(mode)
    return path


def manage(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*unprivileged(), sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=portal_environment(**variables),
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_naming(result: subprocess.CompletedProcess[str], folder: Path, variable: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 78, result.stderr
    assert len(lines) == 1, result.stderr  # no traceback
    line = lines[0]
    assert "Traceback" not in result.stderr and "Error:" not in line
    assert f"cannot write to {folder}" in line
    assert variable in line
    assert f"uid {runs_as()}" in line
    assert f"chown -R {runs_as()}:" in line  # the fix: the owner it needs, or --user
    assert "docker run --user" in line and "Running in production" in line


def test_a_data_folder_the_portal_may_not_write_stops_migrate_with_one_line(folder):
    data = folder / "data"
    made(data, 0o555)  # as a root-owned host folder is for uid 10001
    result = manage("migrate", "--no-input", PORTAL_DATA_DIR=str(data))
    assert_one_line_naming(result, data, "PORTAL_DATA_DIR")
    assert list(data.iterdir()) == []  # nothing was half-written


def test_a_data_folder_that_cannot_be_created_says_which_folder_is_not_writable(folder):
    """`.env.example`'s /data on a laptop: the folder is missing and / is not the user's."""
    parent = folder / "root-owned"
    made(parent, 0o555)
    result = manage("check", PORTAL_DATA_DIR=str(parent / "data"))
    assert_one_line_naming(result, parent / "data", "PORTAL_DATA_DIR")
    assert f"({parent} is not writable)" in result.stderr


def test_an_unwritable_cache_folder_is_named_as_the_cache_folder(folder):
    """The database elsewhere (a server), the disk cache in a folder the portal may not write."""
    data, cache = folder / "data", folder / "cache"
    made(data, 0o777)
    made(cache, 0o555)
    result = manage("check", PORTAL_DATA_DIR=str(data), PORTAL_CACHE_DIR=str(cache))
    assert_one_line_naming(result, cache, "PORTAL_CACHE_DIR")


def test_a_cache_shard_left_by_another_user_stops_at_the_first_cache_use_with_one_line(folder):
    """The cache folder is writable, a shard in it is not (a `manage.py` once run as root made
    it): the settings cannot see it; the cache backend's first open says the same line."""
    data = folder / "data"
    made(data, 0o777)
    made(data / "cache", 0o777)
    shard = data / "cache" / "000"
    made(shard, 0o500)
    result = manage(
        "shell", "-c", "from django.core.cache import cache; cache.set('k', 1)", PORTAL_DATA_DIR=str(data)
    )
    assert_one_line_naming(result, data / "cache", "PORTAL_CACHE_DIR")
    assert f"({shard} is not writable)" in result.stderr


def test_a_writable_data_folder_starts(folder):
    """The check refuses only what it must: the same user, its own folder, migrates."""
    data = folder / "data"
    made(data, 0o777)
    result = manage("migrate", "--no-input", PORTAL_DATA_DIR=str(data))
    assert result.returncode == 0, result.stderr
    assert (data / "portal.sqlite3").exists() and (data / "cache").is_dir()


def test_a_database_url_in_a_folder_the_portal_may_not_write_stops_with_one_line(folder):
    """An explicit DATABASE_URL=sqlite:////srv/...: SQLite's own refusal ("unable to open
    database file") named neither the file nor the folder."""
    data, database = folder / "data", folder / "db"
    made(data, 0o777)
    made(database, 0o555)
    result = manage(
        "migrate",
        "--no-input",
        PORTAL_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{database / 'portal.sqlite3'}",
    )
    assert_one_line_naming(result, database, "DATABASE_URL")
    assert list(database.iterdir()) == []


def test_a_database_file_the_portal_may_not_write_is_named_in_its_writable_folder(folder):
    """A database file left by a `manage.py` run as root, in a folder the portal may write."""
    data = folder / "data"
    made(data, 0o777)
    database = data / "portal.sqlite3"
    database.touch()
    database.chmod(0o444)
    result = manage("check", PORTAL_DATA_DIR=str(data))
    assert_one_line_naming(result, data, "PORTAL_DATA_DIR")
    assert f"({database} is not writable)" in result.stderr


def test_a_database_url_whose_folder_is_missing_creates_it_as_the_data_folder_is(folder):
    data, database = folder / "data", folder / "db" / "portal"
    made(data, 0o777)
    made(folder / "db", 0o777)
    result = manage(
        "migrate",
        "--no-input",
        PORTAL_DATA_DIR=str(data),
        DATABASE_URL=f"sqlite:///{database / 'portal.sqlite3'}",
    )
    assert result.returncode == 0, result.stderr
    assert (database / "portal.sqlite3").exists()
    assert not (data / "portal.sqlite3").exists()


@pytest.mark.parametrize("variable", ["DJANGO_MEDIA_ROOT", "PORTAL_DATA_DIR"])
def test_a_media_folder_the_portal_may_not_write_stops_the_start_with_one_line(folder, variable):
    """Only a logo upload writes there, and it failed with a PermissionError traceback at the
    first upload, long after the start; now the start says it, as for the data folder."""
    data = folder / "data"
    made(data, 0o777)
    media = made(folder / "media", 0o555) if variable == "DJANGO_MEDIA_ROOT" else made(data / "media", 0o555)
    variables = {"DJANGO_MEDIA_ROOT": str(media)} if variable == "DJANGO_MEDIA_ROOT" else {}
    result = manage("check", PORTAL_DATA_DIR=str(data), **variables)
    assert_one_line_naming(result, media, variable)


def test_a_media_folder_that_is_missing_but_creatable_starts(folder):
    """The check refuses only what the storage could not create at the first upload."""
    data = folder / "data"
    made(data, 0o777)
    result = manage("check", PORTAL_DATA_DIR=str(data), DJANGO_MEDIA_ROOT=str(data / "logos-here"))
    assert result.returncode == 0, result.stderr
