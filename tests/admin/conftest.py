"""Fixtures the admin's tests share."""

from __future__ import annotations

import pytest


@pytest.fixture
def appliance_backend(backend, fake):
    """The suite's backend pointed at the fake appliance, with its API credentials."""
    backend.base_url, backend.client_id, backend.client_secret = (
        fake.base_url,
        fake.client_id,
        fake.client_secret,
    )
    backend.save()
    return backend
