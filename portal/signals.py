"""Admin changes invalidate the site lookup, the cached customer pages and the API token memo
at once; a site's replaced, cleared or deleted logos leave the disk (`portal.logo_files`)."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from portal import logo_files, models
from portal.caching import renew_site_cache_version
from portal.webhooks.models import Endpoint

WATCHED = (
    models.Backend,
    models.Site,
    models.SiteHostname,
    models.Issue,
    models.IssueTranslation,
    models.CustomField,
    models.CustomFieldTranslation,
    models.Department,
    models.Technician,
    models.OpeningHours,
    models.Holiday,
    models.SiteTranslation,
    # Which events a site's endpoints take is cached under the site version: a start on a site
    # without endpoints writes its record alone (docs/decisions/0066-lean-start-record.md).
    Endpoint,
    # Authenticated API tokens are memoised per process under the site version: revoking,
    # renaming or deleting one must reach every worker's next request
    # (docs/decisions/0053-api-token-memo.md).
    models.ApiToken,
)


def bump_site_version(**kwargs):
    # Now, so this request sees its change; and after the commit, so no other worker caches
    # the old rows under the new version while the transaction is still open.
    renew_site_cache_version()
    transaction.on_commit(renew_site_cache_version)


for model in WATCHED:
    post_save.connect(bump_site_version, sender=model, dispatch_uid=f"portal-bump-save-{model.__name__}")
    post_delete.connect(bump_site_version, sender=model, dispatch_uid=f"portal-bump-del-{model.__name__}")


@receiver(m2m_changed, sender=models.CustomField.issues.through, dispatch_uid="portal-bump-m2m")
def custom_field_issues_changed(**kwargs):
    bump_site_version()


@receiver(pre_save, sender=models.Site, dispatch_uid="portal-logos-before-save")
def remember_logos(sender, instance, raw, using, update_fields, **kwargs):
    touched = update_fields is None or not set(update_fields).isdisjoint(logo_files.LOGO_FIELDS)
    instance._logo_names_before = (
        logo_files.stored_logo_names(site=instance, using=using) if touched and not raw else set()
    )


@receiver(post_save, sender=models.Site, dispatch_uid="portal-logos-after-save")
def remove_replaced_logos(sender, instance, using, **kwargs):
    before = getattr(instance, "_logo_names_before", set())
    logo_files.remove_after_commit(names=before - logo_files.logo_names(instance), using=using)


@receiver(post_delete, sender=models.Site, dispatch_uid="portal-logos-after-delete")
def remove_deleted_logos(sender, instance, using, **kwargs):
    logo_files.remove_after_commit(names=logo_files.logo_names(instance), using=using)
