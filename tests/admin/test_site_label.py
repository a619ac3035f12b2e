"""An issue's and a custom field's site is named in the admin's language, as every other
column is (a walk-through found "Site" in German and Japanese forms, lists and filters)."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", ["issue", "customfield"])
def test_the_site_label_is_translated(admin_client, site, model):
    page = admin_client.get(reverse(f"admin:portal_{model}_add"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<label class="required" for="id_site">Website:</label>' in page
    assert ">Site:<" not in page
