"""A site's uploaded logos leave the disk once no site names them: after a replace, a clear or
the site's deletion, and only when the transaction commits
(docs/decisions/0038-branding-without-script.md)."""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from portal.logo_files import remove_unused_logos
from portal.models import Site
from tests.conftest import save_site_in_admin
from tests.db_locks import row_lock_waiters, wait_for
from tests.test_branding_and_hours import PNG_1PX

pytestmark = pytest.mark.django_db

FIELDS = ["logo", "logo_dark"]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(site: Site, field: str, name: str = "acme.png") -> str:
    getattr(site, field).save(name, io.BytesIO(PNG_1PX))
    return getattr(site, field).name


@pytest.mark.parametrize("field", FIELDS)
def test_a_replaced_logo_leaves_the_disk_and_the_new_one_stays(
    admin_client, site, media, django_capture_on_commit_callbacks, field
):
    other = "logo_dark" if field == "logo" else "logo"
    old, kept = upload(site, field), upload(site, other, "other.png")
    with django_capture_on_commit_callbacks(execute=True):
        response = save_site_in_admin(admin_client, site, **{field: SimpleUploadedFile("acme.png", PNG_1PX)})
    assert response.status_code == 302
    site.refresh_from_db()
    new = getattr(site, field).name
    assert new != old
    assert not (media / old).exists()
    assert (media / new).read_bytes() == PNG_1PX
    assert (media / kept).exists()


@pytest.mark.parametrize("field", FIELDS)
def test_a_cleared_logo_leaves_the_disk(admin_client, site, media, django_capture_on_commit_callbacks, field):
    old = upload(site, field)
    with django_capture_on_commit_callbacks(execute=True):
        response = save_site_in_admin(admin_client, site, **{f"{field}-clear": "on"})
    assert response.status_code == 302
    site.refresh_from_db()
    assert not getattr(site, field)
    assert not (media / old).exists()


@pytest.mark.parametrize("way", ["delete page", "list action"])
def test_a_deleted_sites_logos_leave_the_disk(
    admin_client, site, media, django_capture_on_commit_callbacks, way
):
    names = [upload(site, "logo"), upload(site, "logo_dark", "acme-dark.png")]
    with django_capture_on_commit_callbacks(execute=True):
        if way == "delete page":
            response = admin_client.post(reverse("admin:portal_site_delete", args=[site.pk]), {"post": "yes"})
        else:
            response = admin_client.post(
                reverse("admin:portal_site_changelist"),
                {"action": "delete_selected", "_selected_action": [site.pk], "post": "yes"},
            )
    assert response.status_code == 302
    assert not Site.objects.filter(pk=site.pk).exists()
    assert [name for name in names if (media / name).exists()] == []


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("way", ["cleared, then uploaded", "replaced twice"])
def test_a_new_logo_never_takes_an_address_a_removed_one_had(
    admin_client, site, media, django_capture_on_commit_callbacks, field, way
):
    """Browsers keep a logo's address a day (record 0038: the name changes when the logo does).
    Once the old file is removed, a new upload of the same file name must not get its address
    back, or customers see the old logo for a day."""
    addresses = {}
    for version in range(3 if way == "replaced twice" else 2):
        content = PNG_1PX + bytes([version])  # another picture under the same file name
        if way == "cleared, then uploaded" and version:
            with django_capture_on_commit_callbacks(execute=True):
                save_site_in_admin(admin_client, site, **{f"{field}-clear": "on"})
        with django_capture_on_commit_callbacks(execute=True):
            save_site_in_admin(admin_client, site, **{field: SimpleUploadedFile("acme.png", content)})
        site.refresh_from_db()
        address = getattr(site, field).url
        assert address not in addresses, f"version {version} is served where {addresses[address]} was"
        addresses[address] = version
        assert b"".join(admin_client.get(address).streaming_content) == content


def test_a_long_file_name_keeps_the_random_part_of_its_address(admin_client, site, media):
    """The column holds 100 characters: a long uploaded name is shortened, not the part that
    makes each upload's address new."""
    addresses = set()
    for _ in range(2):
        response = save_site_in_admin(admin_client, site, logo=SimpleUploadedFile("a" * 95 + ".png", PNG_1PX))
        assert response.status_code == 302
        site.refresh_from_db()
        assert len(site.logo.name) <= 100 and site.logo.name.endswith(".png")
        assert re.fullmatch(r"logos/a+-[0-9a-f]{10}\.png", site.logo.name)
        addresses.add(site.logo.url)
    assert len(addresses) == 2


@pytest.mark.parametrize("letter", ["日", "𠀀"])  # three and four UTF-8 bytes
def test_a_long_file_name_in_another_script_fits_the_disk(admin_client, site, media, letter):
    """A file name on the disk holds 255 bytes (ext4, XFS, APFS), not 255 characters: a logo
    named in Chinese fits the column's 100 characters and must fit the disk too, or the save
    fails on "File name too long"."""
    response = save_site_in_admin(admin_client, site, logo=SimpleUploadedFile(letter * 95 + ".png", PNG_1PX))
    assert response.status_code == 302
    site.refresh_from_db()
    name = os.path.basename(site.logo.name)
    assert len(name.encode()) <= 255 and re.fullmatch(rf"{letter}+-[0-9a-f]{{10}}\.png", name)
    assert (media / site.logo.name).read_bytes() == PNG_1PX


def test_a_logo_another_site_shares_stays_until_no_site_names_it(
    admin_client, site, backend, media, django_capture_on_commit_callbacks
):
    shared = upload(site, "logo")
    copy = Site.objects.create(name="Acme copy", backend=backend, logo_dark=shared)
    with django_capture_on_commit_callbacks(execute=True):
        save_site_in_admin(admin_client, site, **{"logo-clear": "on"})
    site.refresh_from_db()
    assert not site.logo
    assert (media / shared).exists()
    with django_capture_on_commit_callbacks(execute=True):
        copy.delete()
    assert not (media / shared).exists()


def test_a_rolled_back_save_deletes_nothing(site, media, django_capture_on_commit_callbacks):
    old = upload(site, "logo")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            site.logo = ""
            site.save()
            raise RuntimeError("the rest of the change failed")
        with pytest.raises(RuntimeError), transaction.atomic():
            Site.objects.get(pk=site.pk).delete()
            raise RuntimeError("the rest of the change failed")
    assert callbacks == []
    site.refresh_from_db()
    assert site.logo.name == old
    assert (media / old).exists()


@pytest.mark.parametrize("name", ["other/acme.png", "logos/../acme.png", "acme.png"])
def test_nothing_outside_the_logos_folder_is_deleted(site, media, django_capture_on_commit_callbacks, name):
    (media / "other").mkdir()
    (media / "logos").mkdir()
    (media / name).write_bytes(PNG_1PX)
    Site.objects.filter(pk=site.pk).update(logo=name)
    site.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        site.logo = ""
        site.save()
    assert (media / name).exists()


def test_a_logo_already_gone_is_no_error(site, media, django_capture_on_commit_callbacks):
    gone = upload(site, "logo")
    (media / gone).unlink()
    remove_unused_logos(names=[gone], using="default")  # raises if a missing file were an error
    with django_capture_on_commit_callbacks(execute=True):
        site.delete()
    assert not (media / gone).exists()


# manage.py portal_prune_logos: files orphaned before the removal above, or by a crash.

DAY = 24 * 3600


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("portal_prune_logos", *args, stdout=out)
    return out.getvalue()


def named_after(prefix: str, out: str) -> list[str]:
    return [line.removeprefix(prefix) for line in out.splitlines() if line.startswith(prefix)]


def old_file(path, *, age: float = DAY):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(PNG_1PX)
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def aged(media, name: str, *, age: float = DAY) -> str:
    then = time.time() - age
    os.utime(media / name, (then, then))
    return name


@pytest.fixture
def logo_folder(site, backend, tmp_path, settings):
    """A media folder with two named logos (one shared with a second site), orphans, a recent
    upload, files in other folders and symlinks leading out of `logos/`."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    outside = tmp_path / "outside"
    named = [aged(media, upload(site, "logo")), aged(media, upload(site, "logo_dark", "acme-dark.png"))]
    Site.objects.create(name="Acme copy", backend=backend, logo=named[0])
    orphans = [
        str(old_file(media / "logos" / name).relative_to(media))
        for name in ["acme_old1.png", "acme old (2).png", "sub/acme_old3.png"]
    ]
    recent = str(old_file(media / "logos" / "acme_uploading.png", age=60).relative_to(media))
    elsewhere = [
        old_file(media / "other" / "x.png"),
        old_file(media / "x.png"),
        old_file(outside / "secret.png"),
    ]
    (media / "logos" / "to-secret.png").symlink_to(outside / "secret.png")
    (media / "logos" / "to-outside").symlink_to(outside, target_is_directory=True)
    (media / "logos" / "to-named.png").symlink_to(media / named[0])
    return {
        "media": media,
        "named": named,
        "orphans": orphans,
        "recent": recent,
        "elsewhere": elsewhere,
        "links": ["logos/to-named.png", "logos/to-outside", "logos/to-secret.png"],
    }


def test_prune_dry_run_lists_the_unused_logos_and_removes_nothing(logo_folder):
    media = logo_folder["media"]
    before = sorted(path for path in media.rglob("*"))
    out = prune("--dry-run")
    assert named_after("Would remove ", out) == sorted(logo_folder["orphans"])
    assert f"would remove 3 unused logo files from {media / 'logos'} (dry run: nothing was removed)." in out
    assert f"Kept {logo_folder['recent']}: written in the last 60 minutes" in out
    assert all(f"Left {link}: not a regular file" in out for link in logo_folder["links"])
    assert sorted(path for path in media.rglob("*")) == before


def test_prune_removes_only_unused_files_of_the_logo_folder(logo_folder):
    media = logo_folder["media"]
    out = prune()
    assert named_after("Removed ", out) == sorted(logo_folder["orphans"])
    assert f"removed 3 unused logo files from {media / 'logos'}." in out
    assert [name for name in logo_folder["orphans"] if (media / name).exists()] == []
    assert all((media / name).read_bytes() == PNG_1PX for name in logo_folder["named"])
    assert (media / logo_folder["recent"]).exists()
    assert all(path.read_bytes() == PNG_1PX for path in logo_folder["elsewhere"])
    assert all((media / link).is_symlink() for link in logo_folder["links"])
    assert (media / "logos" / "to-outside" / "secret.png").exists()
    assert f"removed 0 unused logo files from {media / 'logos'}." in prune()
    old_file(media / "logos" / "acme_old4.png")
    assert (
        prune("--dry-run")
        .splitlines()[-1]
        .endswith(f" would remove 1 unused logo file from {media / 'logos'} (dry run: nothing was removed).")
    )


def test_prune_removes_an_unused_logo_whose_name_is_no_utf_8(logo_folder):
    """A name the disk holds in another encoding (a copy from an old server) is one no site can
    name: the database holds text. It goes like any other orphan, and the report shows its
    bytes escaped."""
    media = logo_folder["media"]
    folder = os.fsencode(media / "logos")
    path = os.path.join(folder, b"acme-\xe9t\xe9.png")
    with open(path, "wb") as handle:
        handle.write(PNG_1PX)
    then = time.time() - DAY
    os.utime(path, (then, then))
    out = prune()
    assert "Removed logos/acme-\\udce9t\\udce9.png" in out
    assert f"removed 4 unused logo files from {media / 'logos'}." in out
    assert not os.path.exists(path)


@contextlib.contextmanager
def removed_at(path, moment):
    """Removes `path` at the `moment(frame, event, arg)` of a call the code under test makes: the
    race with another prune or an admin's save, made certain. A profile hook of the interpreter
    sees the call; nothing of the portal is replaced. Yields the list the removal is noted in."""
    seen = []

    def hook(frame, event, arg):
        if moment(frame, event, arg):
            seen.append(path)
            path.unlink()

    sys.setprofile(hook)
    try:
        yield seen
    finally:
        sys.setprofile(None)


def removed_when_looked_at(path):
    """At the moment the prune looks at `path` (`Path.lstat`), after its folder was listed."""
    return removed_at(
        path,
        lambda frame, event, arg: (
            event == "call" and frame.f_code.co_name == "lstat" and frame.f_locals.get("self") == path
        ),
    )


@pytest.mark.parametrize("args", [[], ["--dry-run"]])
def test_prune_passes_over_a_file_removed_after_the_folder_was_listed(logo_folder, args):
    """A walk-through: two prunes run at once (or an admin's save removed a replaced logo) and
    one of them ended in a traceback when a file it had listed was gone before it looked at it.
    Such a file is gone: the prune goes on with the others."""
    media = logo_folder["media"]
    vanishing, *others = sorted(logo_folder["orphans"])
    with removed_when_looked_at(media / vanishing) as seen:
        out = prune(*args)
    assert seen == [media / vanishing] and not (media / vanishing).exists()
    prefix = "Would remove " if args else "Removed "
    assert named_after(prefix, out) == others
    assert out.splitlines()[-1].startswith(f"portal_prune_logos: {'would remove' if args else 'removed'} 2 ")
    assert [name for name in others if (media / name).exists()] == (others if args else [])
    assert all((media / name).read_bytes() == PNG_1PX for name in logo_folder["named"])


def test_prune_refuses_a_logo_folder_that_is_a_symlink(tmp_path, settings, site):
    settings.MEDIA_ROOT = tmp_path / "media"
    elsewhere = old_file(tmp_path / "elsewhere" / "report.png").parent
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "logos").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(CommandError, match="is a symlink"):
        prune()
    assert (elsewhere / "report.png").exists()


@pytest.mark.parametrize("args", [[], ["--dry-run"]])
def test_prune_without_a_logo_folder_says_where_it_looked(tmp_path, settings, site, args):
    """A mistyped DJANGO_MEDIA_ROOT must not read as "removed 0": all clean."""
    settings.MEDIA_ROOT = tmp_path / "media"
    assert prune(*args) == (
        f"portal_prune_logos: {tmp_path / 'media' / 'logos'} does not exist: no logo was ever "
        "uploaded under this MEDIA_ROOT (DJANGO_MEDIA_ROOT, by default media/ in PORTAL_DATA_DIR). "
        "Nothing to remove.\n"
    )
    assert not (tmp_path / "media").exists()


@pytest.mark.django_db(transaction=True)
def test_two_admins_saving_one_site_never_leave_it_naming_a_removed_logo(admin_client, site, media):
    """Admin B replaces the logo while admin A, who opened the form before, saves other changes.
    A's save must start from B's logo: writing back the one B replaced (removed from disk when
    B's save committed) would leave the site naming a file that is gone, and remove B's.
    PostgreSQL runs the two saves side by side; SQLite takes them one after the other."""
    old = upload(site, "logo")
    site.save()
    Site.objects.filter(pk=site.pk).update(logo=old)
    answers = []

    def admin_a_saves():
        try:
            answers.append(save_site_in_admin(admin_client, site, name="Acme Help"))
        finally:
            connection.close()

    with transaction.atomic():  # admin B's save, holding the site as the admin's save does
        locked = Site.objects.select_for_update().get(pk=site.pk)
        locked.logo.save("new.png", io.BytesIO(PNG_1PX), save=False)
        locked.save()
        new = locked.logo.name
        a = threading.Thread(target=admin_a_saves)
        a.start()
        if connection.vendor == "postgresql":  # A waits for B's lock before B commits
            wait_for(lambda: row_lock_waiters() > 0)
    a.join(timeout=30)
    assert not a.is_alive() and answers and answers[0].status_code == 302
    site.refresh_from_db()
    assert (site.name, site.logo.name) == ("Acme Help", new)
    assert (media / new).exists() and not (media / old).exists()


@pytest.mark.django_db(transaction=True)
def test_a_site_held_by_an_admin_save_lets_customers_start(site, rf, admin_user):
    """The admin's save holds its site against another save, not against rows that merely
    point at it: a customer's start record (its `site` key) is written while the save runs.
    PostgreSQL's FOR UPDATE would make every start on the site wait for the admin's commit;
    FOR NO KEY UPDATE, which an UPDATE of the row takes anyway, still makes two saves take
    turns (test above)."""
    from django.contrib import admin

    from portal.models import StartRequest

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole transactions")
    request = rf.post("/")
    request.user = admin_user
    started = []

    def customer_starts():
        try:
            started.append(
                StartRequest.objects.create(
                    site_id=site.pk, flow="key", outcome="started", backend_kind=site.backend.kind
                ).pk
            )
        finally:
            connection.close()

    with transaction.atomic():
        held = admin.site._registry[Site].get_object(request, str(site.pk))
        assert held is not None and held.pk == site.pk
        customer = threading.Thread(target=customer_starts)
        customer.start()
        wait_for(lambda: bool(started) or row_lock_waiters() > 0, what="the start neither ended nor waited")
        assert started, "the customer's start waits for the admin's save to commit"
    customer.join(timeout=30)
    assert not customer.is_alive()


@pytest.mark.django_db(transaction=True)
def test_the_lists_delete_action_waits_for_a_running_save_of_its_site(admin_client, site, rf, admin_user):
    """Admin A saves the site (its row locked first, then its inlines written) while admin B
    deletes it from the list. B's delete must wait for the site's lock before removing anything:
    removing the hostnames first, then waiting for the site while A waits for those hostnames,
    is a deadlock PostgreSQL ends by failing one of the two (a 500)."""
    from django.contrib import admin

    from portal.models import SiteHostname

    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises whole transactions")
    hostname = SiteHostname.objects.create(site=site, hostname="help.example.com")
    request = rf.post("/")
    request.user = admin_user
    answers = []

    def admin_b_deletes():
        try:
            answers.append(
                admin_client.post(
                    reverse("admin:portal_site_changelist"),
                    {"action": "delete_selected", "_selected_action": [site.pk], "post": "yes"},
                )
            )
        finally:
            connection.close()

    with transaction.atomic():  # admin A's save: the site held first (get_object), then its inlines
        held = admin.site._registry[Site].get_object(request, str(site.pk))
        assert held is not None
        b = threading.Thread(target=admin_b_deletes)
        b.start()
        wait_for(lambda: row_lock_waiters() > 0, what="the delete never waited for the site's lock")
        SiteHostname.objects.filter(pk=hostname.pk).update(hostname="support.example.com")
    b.join(timeout=30)
    assert not b.is_alive() and answers and answers[0].status_code == 302
    assert not Site.objects.filter(pk=site.pk).exists()
    assert not SiteHostname.objects.filter(pk=hostname.pk).exists()


def removed_when_its_place_is_asked(path):
    """The moment the logos' storage says where `path` lies on the disk (`path()`), just before
    it is removed: another prune or an admin's save that removed it first."""
    return removed_at(
        path,
        lambda frame, event, arg: (
            event == "return" and frame.f_code.co_name == "path" and arg == str(path) and path.exists()
        ),
    )


def test_prune_counts_only_the_files_it_removed(logo_folder):
    """A file that was gone when its turn came was counted and listed as removed: the report
    said more than this prune did."""
    media = logo_folder["media"]
    vanishing, *others = sorted(logo_folder["orphans"])
    with removed_when_its_place_is_asked(media / vanishing) as seen:
        out = prune()
    assert seen == [media / vanishing]
    assert named_after("Removed ", out) == others
    assert out.splitlines()[-1] == f"portal_prune_logos: removed 2 unused logo files from {media / 'logos'}."
    assert [name for name in others if (media / name).exists()] == []
