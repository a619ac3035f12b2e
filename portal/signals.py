"""Admin changes invalidate the site lookup and the cached customer pages at once."""

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from portal import models
from portal.selectors import SITE_CACHE_VERSION_KEY, site_cache_version

WATCHED = (
    models.Backend, models.Site, models.SiteHostname, models.Issue, models.IssueTranslation,
    models.CustomField, models.CustomFieldTranslation, models.Department, models.Technician,
    models.OpeningHours, models.Holiday,
)


def bump_site_version(**kwargs):
    version = site_cache_version()
    cache.set(SITE_CACHE_VERSION_KEY, version + 1, None)


for model in WATCHED:
    post_save.connect(bump_site_version, sender=model, dispatch_uid=f"portal-bump-save-{model.__name__}")
    post_delete.connect(bump_site_version, sender=model, dispatch_uid=f"portal-bump-del-{model.__name__}")


@receiver(m2m_changed, sender=models.CustomField.issues.through, dispatch_uid="portal-bump-m2m")
def custom_field_issues_changed(**kwargs):
    bump_site_version()
