"""Admin changes invalidate the site lookup, the cached customer pages and the API token memo
at once."""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from portal import models
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
