"""Test settings: production settings with only what a test run needs changed.

DATABASE_URL and CACHE_URL still come from the environment, so the same suite runs on
PostgreSQL and Redis (`make test-services`) as on the embedded defaults: SQLite and the
diskcache every worker process shares, here in a temporary folder for this test session
(tests/conftest.py clears it around every test).
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("PORTAL_HTTPS", "false")
os.environ.setdefault("PORTAL_MANIFEST_STATIC", "false")

from portal.settings import *  # noqa: E402,F403

if CACHES["default"]["BACKEND"] == "portal.cache_backend.SharedDiskCache":  # noqa: F405
    _cache_dir = tempfile.mkdtemp(prefix="portal-test-cache-")
    atexit.register(shutil.rmtree, _cache_dir, ignore_errors=True)
    CACHES["default"]["LOCATION"] = _cache_dir  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Small, quick vendor timeouts; tests that need others set them with the settings fixture.
PORTAL_VENDOR_CONNECT_TIMEOUT = 1.0
PORTAL_VENDOR_READ_TIMEOUT = 2.0
PORTAL_RATE_LIMIT = 1000
# With nothing cached, the request that starts a vendor refresh waits this long: generous, so
# a busy test machine fills the first page as a healthy appliance does. Tests of the "still
# checking" state use a hung fake appliance and a short wait of their own.
PORTAL_VENDOR_WAIT = 2.0
# The webhook tests' receivers listen on 127.0.0.1; the refusal of private addresses has its
# own tests, which turn this off.
PORTAL_WEBHOOKS_ALLOW_PRIVATE = True
PORTAL_WEBHOOKS_CONNECT_TIMEOUT = 1.0
PORTAL_WEBHOOKS_READ_TIMEOUT = 2.0
