"""Benchmark the customer paths the way the field measures them: wrk against gunicorn as shipped.

The portal runs under gunicorn with its shipped worker setup (gunicorn.conf.py when the
repository has one, else the Dockerfile's `--workers 3`), production settings (DEBUG off,
manifest static files collected into a temporary STATIC_ROOT, served by whitenoise),
PORTAL_HTTPS=false for plain http on 127.0.0.1, a throwaway data folder and the demo data
(portal_demo, then portal_bootstrap pointing the default site at the fake BeyondTrust appliance
from tests/fakes, so the rep list and the starts are real BeyondTrust paths without leaving
loopback). Beside it, in the same run and with the same worker setup, django-helpdesk's public
ticket submit page is served from a separate throwaway venv, as the peer: a real Django app's
public form, measured with the same tool at the same time.

Every path is hit by Debian's wrk in interleaved rounds (every path once per round, the order
rotated each round), so machine noise spreads over all paths alike. Per path it prints: req/s
(median of rounds), ratio to the bare Django view and to the peer (median of the per-round
ratios), p50/p99 (wrk --latency), errors (socket errors, non-2xx/3xx, and for starts anything
but 303), server CPU per request (utime+stime of the gunicorn master and workers from
/proc, before/after each run; in the services setup also PostgreSQL's and Redis's) and the
largest worker RSS seen while the path ran.

Starts and the bare POST come from a new random client address each (X-Forwarded-For through
one trusted proxy hop, bench/wrk/post_303.lua), as customers do: the start rate limit runs at
its default and counts each one.

Setups: `embedded` (SQLite + local-memory cache, the defaults) and `services` (PostgreSQL +
Redis on 127.0.0.1, started by .ci/services). Everything it starts is stopped on exit; all
traffic stays on 127.0.0.1.

    .venv/bin/python bench/wrk_bench.py [--setup embedded|services|both] [--rounds 3]
        [--duration 10] [--connections 32] [--wrk-threads 2] [--quick]
        [--workers N] [--threads N] [--worker-class sync]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import random
import re
import resource
import runpy
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WRK_SCRIPTS = ROOT / "bench" / "wrk"
PEER_REQUIREMENT = "django-helpdesk>=2,<3"
CLK_TCK = os.sysconf("SC_CLK_TCK")
SETTLE_SECONDS = 30  # bound for every "wait until" loop (server start, stop)


# ------------------------------------------------------------------------------
# Processes: start in their own group, stop the whole group, read CPU and memory from /proc
# ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_low_port() -> int:
    """A free port below the ephemeral range, as .ci/services wants for PostgreSQL and Redis
    (no outgoing connection can hold it); random, so two runs side by side do not collide."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port between 20000 and 32000")


def stop_group(proc: subprocess.Popen, sig=signal.SIGTERM, timeout: float = SETTLE_SECONDS) -> None:
    """Stops a process started with start_new_session=True and everything in its group."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:  # workers that outlived their master, or a master that ignored the signal
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.poll() is None:
        proc.wait(timeout=timeout)


def stop_child(child: subprocess.Popen, *, wrapped: bool) -> None:
    """Stops a setup's child run: the bench process first (SIGTERM: its finally blocks stop its
    servers), then, when it runs inside .ci/services, that script, which stops PostgreSQL and
    Redis itself once its command has ended."""
    if child.poll() is None and wrapped:
        for pid in children(child.pid):  # the bench process .ci/services runs
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            child.wait(timeout=SETTLE_SECONDS * 2)
        except subprocess.TimeoutExpired:
            pass
    stop_group(child, timeout=SETTLE_SECONDS * 2)


def busy_ticks() -> int:
    """CPU ticks the whole machine spent busy (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return user + nice + system + irq + softirq + steal


def children_cpu_ticks() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children: the wrk runs
    return (usage.ru_utime + usage.ru_stime) * CLK_TCK


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()  # fields after "pid (comm)"; comm may hold spaces


def children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += [int(p) for p in task.read_text().split()]
        except OSError:
            pass
    return kids


def tree_ticks(pid: int) -> int:
    """CPU ticks (user + system) of a process and its children, including children that have
    exited and been waited for (cutime/cstime): a recycled gunicorn worker is not lost."""
    total, todo, seen = 0, [pid], set()
    while todo and len(seen) < 1000:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        fields = _stat(current)
        if fields is None:
            continue
        # after "pid (comm)": state=0 ... utime=11 stime=12 cutime=13 cstime=14
        total += sum(int(fields[i]) for i in (11, 12, 13, 14))
        todo += children(current)
    return total


def rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def service_pids(port: int) -> list[int]:
    """PostgreSQL's postmaster (its command line has `-p PORT`; its backends' do not) and
    redis-server (`127.0.0.1:PORT`), as .ci/services starts them. Read only, never signalled."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ("postgres" in text and f"-p {port} " in text) or (
            "redis-server" in text and f"127.0.0.1:{port}" in text
        ):
            found.append(int(cmdline.parent.name))
    return found


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS * 2
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}); its log:\n{tail(log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not answer {url}; its log:\n{tail(log)}")


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, *, data: dict | None = None, headers: dict | None = None) -> tuple[int, dict, str]:
    """One request, redirects not followed: (status, headers, body)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    request = urllib.request.Request(url, data=body, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


# ------------------------------------------------------------------------------
# wrk
# ------------------------------------------------------------------------------
@dataclass
class Target:
    name: str
    server: str  # "portal" or "peer"
    path: str
    script: str = ""  # a Lua file under bench/wrk/, for the POSTs
    script_args: list[str] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)
    expect: int = 200


@dataclass
class Sample:
    rps: float
    requests: int
    errors: int
    p50_ms: float
    p99_ms: float
    server_ticks: int
    services_ticks: int
    max_rss_kb: int
    timeouts: int  # of `errors`: requests wrk gave up on (--timeout)
    bad_status: int  # of `errors`: answers with the wrong status
    wrk_ticks: int  # the load generator's own CPU
    others_share: float  # CPU used by everything else on the machine, share of all cores


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(output: str) -> dict:
    def number(pattern, default=None):
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output without {pattern!r}:\n{output}")
            return default
        return match

    def latency(percent):
        match = number(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$")
        return float(match.group(1)) * UNITS[match.group(2)]

    socket_errors = number(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", False)
    non_2xx = number(r"Non-2xx or 3xx responses: (\d+)", False)
    wrong = number(r"^wrong_status (\d+)$", False)
    return {
        "rps": float(number(r"^Requests/sec:\s+([\d.]+)").group(1)),
        "requests": int(number(r"^\s+(\d+) requests in ").group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "socket_errors": sum(int(g) for g in socket_errors.groups()) if socket_errors else 0,
        "timeouts": int(socket_errors.group(4)) if socket_errors else 0,
        "non_2xx_3xx": int(non_2xx.group(1)) if non_2xx else 0,
        "wrong_status": int(wrong.group(1)) if wrong else None,  # only the Lua scripts print it
    }


def run_wrk(
    target: Target, base_url: str, *, args, duration: float, watch_pid: int, services_pids: list[int]
) -> Sample:
    command = [
        "wrk",
        f"-t{args.wrk_threads}",
        f"-c{args.connections}",
        f"-d{duration:g}s",
        "--latency",
        "--timeout",
        f"{args.timeout:g}s",
    ]
    for header in target.headers:
        command += ["-H", header]
    if target.script:
        command += ["-s", str(WRK_SCRIPTS / target.script)]
    command.append(base_url + target.path)
    if target.script_args:
        command += ["--", *target.script_args]
    before = tree_ticks(watch_pid)
    services_before = sum(tree_ticks(pid) for pid in services_pids)
    machine_before, wrk_before, started = busy_ticks(), children_cpu_ticks(), time.monotonic()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    max_rss, deadline = 0, time.monotonic() + duration + args.timeout + SETTLE_SECONDS
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            max_rss = max([max_rss, *(rss_kb(pid) for pid in children(watch_pid))])
            time.sleep(0.25)
        output, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        stop_group(proc)
    after = tree_ticks(watch_pid)
    services_after = sum(tree_ticks(pid) for pid in services_pids)
    machine, wrk_ticks = busy_ticks() - machine_before, children_cpu_ticks() - wrk_before
    capacity = (time.monotonic() - started) * CLK_TCK * (os.cpu_count() or 1)
    # What the rest of the machine (other people's work) took meanwhile: the noise indicator.
    others = machine - (after - before) - (services_after - services_before) - wrk_ticks
    max_rss = max([max_rss, *(rss_kb(pid) for pid in children(watch_pid))])
    if proc.returncode != 0:
        raise SystemExit(f"wrk failed ({proc.returncode}) on {target.name}:\n{output}")
    parsed = parse_wrk(output)
    # A start must end in 303: the Lua script counts every other status (including the
    # non-2xx/3xx ones wrk counts itself). For the GETs wrk's own count is the one.
    if target.script and parsed["wrong_status"] is None:
        raise SystemExit(f"{target.script} printed no wrong_status line:\n{output}")
    wrong = parsed["wrong_status"] if target.script else parsed["non_2xx_3xx"]
    return Sample(
        rps=parsed["rps"],
        requests=parsed["requests"],
        errors=parsed["socket_errors"] + wrong,
        p50_ms=parsed["p50_ms"],
        p99_ms=parsed["p99_ms"],
        server_ticks=after - before,
        services_ticks=services_after - services_before,
        max_rss_kb=max_rss,
        timeouts=parsed["timeouts"],
        bad_status=wrong,
        wrk_ticks=round(wrk_ticks),
        others_share=max(0.0, others / capacity) if capacity else 0.0,
    )


# ------------------------------------------------------------------------------
# The peer: django-helpdesk in its own venv, with a minimal project written here
# ------------------------------------------------------------------------------
PEER_SETTINGS = """\
# Written by bench/wrk_bench.py: the least django-helpdesk needs, production-like (DEBUG off).
SECRET_KEY = {secret!r}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]
INSTALLED_APPS = [
    "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
    "django.contrib.sessions", "django.contrib.sites", "django.contrib.messages",
    "django.contrib.humanize", "django.contrib.staticfiles", "rest_framework", "helpdesk",
]
SITE_ID = 1
HELPDESK_TEAMS_MODE_ENABLED = False  # else it needs pinax-teams
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]
ROOT_URLCONF = "peer_urls"
TEMPLATES = [{{
    "BACKEND": "django.template.backends.django.DjangoTemplates",
    "APP_DIRS": True,
    "OPTIONS": {{"context_processors": [
        "django.template.context_processors.request",
        "django.contrib.auth.context_processors.auth",
        "django.contrib.messages.context_processors.messages",
    ]}},
}}]
DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}}
STATIC_URL = "static/"
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""
PEER_URLS = """\
from django.urls import include, path

urlpatterns = [path("helpdesk/", include("helpdesk.urls"))]
"""
PEER_WSGI = """\
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
"""
PEER_PATH = "/helpdesk/tickets/submit/"


def create_peer_venv(directory: Path) -> Path:
    """A throwaway venv with django-helpdesk and the same gunicorn the portal runs on."""
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    python = directory / "bin" / "python"
    gunicorn = f"gunicorn=={importlib.metadata.version('gunicorn')}"
    print(f"bench: installing {PEER_REQUIREMENT} and {gunicorn} into {directory}", flush=True)
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PEER_REQUIREMENT,
            gunicorn,
        ],
        check=True,
    )
    return python


def prepare_peer(python: Path, directory: Path) -> dict:
    directory.mkdir(parents=True)
    (directory / "peer_settings.py").write_text(
        PEER_SETTINGS.format(secret=secrets.token_urlsafe(50), db=str(directory / "helpdesk.sqlite3"))
    )
    (directory / "peer_urls.py").write_text(PEER_URLS)
    (directory / "peer_wsgi.py").write_text(PEER_WSGI)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory),
        "DJANGO_SETTINGS_MODULE": "peer_settings",
        # The portal's root too, for its gunicorn worker class (portal/gunicorn_worker.py imports
        # gunicorn only): the peer runs on the same worker setup.
        "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]),
    }
    run = dict(cwd=directory, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run([str(python), "-m", "django", "migrate", "--no-input", "-v0"], **run)
    subprocess.run(
        [
            str(python),
            "-m",
            "django",
            "shell",
            "-c",
            "from helpdesk.models import Queue; Queue.objects.create("
            "title='Support', slug='support', allow_public_submission=True)",
        ],
        **run,
    )
    version = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m; print(m.version('django-helpdesk'), m.version('django'))",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {"env": env, "helpdesk_version": version[0], "django_version": version[1]}


# ------------------------------------------------------------------------------
# One setup: portal + peer up, demo data in, rounds of wrk, results out
# ------------------------------------------------------------------------------
def gunicorn_command(python: str, app: str, port: int, args, *, config: Path | None) -> list[str]:
    command = [
        python,
        "-m",
        "gunicorn",
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        args.worker_class,
    ]
    if config is not None:
        command[3:3] = ["--config", str(config)]
    if args.access_log:  # as shipped: `--access-logfile -` (here to /dev/null)
        command += ["--access-logfile", "-"]
    return command


def start_server(stack: ExitStack, command, *, cwd, env, log: Path, probe: str) -> subprocess.Popen:
    log_file = stack.enter_context(open(log, "w"))
    proc = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=log_file, start_new_session=True
    )
    stack.callback(stop_group, proc)
    wait_until_up(probe, proc, log)
    return proc


def start_portal(stack: ExitStack, env: dict, args, log: Path) -> tuple[subprocess.Popen, str]:
    """The portal under gunicorn as shipped (the repository's gunicorn.conf.py) on a free
    port, once its bare view answers: the process and its base URL."""
    port = free_port()
    config = ROOT / "gunicorn.conf.py"
    proc = start_server(
        stack,
        gunicorn_command(
            sys.executable, "bench.wsgi", port, args, config=config if config.exists() else None
        ),
        cwd=ROOT,
        env=env,
        log=log,
        probe=f"http://127.0.0.1:{port}/bench/bare/",
    )
    return proc, f"http://127.0.0.1:{port}"


def manage(env, *args) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    ).stdout


def portal_env(setup: str, data_dir: Path, static_root: Path) -> dict:
    env = dict(os.environ)
    for name in ("DJANGO_DEBUG", "PORTAL_MANIFEST_STATIC", "PORTAL_STATIC_FINDERS", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)  # the shipped defaults, whatever the caller's shell has
    if setup == "embedded":
        env.pop("DATABASE_URL", None)
        env.pop("CACHE_URL", None)
    elif not (
        env.get("DATABASE_URL", "").startswith("postgres") and env.get("CACHE_URL", "").startswith("redis")
    ):
        raise SystemExit("services setup: DATABASE_URL/CACHE_URL missing (run through .ci/services)")
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",  # portal settings + the bare view's URL
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "PORTAL_HTTPS": "false",  # plain http on 127.0.0.1; everything else as in production
            "PORTAL_DATA_DIR": str(data_dir),
            "DJANGO_STATIC_ROOT": str(static_root),
            # The form POSTs come from many customers, as in the field: each names its own
            # address in X-Forwarded-For (bench/wrk/post_303.lua) as a proxy in front of the
            # portal does, so every start is counted by the rate limit at its default (30 a
            # minute per address) and most are a client's first in its window. The API's one
            # token sends every API request: its per-token limit would refuse it.
            "PORTAL_TRUSTED_PROXY_COUNT": "1",
            "PORTAL_API_RATE_LIMIT": str(10**9),
        }
    )
    return env


def load_demo(env: dict, fake) -> dict:
    """The demo site, moved onto the fake appliance; a prefill secret and an API token."""
    manage(env, "migrate", "--no-input")
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    manage(env, "portal_demo", "--no-user")
    manage(
        {
            **env,
            "BEYONDTRUST_URL": fake.base_url,
            "BEYONDTRUST_CLIENT_ID": fake.client_id,
            "BEYONDTRUST_CLIENT_SECRET": fake.client_secret,
            "BEYONDTRUST_STYLE": "modern",
        },
        "portal_bootstrap",
    )
    prefill_secret = secrets.token_urlsafe(32)
    site_pk = (
        manage(
            env,
            "shell",
            "-c",
            (
                "from portal.models import Site; site = Site.objects.get(is_default=True); "
                f"site.prefill_secret = {prefill_secret!r}; site.save(); print(site.pk)"
            ),
        )
        .strip()
        .splitlines()[-1]
    )
    token = manage(env, "portal_token", "--site", site_pk, "--name", "bench").strip().splitlines()[-1]
    # what the settings made of this setup's environment, for the table's title
    backends = (
        manage(
            env,
            "shell",
            "-c",
            (
                "from django.conf import settings; "
                "print(settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1], "
                "settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])"
            ),
        )
        .strip()
        .splitlines()[-1]
        .split()
    )
    return {
        "prefill_secret": prefill_secret,
        "api_token": token,
        "database": backends[0],
        "cache": backends[1],
    }


def static_file(static_root: Path) -> str:
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    return "/static/" + manifest["paths"]["portal/portal.css"]


def form_timestamp(base: str, path: str) -> str:
    status, _headers, html = fetch(base + path)
    match = re.search(r'name="ts" value="([^"]+)"', html)
    if status != 200 or match is None:
        raise SystemExit(f"no signed ts field on {path} ({status})")
    return match.group(1)


def targets(base: str, demo: dict, static_path: str) -> list[Target]:
    from portal.prefill import sign_prefill

    origin = base  # what a browser sends for a same-origin POST
    help_desk_link = "/survey/?" + urllib.parse.urlencode(
        {
            "name": "Jane Doe",
            "details": "Printer offline since 9:00",
            "issue": "printing",
            "external_key": "INC0012345",
        }
    )
    signed_link = "/survey/?" + sign_prefill(
        secret=demo["prefill_secret"],
        values={"external_key": "INC0012345", "name": "Jane Doe"},
        expires_at=int(time.time()) + 24 * 3600,
    )

    def form_post(name: str, path: str, script: str, *, page: str) -> Target:
        """A form POST sent by a bench/wrk script, with the signed `ts` of `page` and the
        Origin a browser sends; only a 303 counts."""
        return Target(
            name, "portal", path, script=script, script_args=[form_timestamp(base, page), origin], expect=303
        )

    return [
        Target("bare Django view", "portal", "/bench/bare/"),
        Target("whitenoise static file", "portal", static_path),
        form_post("bare POST → 303", "/bench/bare-post/", "bare_post.lua", page="/key/"),
        form_post("bare start: counter + record → 303", "/bench/bare-start/", "bare_start.lua", page="/key/"),
        Target("landing GET /", "portal", "/"),
        Target("key page GET /key/", "portal", "/key/"),
        Target("survey page GET /survey/", "portal", "/survey/"),
        Target("rep list GET /reps/", "portal", "/reps/"),
        Target("survey, help-desk prefill", "portal", help_desk_link),
        Target("survey, signed prefill link", "portal", signed_link),
        form_post("key start POST /key/ → 303", "/key/", "key_start.lua", page="/key/"),
        form_post("survey start POST /survey/ → 303", "/survey/", "survey_start.lua", page="/survey/"),
        Target(
            "API GET /api/v1/reps",
            "portal",
            "/api/v1/reps",
            headers=[f"Authorization: Bearer {demo['api_token']}"],
        ),
        Target("peer: django-helpdesk submit page", "peer", PEER_PATH),
    ]


# What bench/wrk/key_start.lua (and bare_post.lua, bare_start.lua) post, for the preflight's request by hand.
KEY_START_FIELDS = {"key": "123 4567", "consent": "on", "locale": "en-us", "tz": "60"}


def preflight(target: Target, base: str) -> None:
    """One request by hand before the load: the status (and for prefill, the values) must be
    what a customer gets, or the numbers would measure an error page."""
    headers = dict(h.split(": ", 1) for h in target.headers)
    data = None
    if target.script:
        fields = {
            "key_start.lua": KEY_START_FIELDS,
            "bare_post.lua": KEY_START_FIELDS,  # the same body (bench/wrk/bare_post.lua)
            "bare_start.lua": KEY_START_FIELDS,
            "survey_start.lua": {
                "issue": "printing",
                "name": "Jane Doe",
                "details": "Printer offline since 9:00",
                "cf_printer_model": "HP 4000",
                "cf_urgency": "high",
                "consent": "on",
                "locale": "en-us",
                "tz": "60",
            },
        }[target.script]
        data = {**fields, "ts": target.script_args[0], "website": ""}
        headers.update({"Origin": target.script_args[1], "Sec-Fetch-Site": "same-origin"})
    status, response_headers, body = fetch(base + target.path, data=data, headers=headers)
    if status != target.expect:
        raise SystemExit(f"preflight {target.name}: {status}, expected {target.expect}:\n{body[:2000]}")
    if "prefill" in target.name and 'value="INC0012345"' not in body:
        raise SystemExit(f"preflight {target.name}: the prefilled value is not on the page")
    if "signed" in target.name and "Filled in by your help desk" not in body:
        raise SystemExit(f"preflight {target.name}: the signed values are not locked")


def run_setup(setup: str, args) -> dict:
    from tests.fakes.beyondtrust import FakeBeyondTrust
    from tests.fakes.server import running

    work = Path(tempfile.mkdtemp(prefix=f"portal-wrk-{setup}-"))
    try:
        with ExitStack() as stack:
            fake = stack.enter_context(running(FakeBeyondTrust()))
            env = portal_env(setup, work / "data", work / "static")
            demo = load_demo(env, fake)
            peer = prepare_peer(Path(args.peer_python), work / "peer")
            config = ROOT / "gunicorn.conf.py"
            portal, portal_base = start_portal(stack, env, args, work / "portal.log")
            peer_port = free_port()
            peer_server = start_server(
                stack,
                gunicorn_command(args.peer_python, "peer_wsgi", peer_port, args, config=None),
                cwd=work / "peer",
                env=peer["env"],
                log=work / "peer.log",
                probe=f"http://127.0.0.1:{peer_port}{PEER_PATH}",
            )
            bases = {"portal": portal_base, "peer": f"http://127.0.0.1:{peer_port}"}
            servers = {"portal": portal.pid, "peer": peer_server.pid}
            services_pids = []
            if setup == "services":
                for url in (env["DATABASE_URL"], env["CACHE_URL"]):
                    services_pids += service_pids(urllib.parse.urlsplit(url).port)
            plan = targets(bases["portal"], demo, static_file(work / "static"))
            for target in plan:
                preflight(target, bases[target.server])
            loadavg_before = Path("/proc/loadavg").read_text().split()[:3]
            if args.warmup > 0:
                print(f"bench [{setup}]: warm-up, {args.warmup:g} s per path", flush=True)
                for target in plan:
                    run_wrk(
                        target,
                        bases[target.server],
                        args=args,
                        duration=args.warmup,
                        watch_pid=servers[target.server],
                        services_pids=[],
                    )
            rounds: list[dict[str, dict]] = []
            for number in range(args.rounds):
                shift = number % len(plan)  # rotate the order: no path always runs first
                order = plan[shift:] + plan[:shift]
                print(f"bench [{setup}]: round {number + 1}/{args.rounds}", flush=True)
                samples = {}
                for target in order:
                    samples[target.name] = asdict(
                        run_wrk(
                            target,
                            bases[target.server],
                            args=args,
                            duration=args.duration,
                            watch_pid=servers[target.server],
                            services_pids=services_pids,
                        )
                    )
                rounds.append(samples)
            return {
                "setup": setup,
                "paths": [t.name for t in plan],
                "rounds": rounds,
                "database": demo["database"],
                "cache": demo["cache"],
                "services_measured": bool(services_pids),
                "peer": {k: v for k, v in peer.items() if k != "env"},
                "loadavg_before": loadavg_before,
                "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
                "workers": args.workers,
                "threads": args.threads,
                "worker_class": args.worker_class,
                "gunicorn_conf": config.exists(),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------------------
# The table
# ------------------------------------------------------------------------------
SETUP_TITLES = {"embedded": "embedded", "services": "scaled out, on 127.0.0.1"}


def setup_title(result: dict) -> str:
    """E.g. "embedded: sqlite3 + LocMemCache", from the settings the run had."""
    if "database" not in result:  # an older --json file
        return result["setup"]
    return f"{SETUP_TITLES[result['setup']]}: {result['database']} + {result['cache']}"


def median_or_dash(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "–"


def errors_cell(samples: list[dict]) -> str:
    """The error count, and what it is made of when it is not zero."""
    total = sum(s["errors"] for s in samples)
    if not total or "timeouts" not in samples[0]:
        return str(total)
    parts = [
        (sum(s["timeouts"] for s in samples), "timeouts"),
        (sum(s["bad_status"] for s in samples), "status"),
    ]
    return (
        f"{total} (" + ", ".join(f"{n} {label}" for n, label in parts if n) + ")"
        if any(n for n, _ in parts)
        else str(total)
    )


def table(result: dict) -> str:
    rounds, bare_name = result["rounds"], result["paths"][0]
    peer_name = result["paths"][-1]
    services = result["services_measured"]
    head = (
        "| path | req/s | × bare | × peer | p50 ms | p99 ms (worst) | errors | CPU ms/req | × bare by CPU |"
        + (" DB+cache CPU ms/req |" if services else "")
        + " max worker RSS MB |"
    )
    lines = [head, "|" + "---|" + "---:|" * (head.count("|") - 2)]

    def cpu_per_request(name):
        samples = [r[name] for r in rounds]
        return sum(s["server_ticks"] for s in samples) / max(1, sum(s["requests"] for s in samples))

    for name in result["paths"]:
        samples = [r[name] for r in rounds]
        requests = sum(s["requests"] for s in samples)

        def per_request(key, samples=samples, requests=requests):
            return (1000 * sum(s[key] for s in samples) / CLK_TCK / requests) if requests else 0.0

        bare_ratio = median_or_dash(
            [r[name]["rps"] / r[bare_name]["rps"] for r in rounds if r[bare_name]["rps"]]
        )
        peer_ratio = median_or_dash(
            [r[name]["rps"] / r[peer_name]["rps"] for r in rounds if r[peer_name]["rps"]]
        )
        p99s = [s["p99_ms"] for s in samples]
        cells = [
            name,
            f"{statistics.median(s['rps'] for s in samples):.0f}",
            bare_ratio,
            peer_ratio,
            f"{statistics.median(s['p50_ms'] for s in samples):.1f}",
            f"{statistics.median(p99s):.1f} ({max(p99s):.0f})",
            errors_cell(samples),
            f"{per_request('server_ticks'):.2f}",
            (
                f"{cpu_per_request(bare_name) / cpu_per_request(name):.2f}"
                if cpu_per_request(name) and cpu_per_request(bare_name)
                else "–"
            ),
        ]
        if services:
            cells.append(f"{per_request('services_ticks'):.2f}" if name != peer_name else "–")
        cells.append(f"{max(s['max_rss_kb'] for s in samples) / 1024:.0f}")
        lines.append("| " + " | ".join(cells) + " |")
    floor = next((name for name in result["paths"] if name.startswith("bare start")), None)
    starts = [name for name in result["paths"] if " start POST " in name]
    if floor and starts:
        ratios = [
            f"{name.split(' POST ')[0]} "
            + median_or_dash([r[name]["rps"] / r[floor]["rps"] for r in rounds if r[floor]["rps"]])
            for name in starts
        ]
        lines += ["", f"Starts per second as a share of the bare start's (same rounds): {', '.join(ratios)}."]
    return "\n".join(lines)


def report(results: list[dict], args) -> str:
    first = results[0]
    out = [
        f"wrk -t{args.wrk_threads} -c{args.connections} -d{args.duration:g}s --latency "
        f"--timeout {args.timeout:g}s, {args.rounds} interleaved rounds; gunicorn "
        f"{first['workers']} × {first['worker_class']} worker(s), {first['threads']} thread(s)"
        f"{' (gunicorn.conf.py)' if first['gunicorn_conf'] else ''}; {os.cpu_count()} cores; peer: "
        f"django-helpdesk {first['peer']['helpdesk_version']} (Django {first['peer']['django_version']}, "
        f"SQLite) {PEER_PATH}",
        "",
    ]
    for result in results:
        shares = [s["others_share"] for r in result["rounds"] for s in r.values()]
        wrk_ms = [
            1000 * s["wrk_ticks"] / CLK_TCK / s["requests"]
            for r in result["rounds"]
            for s in r.values()
            if s["requests"]
        ]
        out += [
            f"### {setup_title(result)}",
            "",
            f"load average before/after: {' '.join(result['loadavg_before'])} / "
            f"{' '.join(result['loadavg_after'])}; CPU taken by other work on the machine "
            f"while measuring: median {statistics.median(shares):.0%}, max {max(shares):.0%} of "
            f"all cores; wrk itself: {min(wrk_ms):.2f}–{max(wrk_ms):.2f} ms CPU per request",
            "",
            table(result),
            "",
        ]
    return "\n".join(out)


# ------------------------------------------------------------------------------
# Entry point: the outer run makes the peer venv and runs each setup in a child process
# (the services one inside .ci/services, which starts and stops PostgreSQL and Redis)
# ------------------------------------------------------------------------------
def shipped_workers() -> tuple[int, int, str]:
    """The worker setup gunicorn would use as shipped: gunicorn.conf.py's, when there is one,
    else the Dockerfile's command line (`--workers 3`, sync)."""
    config = ROOT / "gunicorn.conf.py"
    if not config.exists():
        from portal.conf import bounded_number

        return bounded_number(os.environ, "WEB_CONCURRENCY", 3, at_least=1), 1, "sync"
    from gunicorn.config import Config

    cfg = Config()
    for name, value in runpy.run_path(str(config)).items():
        if name in cfg.settings:
            cfg.set(name, value)
    return cfg.workers, cfg.threads, cfg.worker_class_str


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=["embedded", "services", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=3)
    # whole seconds: wrk takes no fractions
    parser.add_argument("--duration", type=int, default=10, help="seconds per path and round")
    parser.add_argument("--warmup", type=int, default=2, help="seconds per path before round 1")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=2, help="wrk's socket timeout, seconds")
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s, 1 s warm-up: a smoke run")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--worker-class")
    parser.add_argument(
        "--no-access-log",
        dest="access_log",
        action="store_false",
        help="gunicorn without `--access-logfile -` (shipped: with)",
    )
    parser.add_argument("--peer-venv", help="reuse this django-helpdesk venv instead of a throwaway one")
    parser.add_argument("--json", help="also write the raw per-round samples here")
    parser.add_argument("--inner", choices=["embedded", "services"], help=argparse.SUPPRESS)
    parser.add_argument("--inner-out", help=argparse.SUPPRESS)
    parser.add_argument("--peer-python", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.duration, args.warmup = 1, 3, 1
    if (
        not 1 <= args.rounds <= 20
        or not 1 <= args.duration <= 120
        or not 0 <= args.warmup <= 60
        or not 1 <= args.timeout <= 60
    ):
        parser.error("--rounds 1..20, --duration 1..120 s, --warmup 0..60 s, --timeout 1..60 s")
    workers, threads, worker_class = shipped_workers()
    args.workers = args.workers or workers
    args.threads = args.threads or threads
    args.worker_class = args.worker_class or worker_class
    return args


def forwarded(args) -> list[str]:
    items = [
        "--rounds",
        str(args.rounds),
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        "--connections",
        str(args.connections),
        "--wrk-threads",
        str(args.wrk_threads),
        "--timeout",
        str(args.timeout),
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        args.worker_class,
    ]
    return items + ([] if args.access_log else ["--no-access-log"])


def main(argv=None) -> None:
    sys.path.insert(0, str(ROOT))  # portal, tests.fakes, and whatever gunicorn.conf.py imports
    args = parse_args(argv)
    # SIGTERM (a parent stopping us) runs the finally blocks, so servers are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.inner:
        result = run_setup(args.inner, args)
        Path(args.inner_out).write_text(json.dumps(result))
        return
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk missing: install Debian's package (apt-get install wrk), or run `make bench-wrk` as root"
        )
    setups = ["embedded", "services"] if args.setup == "both" else [args.setup]
    work = Path(tempfile.mkdtemp(prefix="portal-wrk-"))
    results = []
    try:
        peer_python = (
            Path(args.peer_venv) / "bin" / "python"
            if args.peer_venv
            else create_peer_venv(work / "peer-venv")
        )
        for setup in setups:
            out = work / f"{setup}.json"
            command = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--inner",
                setup,
                "--inner-out",
                str(out),
                "--peer-python",
                str(peer_python),
                *forwarded(args),
            ]
            env = dict(os.environ)
            if setup == "services":
                command = [str(ROOT / ".ci" / "services"), *command]
                env.update({"PG_PORT": str(free_low_port()), "REDIS_PORT": str(free_low_port())})
            child = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
            try:
                # bounded: setup, warm-up and the rounds, with room for a slow shared machine
                budget = 600 + 14 * (args.warmup + args.rounds * (args.duration + args.timeout + 5))
                child.wait(timeout=budget)
            finally:
                stop_child(child, wrapped=setup == "services")
            if child.returncode != 0:
                raise SystemExit(f"bench: the {setup} setup failed ({child.returncode})")
            results.append(json.loads(out.read_text()))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": forwarded(args), "results": results}, indent=1))
    print("\n" + report(results, args))


if __name__ == "__main__":
    main()
