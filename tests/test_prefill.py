"""Signed prefill links: valid ones lock their values, anything else is ignored."""

import time

import pytest

from portal.prefill import sign_prefill, signed_part, verified_values

SECRET = "s3cret-of-the-help-desk"


def test_round_trip_and_locked_values():
    query = sign_prefill(secret=SECRET, values={"external_key": "INC 1/2", "name": "Zoë"},
                         expires_at=int(time.time()) + 60)
    assert verified_values(secret=SECRET, query=query) == {"external_key": "INC 1/2", "name": "Zoë"}


@pytest.mark.parametrize(
    "tamper",
    [
        lambda q: q.replace("INC-1", "INC-2"),
        lambda q: q + "&name=Mallory",
        lambda q: q.replace("sig=", "sig=0"),
        lambda q: q.split("&sig=")[0],
        lambda q: q + "&external_key=INC-9",
    ],
    ids=["changed-value", "added-parameter", "bad-signature", "no-signature", "repeated-name"],
)
def test_tampered_links_lock_nothing(tamper):
    query = sign_prefill(secret=SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) + 60)
    assert verified_values(secret=SECRET, query=tamper(query)) == {}


def test_expired_link_and_wrong_secret_lock_nothing():
    query = sign_prefill(secret=SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) - 1)
    assert verified_values(secret=SECRET, query=query) == {}
    query = sign_prefill(secret=SECRET, values={"external_key": "INC-1"}, expires_at=int(time.time()) + 60)
    assert verified_values(secret="other", query=query) == {}
    assert verified_values(secret="", query=query) == {}


def test_only_prefill_parameters_can_be_signed_and_carried():
    with pytest.raises(ValueError):
        sign_prefill(secret=SECRET, values={"redirect": "https://evil.example"}, expires_at=1)
    query = sign_prefill(secret=SECRET, values={"cf_asset": "A1"}, expires_at=int(time.time()) + 60)
    carried = signed_part(query + "&embed=1&utm_source=x&locale=de")
    assert verified_values(secret=SECRET, query=carried) == {"cf_asset": "A1"}
    with pytest.raises(ValueError):
        sign_prefill(secret=SECRET, values={"locale": "de"}, expires_at=1)
