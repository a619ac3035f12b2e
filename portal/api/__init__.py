"""The integrations API (/api/v1/) on django-ninja: `api.py` (the NinjaAPI, its endpoints and
URLs), `schemas.py` (requests and responses, one definition per rule), `auth.py` (Bearer
tokens), `errors.py` (the one error envelope). See docs/architecture.md#integrations-api."""

from portal.api.api import api, openapi_document, urlpatterns

__all__ = ["api", "openapi_document", "urlpatterns"]
