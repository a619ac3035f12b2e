"""The BeyondTrust command API client against a fake appliance on a real local HTTP server.

What is asserted is what the appliance would see (headers, form fields) and what the portal gets
back (dataclasses, errors). Vendor answers come from tests/data/beyondtrust/.
"""

from __future__ import annotations

import base64
import json
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import time_machine
from django.core.cache.backends.locmem import LocMemCache

from portal.models import Backend
from portal.vendors.beyondtrust.client import (
    ApiInfo,
    ApplianceHealth,
    BeyondTrustAuthError,
    BeyondTrustBadResponse,
    BeyondTrustError,
    BeyondTrustRejected,
    BeyondTrustTimeout,
    BeyondTrustUnavailable,
    CommandClient,
    Queue,
    Rep,
    SessionKey,
    Team,
    TeamIssue,
    VirtualCustomer,
)
from tests.fakes.beyondtrust import FakeBeyondTrust
from tests.fakes.server import running

REPO = Path(__file__).resolve().parents[3]

REPS = [
    Rep(
        id=12,
        public_name="Alex K.",
        showing_on_rep_list=True,
        type="Normal",
        support_session_count=2,
        presentation_count=0,
        logged_in_since="2024-05-06T08:01:22+00:00",
        direct_link="https://support.example.com/api/start_session?id=12&name=Alex%20K.",
    ),
    Rep(
        id=15,
        public_name="Sam",
        showing_on_rep_list=False,
        type="Normal",
        support_session_count=0,
        presentation_count=1,
        logged_in_since="2024-05-06T10:06:40+00:00",
        direct_link="https://support.example.com/api/start_session?id=15&name=Sam",
    ),
    Rep(
        id=21,
        public_name="Jo (Partner)",
        showing_on_rep_list=True,
        type="Invited",
        support_session_count=1,
        presentation_count=0,
        logged_in_since="2024-05-06T11:30:00+00:00",
        direct_link="https://support.example.com/api/start_session?id=21&name=Jo%20(Partner)",
    ),
]


def backend_for(fake: FakeBeyondTrust, **fields) -> Backend:
    """An unsaved backend pointing at the fake: the client needs no database."""
    values = dict(
        pk=7,
        name="Lab",
        kind=Backend.Kind.MODERN,
        base_url=fake.base_url,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
    )
    return Backend(**(values | fields))


@pytest.fixture
def client(fake) -> CommandClient:
    return CommandClient.for_backend(backend_for(fake))


def bearer_tokens(fake: FakeBeyondTrust) -> list[str]:
    return [r.headers["authorization"].removeprefix("Bearer ") for r in fake.commands()]


def run_in_threads(count: int, call) -> list[Exception]:
    """Start `count` threads at once on `call`; the exceptions they raised."""
    barrier = threading.Barrier(count)
    errors = []

    def worker():
        barrier.wait()
        try:
            call()
        except Exception as error:  # pragma: no cover - reported by the caller
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return errors


# --- What goes over the wire ---------------------------------------------------------------------


def test_a_call_mints_a_token_with_basic_auth_then_posts_the_action_with_bearer(fake, client):
    client.logged_in_reps()

    [token_request] = fake.token_requests()
    credentials = base64.b64encode(b"portal-client:s3cret-Value-never-logged").decode()
    assert token_request.method == "POST"
    assert token_request.headers["authorization"] == f"Basic {credentials}"
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert token_request.headers["connection"] == "close"
    assert parse_qsl(token_request.body.decode()) == [("grant_type", "client_credentials")]

    [command] = fake.commands()
    assert command.method == "POST"
    assert command.path == "/api/command"
    assert command.query == {}
    assert command.headers["authorization"] == f"Bearer {fake.valid_tokens[0]}"
    assert command.headers["connection"] == "close"
    assert command.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(command.body.decode()) == [("action", "get_logged_in_reps")]


def test_for_backend_takes_timeouts_from_settings_and_refuses_take_control(fake, settings):
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 0.7
    settings.PORTAL_VENDOR_READ_TIMEOUT = 1.3
    client = CommandClient.for_backend(backend_for(fake, base_url=fake.base_url + "/"))
    assert (client.connect_timeout, client.read_timeout) == (0.7, 1.3)
    assert client.base_url == fake.base_url
    with pytest.raises(ValueError):
        CommandClient.for_backend(backend_for(fake, kind=Backend.Kind.TAKECONTROL))
    with pytest.raises(ValueError):
        CommandClient.for_backend(backend_for(fake, client_secret=""))


def test_the_secret_is_not_in_the_clients_repr(client, fake):
    assert fake.client_secret not in repr(client)


# --- One shared token ------------------------------------------------------------------------------


def test_one_token_serves_many_calls(fake, client):
    client.logged_in_reps()
    client.support_teams()
    client.api_info()
    CommandClient.for_backend(backend_for(fake)).check_health()  # another worker, same backend

    assert fake.tokens_minted == 1
    assert len(set(bearer_tokens(fake))) == 1
    assert len(fake.commands()) == 4


def test_a_changed_client_id_gets_its_own_token(fake, client):
    client.logged_in_reps()
    fake.client_id = "rotated-client"
    CommandClient.for_backend(backend_for(fake, client_id="rotated-client")).logged_in_reps()
    assert fake.tokens_minted == 2


def test_twenty_threads_mint_exactly_one_token(fake, client):
    # The token answer waits until all twenty have asked for reps: everybody arrives while the
    # first mint is in flight.
    gate = fake.state["token_gate"] = threading.Event()
    asking = threading.Semaphore(0)
    results = []

    def call():
        asking.release()
        results.append([rep.id for rep in client.logged_in_reps()])

    errors: list[Exception] = []
    calls = threading.Thread(target=lambda: errors.extend(run_in_threads(20, call)))
    calls.start()
    assert all(asking.acquire(timeout=10) for _ in range(20))
    assert fake.wait_for_requests(1)  # the one mint, held
    gate.set()
    calls.join(20)

    assert errors == []
    assert results == [[12, 15, 21]] * 20
    assert fake.tokens_minted == 1
    assert len(set(bearer_tokens(fake))) == 1


# Django's FileBasedCache.add checks, then writes: two processes can both win. The worker makes
# add atomic with an flock, as Redis (SET NX) or Memcached are, so that the test proves the
# client's protocol and not the luck of the timing. Nor does the overlap rest on timing: the
# fake holds the token request until both workers have started their threads, so both
# processes are asking while the one mint is in flight, however slowly either of them starts.
# The workers and the test talk over their pipes (a line each way), so nobody polls.
WORKER = textwrap.dedent(
    """
    import fcntl, json, os, sys, threading
    import django
    from django.conf import settings
    from django.core.cache.backends.base import DEFAULT_TIMEOUT
    from django.core.cache.backends.filebased import FileBasedCache

    class AtomicAddFileBasedCache(FileBasedCache):
        def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
            with open(os.path.join(self._dir, "add.lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                return super().add(key, value, timeout, version)

    config = json.loads(sys.argv[1])
    settings.configure(
        INSTALLED_APPS=[],
        CACHES={"default": {"BACKEND": "__main__.AtomicAddFileBasedCache", "LOCATION": config["cache_dir"]}},
    )
    django.setup()
    from portal.vendors.beyondtrust.client import CommandClient

    client = CommandClient(base_url=config["base_url"], client_id=config["client_id"],
                           client_secret=config["client_secret"], backend_id=1,
                           connect_timeout=2.0, read_timeout=5.0)
    print("ready", flush=True)
    sys.stdin.readline()  # the test's "go"
    results = []
    def call():
        results.append([rep.id for rep in client.logged_in_reps()])
    threads = [threading.Thread(target=call) for _ in range(5)]
    [t.start() for t in threads]
    print("started", flush=True)
    [t.join() for t in threads]
    print(json.dumps(results))
    """
)


def test_two_processes_sharing_a_file_cache_mint_exactly_one_token(tmp_path):
    # Credentials of this test alone: a client another test left running (a refresh that
    # outlived its test) that reaches this fake's port mints nothing and its calls are not
    # counted as the workers' below.
    credentials = dict(client_id=f"two-processes-{tmp_path.name}", client_secret=os.urandom(8).hex())
    gate = threading.Event()
    with running(FakeBeyondTrust(**credentials)) as fake:
        fake.state["token_gate"] = gate
        env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
        env["PYTHONPATH"] = str(REPO)
        config = dict(cache_dir=str(tmp_path / "cache"), base_url=fake.base_url, **credentials)
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", WORKER, json.dumps(config)],
                cwd=REPO,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _number in range(2)
        ]

        def says(worker, word):
            """The worker's next line is `word` (read when it is written: select, not polling)."""
            readable, _, _ = select.select([worker.stdout], [], [], 20)
            line = worker.stdout.readline() if readable else ""
            assert line == f"{word}\n", (line, worker.poll() is not None and worker.communicate())

        for worker in workers:
            says(worker, "ready")
        for worker in workers:
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            says(worker, "started")
        # Both processes' threads are running and one of them is minting: only now may the
        # token arrive.
        assert fake.wait_for_requests(1) and fake.token_requests()
        gate.set()
        outputs = [worker.communicate(timeout=20) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert [json.loads(out) for out, _err in outputs] == [[[12, 15, 21]] * 5] * 2
    assert fake.tokens_minted == 1  # counts only requests with this test's credentials
    (token,) = fake.valid_tokens
    # All ten calls carried that one token (a worker's call refused for its token would have
    # minted a second one above).
    assert (
        len(
            [
                r
                for r in fake.commands("get_logged_in_reps")
                if r.headers["authorization"] == f"Bearer {token}"
            ]
        )
        == 10
    )


def test_the_token_is_renewed_before_it_expires(fake, client):
    # 2 s lifetime: renewal is due when half of it is left (max(60 s, 10 %) capped at half).
    # The wall clock (ours, the cache's and the fake appliance's) moves 1.1 s; nobody sleeps.
    fake.state["expires_in"] = 2
    with time_machine.travel(time.time(), tick=False) as traveller:
        client.logged_in_reps()
        [first] = fake.valid_tokens
        traveller.shift(1.1)
        assert first in fake.valid_tokens  # still valid on the appliance ...
        client.logged_in_reps()  # ... yet already replaced

    assert fake.tokens_minted == 2
    assert bearer_tokens(fake)[0] == first
    assert bearer_tokens(fake)[1] != first


@pytest.mark.parametrize("reply", ["json401", "json403", "xml"])
def test_a_revoked_token_is_replaced_and_the_call_retried_once(fake, client, reply):
    fake.state["bad_token_reply"] = reply
    client.logged_in_reps()
    fake.revoke_tokens()  # e.g. the secret was regenerated and re-entered

    assert [rep.id for rep in client.logged_in_reps()] == [12, 15, 21]
    assert fake.tokens_minted == 2
    first, rejected, retried = bearer_tokens(fake)
    assert first == rejected != retried
    client.logged_in_reps()
    assert fake.tokens_minted == 2


def test_an_expired_token_is_replaced(fake, client):
    client.logged_in_reps()
    fake.expire_tokens()
    client.support_teams()
    assert fake.tokens_minted == 2


class LockWatchingLocMemCache(LocMemCache):
    """Tells which threads have tried to take the minting lock: a refused call has forgotten
    the revoked token by then, so a new token may arrive without a refusal seeing it."""

    threads: set[int] = set()
    changed = threading.Condition()

    def add(self, key, *args, **kwargs):
        if key.endswith(":minting"):
            with self.changed:
                self.threads.add(threading.get_ident())
                self.changed.notify_all()
        return super().add(key, *args, **kwargs)


def test_concurrent_rejections_replace_the_token_once(fake, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.LockWatchingLocMemCache", "LOCATION": "lock"}}
    client = CommandClient.for_backend(backend_for(fake))
    client.logged_in_reps()
    fake.revoke_tokens()
    LockWatchingLocMemCache.threads = set()
    # All ten calls carry the revoked token before any is refused, and the new token is held
    # until all ten have been refused and want a replacement at once.
    refusals, gate = threading.Event(), threading.Event()
    fake.state["reject_gates"] = [refusals] * 10
    fake.state["token_gate"] = gate
    errors: list[Exception] = []
    calls = threading.Thread(target=lambda: errors.extend(run_in_threads(10, client.logged_in_reps)))
    calls.start()
    assert fake.wait_for_requests(2 + 10)  # the first call, then the ten with the revoked token
    refusals.set()
    with LockWatchingLocMemCache.changed:
        assert LockWatchingLocMemCache.changed.wait_for(
            lambda: len(LockWatchingLocMemCache.threads) == 10, 10
        )
    gate.set()
    calls.join(20)
    assert errors == []
    assert fake.tokens_minted == 2


def test_a_late_rejection_does_not_drop_the_replacement_token(fake, client):
    """Worker B's call with the old token is refused only after worker A replaced the token:
    B must keep A's token (drop only if still the one that failed) and retry with it."""
    client.logged_in_reps()
    fake.revoke_tokens()
    first, late = threading.Event(), threading.Event()
    fake.state["reject_gates"] = [first, late]  # A's refusal, then B's
    errors: list[Exception] = []
    calls = threading.Thread(target=lambda: errors.extend(run_in_threads(2, client.logged_in_reps)))
    calls.start()
    assert fake.wait_for_requests(2 + 2)  # both calls went out with the revoked token
    first.set()
    assert fake.wait_for_requests(2 + 2 + 1 + 1)  # A's new token and A's retry with it
    late.set()  # only now is B refused
    calls.join(20)
    assert errors == []
    assert fake.tokens_minted == 2
    assert len(fake.valid_tokens) == 1


class OneMissLocMemCache(LocMemCache):
    """A cache whose next `misses` reads miss, as a read does that runs just before another
    worker's write lands (a network cache makes that window wide)."""

    misses = 0

    def get(self, key, default=None, version=None):
        if OneMissLocMemCache.misses:
            OneMissLocMemCache.misses -= 1
            return default
        return super().get(key, default, version)


def test_a_token_stored_between_our_read_and_our_lock_is_used(fake, settings):
    settings.CACHES = {"default": {"BACKEND": f"{__name__}.OneMissLocMemCache", "LOCATION": "one-miss"}}
    CommandClient.for_backend(backend_for(fake)).logged_in_reps()
    OneMissLocMemCache.misses = 1
    CommandClient.for_backend(backend_for(fake)).logged_in_reps()
    assert fake.tokens_minted == 1


def test_an_account_the_appliance_keeps_refusing_does_not_burn_tokens(fake, client):
    client.logged_in_reps()
    fake.revoke_tokens()
    fake.state["tokens"] = _RefusingDict()  # every new token is refused too

    for _ in range(5):
        with pytest.raises(BeyondTrustAuthError, match="refused the API token"):
            client.logged_in_reps()
    assert fake.tokens_minted == 2  # the first, and one retry; then a pause (ACCOUNT_REFUSED_PAUSE)
    # the good call; the failure and its retry; one try with the cached new token; then nothing
    assert len(fake.commands()) == 4


class _RefusingDict(dict):
    """Tokens the fake mints but never accepts: an account whose API access was withdrawn."""

    def get(self, key, default=None):
        return default


def test_wrong_credentials_are_an_auth_error_without_the_secret(fake, caplog):
    client = CommandClient.for_backend(backend_for(fake, client_secret="wrong-Secret-value"))
    with pytest.raises(BeyondTrustAuthError) as raised:
        client.logged_in_reps()
    assert "HTTP 401" in str(raised.value)
    assert "invalid_client" in str(raised.value)
    assert "wrong-Secret-value" not in str(raised.value) + caplog.text
    assert fake.commands() == []


def test_a_broken_token_endpoint_is_unavailable(fake, client):
    fake.state["token_status"] = 503
    with pytest.raises(BeyondTrustUnavailable, match="HTTP 503"):
        client.logged_in_reps()


# --- Parsing (docs/decisions/0012-xml-by-local-name.md)
# -------------------------------------------------------------------------


@pytest.mark.parametrize("namespace", ["beyondtrust", "bomgar", "none"])
def test_logged_in_reps_in_either_namespace(namespace, client, fake):
    fake.state["namespace"] = namespace
    assert client.logged_in_reps() == REPS


def test_private_display_names_are_never_kept(fake, client):
    reps, teams = client.logged_in_reps(), client.support_teams()
    fake.serve("get_logged_in_reps", "logged_in_reps_variants.xml")
    variants = client.logged_in_reps()
    assert "PRIVATE" not in repr(reps) + repr(teams) + repr(variants)
    assert "private" not in " ".join(Rep.__dataclass_fields__)


def test_unknown_elements_are_ignored_and_missing_optional_ones_tolerated(fake, client):
    fake.serve("get_logged_in_reps", "logged_in_reps_variants.xml")
    assert client.logged_in_reps() == [
        Rep(id=30, public_name="Minimal Rep", showing_on_rep_list=False),
        # display_name stands in for public_display_name; a javascript: link is not a URL.
        Rep(id=31, public_name="Only Deprecated Name", showing_on_rep_list=True),
        # reps without a usable id or without a public name cannot be started: left out
        Rep(id=33, public_name="Spaced", showing_on_rep_list=True),
    ]


def test_nobody_logged_in_is_an_empty_list(fake, client):
    fake.serve("get_logged_in_reps", "logged_in_reps_empty.xml")
    assert client.logged_in_reps() == []


@pytest.mark.parametrize("namespace", ["beyondtrust", "bomgar"])
def test_support_teams_with_issues_and_members(namespace, fake, client):
    fake.state["namespace"] = namespace
    teams = client.support_teams()

    assert parse_qsl(fake.commands()[0].body.decode()) == [
        ("action", "get_support_teams"),
        ("showmembers", "1"),
    ]
    assert teams == [
        Team(
            id=3,
            name="Tech Support",
            code_name="tech_support",
            issues=(TeamIssue(7, "printing", "Printing problems"), TeamIssue(8, "vpn", "VPN access")),
            member_ids=frozenset({12, 15}),
        ),
        Team(id=4, name="Billing", member_ids=frozenset({40})),
    ]
    online = [rep.id for rep in REPS]
    assert [team.is_staffed(online_rep_ids=online) for team in teams] == [True, False]


def test_support_teams_in_the_other_unconfirmed_shapes(fake, client):
    fake.serve("get_support_teams", "support_teams_variants.xml")
    assert client.support_teams() == [
        Team(
            id=5,
            name="Field Service",
            code_name="",
            issues=(TeamIssue(9, "onsite", "On-site visit"), TeamIssue(10, "", "Bad code")),
            member_ids=frozenset({21, 22}),
        ),
    ]


def test_generate_session_key_sends_queue_and_session_fields(fake, client):
    key = client.generate_session_key(
        queue=Queue.issue("printing"),
        external_key="INC0012345",
        custom={"asset_tag": "LT-4471", "empty_field": ""},
        priority=1,
        skills=["windows", "printing"],
        url_hostname="support.example.com",
        ttl=900,
    )

    [command] = fake.commands()
    assert parse_qsl(command.body.decode(), keep_blank_values=True) == [
        ("action", "generate_session_key"),
        ("type", "support"),
        ("queue_id", "issue:printing"),
        ("url_hostname", "support.example.com"),
        ("ttl", "900"),
        ("session.priority", "1"),
        ("session.skills", "windows,printing"),
        ("session.custom.external_key", "INC0012345"),
        ("session.custom.asset_tag", "LT-4471"),
    ]
    assert key == SessionKey(
        short_key="4826153",
        key_url="https://support.example.com/?ak=4826153",
        expires=datetime(2024, 5, 6, 14, 0, tzinfo=UTC),
        mail_subject="Support session invitation",
        mail_body="Please click the link below to start your support session.",
    )


def test_a_session_key_without_the_unconfirmed_elements(fake, client):
    fake.serve("generate_session_key", "session_key_minimal.xml")
    assert client.generate_session_key(queue=Queue.general()) == SessionKey(
        short_key="7300194", key_url="https://support.example.com/?ak=7300194"
    )
    assert parse_qsl(fake.commands()[0].body.decode()) == [
        ("action", "generate_session_key"),
        ("type", "support"),
        ("queue_id", "general"),
    ]


def test_a_session_key_answer_whose_key_is_no_7_character_key_is_unreadable(fake, client):
    """The key goes on to `create_virtual_customer` and the portal's key page, which take a
    7-character key only: a broken answer is an unreadable one, not a key to pass on."""
    fake.serve("generate_session_key", "session_key_malformed.xml")
    with pytest.raises(BeyondTrustBadResponse, match="short_key"):
        client.generate_session_key(queue=Queue.general())


def test_a_session_key_written_in_groups_comes_back_as_the_key(fake, client):
    fake.serve("generate_session_key", "session_key_grouped.xml")
    assert client.generate_session_key(queue=Queue.general()).short_key == "7300194"


@pytest.mark.parametrize("queue", [Queue.general(), Queue.rep(12), Queue.team(3), Queue.issue("vpn-2_x")])
def test_valid_queues_are_sent_as_given(queue, fake, client):
    client.generate_session_key(queue=queue)
    assert dict(parse_qsl(fake.commands()[0].body.decode()))["queue_id"] == queue


@pytest.mark.parametrize(
    "queue",
    [
        "",
        "General",
        "rep:",
        "rep:abc",
        "team:-1",
        "issue:bad code",
        "issue:" + "x" * 65,
        "rep_username:bob",
        "embassy:1",
        "general&action=terminate_session",
        "rep:12\n",
    ],
)
def test_invalid_queues_are_refused_before_calling(queue, fake, client):
    with pytest.raises(ValueError):
        client.generate_session_key(queue=queue)
    assert fake.calls() == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"custom": {"bad code": "x"}},
        {"custom": {"asset_tag\n": "x"}},
        {"custom": {"external_key": "x"}},
        {"custom": {"notes": "x" * 1025}},
        {"custom": {f"f{n}": "é" * 1000 for n in range(5)}},  # 10,000 bytes + external key
        {"priority": 4},
        {"skills": ["windows", "no spaces"]},
        {"url_hostname": "https://support.example.com"},
        {"ttl": 0},
    ],
)
def test_session_fields_outside_the_limits_are_refused(arguments, fake, client):
    with pytest.raises(ValueError):
        client.generate_session_key(queue="general", external_key="T-1", **arguments)
    assert fake.calls() == []


def test_create_virtual_customer(fake, client):
    customer = client.create_virtual_customer(
        short_key="482 6153",
        name="Chat Bot Customer",
        ip_address="203.0.113.9",
        operating_system="Windows 11",
        computer_name="LAPTOP-7",
        locale="de",
    )
    assert parse_qsl(fake.commands()[0].body.decode()) == [
        ("action", "create_virtual_customer"),
        ("short_key", "4826153"),
        ("name", "Chat Bot Customer"),
        ("ip_address", "203.0.113.9"),
        ("operating_system", "Windows 11"),
        ("computer_name", "LAPTOP-7"),
        ("locale", "de"),
    ]
    assert customer == VirtualCustomer(
        download_url="https://support.example.com/download_client_connector?key=abc123",
        chat_url="https://support.example.com/api/start_session?short_key=4826153&c2cjs=1",
    )
    with pytest.raises(ValueError):
        client.create_virtual_customer(
            short_key="4826153",
            name="x",
            ip_address="not-an-ip",
            operating_system="Linux",
            computer_name="pc",
        )


def test_a_key_url_that_is_no_http_link_is_not_passed_on(fake, client):
    fake.serve("generate_session_key", "session_key_script_link.xml")
    assert client.generate_session_key(queue=Queue.general()) == SessionKey(short_key="7300194", key_url="")


def test_virtual_customer_links_that_are_no_plain_http_links_are_not_passed_on(fake, client):
    arguments = {
        "short_key": "4826153",
        "name": "Bot",
        "ip_address": "203.0.113.9",
        "operating_system": "Linux",
        "computer_name": "pc",
    }
    fake.serve("create_virtual_customer", "virtual_customer_data_chat.xml")
    assert client.create_virtual_customer(**arguments) == VirtualCustomer(
        download_url="https://support.example.com/download_client_connector?key=abc123", chat_url=""
    )
    fake.serve("create_virtual_customer", "virtual_customer_script_links.xml")
    with pytest.raises(BeyondTrustBadResponse, match="download_url"):
        client.create_virtual_customer(**arguments)


def test_api_info_with_permissions_as_elements(client):
    info = client.api_info()
    assert info == ApiInfo(
        api_version="1.22.2",
        company_name="example",
        timestamp=datetime.fromtimestamp(1715000000, tz=UTC),
        permissions={"perm_command": "read_only", "perm_backup": "0", "perm_reporting_support": "1"},
    )
    assert info.command_permission == "read_only"
    assert not info.can_generate_session_keys


def test_api_info_with_permissions_as_items(fake, client):
    fake.serve("get_api_info", "api_info_permission_items.xml")
    info = client.api_info()
    assert info.api_version == "1.21.0"
    assert info.company_name == "" and info.timestamp is None
    assert info.permissions == {"perm_command": "full", "perm_backup": "1"}
    assert info.can_generate_session_keys


def test_check_health_lists_every_appliance(client):
    health = client.check_health()
    assert health.appliances == (
        ApplianceHealth(
            hostname="support.example.com",
            version="23.2.1 (build 30123)",
            success=True,
            failover_role="primary",
        ),
        ApplianceHealth(
            hostname="backup.example.com",
            version="23.2.1 (build 30123)",
            success=False,
            error_message="Data sync with the primary failed",
            failover_role="backup",
        ),
    )
    assert not health.healthy


def test_probe_health_is_a_plain_get_without_token(fake, client):
    assert client.probe_health() is True
    fake.state["healthy"] = False
    assert client.probe_health() is False
    probes = fake.calls("/check_health")
    assert [(p.method, p.headers.get("authorization"), p.headers["connection"]) for p in probes] == [
        ("GET", None, "close"),
        ("GET", None, "close"),
    ]
    assert fake.token_requests() == []


# --- Errors (docs/decisions/0011-command-api-errors.md)
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "error", "message"),
    [
        ("error_root", BeyondTrustRejected, "Invalid queue_id for this API account"),
        ("error_child", BeyondTrustRejected, "Internal error while listing representatives"),
        ("http500", BeyondTrustUnavailable, "HTTP 500"),
        ("http429", BeyondTrustUnavailable, "HTTP 429"),
        ("http404", BeyondTrustRejected, "HTTP 404"),
        # docs/decisions/0011-command-api-errors.md: a non-2xx status fails even when the body
        # reads as the normal answer (here a rep list, which must not be taken as one).
        ("http400_document", BeyondTrustRejected, "HTTP 400"),
        ("malformed", BeyondTrustBadResponse, "not well-formed"),
        ("json", BeyondTrustBadResponse, "JSON"),
        ("xxe", BeyondTrustBadResponse, "DTD"),
    ],
)
def test_failures_raise_with_an_admin_message(mode, error, message, fake, client, caplog):
    fake.fail(mode, action="get_logged_in_reps")
    with pytest.raises(error, match=message) as raised:
        client.logged_in_reps()
    assert isinstance(raised.value, BeyondTrustError)
    assert str(raised.value).startswith("get_logged_in_reps")
    client.support_teams()  # other actions unaffected; the token survives a failure
    assert fake.tokens_minted == 1
    [token] = fake.valid_tokens
    assert token not in str(raised.value) + caplog.text
    assert fake.client_secret not in caplog.text


def test_an_unknown_action_answer_is_rejected(fake, client):
    fake.serve("get_logged_in_reps", "session_key.xml")
    with pytest.raises(BeyondTrustBadResponse, match="unexpected answer <session_key>"):
        client.logged_in_reps()


def test_an_xml_bomb_is_refused_without_expanding(fake, client):
    client.api_info()  # token first, so only the bomb is measured
    fake.fail("bomb")
    tracemalloc.start()
    try:
        with pytest.raises(BeyondTrustBadResponse, match="DTD"):
            client.logged_in_reps()
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 1024 * 1024  # expanded, the bomb would be gigabytes


def test_an_answer_over_the_size_cap_is_refused_not_read_whole(fake, client):
    fake.fail("oversized", action="get_logged_in_reps")
    with pytest.raises(BeyondTrustBadResponse, match="larger than allowed"):
        client.logged_in_reps()
    fake.fail(None, action="get_logged_in_reps")  # the same document within the cap is a list
    assert client.logged_in_reps()


def test_a_slow_appliance_times_out_within_the_configured_timeout(fake, settings):
    settings.PORTAL_VENDOR_CONNECT_TIMEOUT = 0.5
    settings.PORTAL_VENDOR_READ_TIMEOUT = 0.2
    client = CommandClient.for_backend(backend_for(fake))
    client.api_info()
    fake.hang()  # it never answers: the real read timeout (0.2 s, kept short) is what is tested
    started = time.monotonic()
    with pytest.raises(BeyondTrustTimeout, match="0.2 s"):
        client.logged_in_reps()
    assert time.monotonic() - started < 1.5  # one read timeout, not retries stacked on it


def test_an_unreachable_appliance_is_unavailable(fake):
    client = CommandClient.for_backend(backend_for(fake))
    fake.shutdown()
    fake.server_close()
    with pytest.raises(BeyondTrustUnavailable, match="cannot connect"):
        client.logged_in_reps()
