"""The portal's Django admin, one module per area (docs/architecture.md#admin).

Django's admin autodiscovery imports this package (`portal` is in INSTALLED_APPS); the package
imports every module that registers a model admin, explicitly, so what is in the admin is
what is listed here (tests/admin/test_registry.py checks it):

- `sites`: sites (hostnames, hours, holidays, translations) and custom fields
- `backends`: backends (secrets, departments, technicians), with the actions and the
  session-history page below
- `issues`: issues and their translations
- `integrations`: API tokens; *Test connection* and *Import issues* (backend actions)
- `session_history`: the Take Control session-history page of a backend
- `start_records`: the read-only start records

Not registering anything: `security` (the sign-in lockout page, failed sign-in log line),
`choices` (preselecting a sole choice), `checklist` (the set-up checklist on the index),
`mixins` and `secrets` (shared by the model admins).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from portal.admin import backends, integrations, issues, sites, start_records  # noqa: F401  (register)

admin.site.site_header = admin.site.site_title = _("Support portal")
admin.site.index_title = _("Sites, backends, issues and custom fields")
# The index starts with the set-up checklist (portal/admin/checklist.py).
admin.site.index_template = "admin/portal/index.html"
