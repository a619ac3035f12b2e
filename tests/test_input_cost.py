"""What a customer's POST costs the server does not grow with the length of a value the form
refuses: a body of megabytes (Django parses up to DATA_UPLOAD_MAX_MEMORY_SIZE) in one field
cost a worker a second of CPU per request when each of its characters took a Python call, and
a client may send PORTAL_RATE_LIMIT of them a minute.

The cost is counted as Python's profiler sees it, in function calls (Python's and C's), not in
time: the same on any machine, and a loop over the characters shows as one call each."""

import sys
import time

import pytest

from portal.prefill import sign_prefill
from tests.conftest import form_data

pytestmark = pytest.mark.django_db

VALID = {"issue": "printing", "name": "Jane Doe", "details": "Printer offline"}
SHORT, LONG = 3_000, 300_000  # both over every text limit of the forms
SLACK = 2_000  # calls the longer value may cost more: far below one per extra character


def calls_made(action) -> int:
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return count


def extra_cost(client, path: str, fields: dict, name: str, text: str) -> int:
    """How many more calls the POST costs with `name` LONG characters of `text` than SHORT."""

    def post(length: int):
        response = client.post(path, form_data(**{**fields, name: (text * length)[:length]}))
        assert response.status_code == 200  # refused with the form's message, the page again

    post(SHORT)  # the first request of a test loads what every later one reuses
    return calls_made(lambda: post(LONG)) - calls_made(lambda: post(SHORT))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("details", "a"),  # the vendor's limit in UTF-8 bytes
        ("details", "a "),  # spaces inside, where the message's count skips them
        ("name", "a"),  # in characters
        ("external_key", "é"),
        ("cf_asset_tag", "x"),
    ],
)
def test_an_over_long_survey_field_costs_what_a_short_one_does(
    client, site, issues, custom_fields, name, text
):
    assert extra_cost(client, "/survey/", VALID, name, text) < SLACK


@pytest.mark.parametrize("text", ["1", "1 ", "\uff11"])  # digits, spaced, full-width
def test_an_over_long_session_key_costs_what_a_short_one_does(client, site, issues, text):
    assert extra_cost(client, "/key/", {}, "key", text) < SLACK


def test_a_signed_field_of_many_parameters_costs_what_a_short_one_does(client, site, issues):
    site.prefill_secret = "s" * 32
    site.save()
    link = sign_prefill(
        secret=site.prefill_secret, values={"name": "Jane"}, expires_at=int(time.time()) + 600
    )
    fields = {**VALID, "details": "x" * 2000}  # refused: the page again, the link judged
    assert extra_cost(client, "/survey/", fields, "signed", link + "&cf_a=1") < SLACK
