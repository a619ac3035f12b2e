"""Bench settings: production settings plus a bare view to compare against."""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
