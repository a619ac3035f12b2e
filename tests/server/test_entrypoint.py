"""The image's entrypoint (docker-entrypoint.sh) stops at once on `docker stop`, and its
HEALTHCHECK says "not started yet" while the worker waits for the migrations.

Docker is not needed: the script runs as it does in a container, as the first process of a
PID namespace of its own (util-linux `unshare`, where the kernel gives PID 1 no default action
for SIGTERM: what made `docker stop` wait its full timeout), with a fake `python` first on PATH
that records how it is called and stands for the slow step (`migrate`) until it is stopped."""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
ENTRYPOINT = ROOT / "docker-entrypoint.sh"
BOUND = 20  # seconds: every wait below ends on an event well before; this only bounds a failure

FAKE_PYTHON = r"""#!/bin/sh
# Records its arguments; hangs (until TERM) when they match $FAKE_HANG; fails `migrate --check`
# when $FAKE_NOT_MIGRATED is set, running the image's healthcheck from inside the container once.
echo "call $*" >> "$CALLS"
echo "call $*" > "$EVENTS"
case "$*" in
  *"migrate --check"*)
    if [ -n "$FAKE_NOT_MIGRATED" ]; then
      if [ ! -e "$HEALTH" ]; then
        status=0
        sh "$ENTRYPOINT" healthcheck > "$HEALTH.out" 2>&1 || status=$?
        echo "$status" >> "$HEALTH.out" && mv "$HEALTH.out" "$HEALTH"
        echo "health checked" > "$EVENTS"
      fi
      exit 1
    fi ;;
  -c*) exit 1 ;;  # the healthcheck's request to :8000: nothing listens in a worker
esac
case "$*" in
  *"$FAKE_HANG"*)
    trap 'echo "TERM $*" >> "$CALLS"; kill "$sleeper"; exit 143' TERM
    sleep 300 &
    sleeper=$!
    echo "hanging $*" > "$EVENTS"  # only now: a TERM before the trap was set left no trace
    wait "$sleeper" ;;
esac
exit 0
"""


def namespace_prefix() -> list[str]:
    """`unshare` into a PID namespace (with its own /proc, so /proc/1 is the entrypoint), as
    root or in a user namespace; [] where neither is allowed (the script then runs as an
    ordinary process: the forwarded TERM is still checked, PID 1's deafness is not)."""
    for prefix in (
        ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"],
        ["unshare", "--user", "--map-root-user", "--pid", "--fork", "--mount-proc", "--kill-child"],
    ):
        try:
            probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=BOUND)
        except FileNotFoundError:
            return []
        if probe.returncode == 0:
            return prefix
    return []


PREFIX = namespace_prefix()


class Container:
    def __init__(self, tmp_path: Path, *args: str, **fake: str) -> None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        (bin_dir / "python").write_text(FAKE_PYTHON)
        (bin_dir / "python").chmod(0o755)
        self.calls, self.health = tmp_path / "calls", tmp_path / "health"
        self.calls.touch()
        # The fake's calls as they happen, awaited with select(): a FIFO this test holds open at
        # both ends (so a writer never blocks on opening it, and the reader never sees its end).
        events = tmp_path / "events"
        os.mkfifo(events)
        self.events = os.open(events, os.O_RDONLY | os.O_NONBLOCK)
        self.events_writer = os.open(events, os.O_WRONLY)
        self.seen = ""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DJANGO_", "PORTAL_"))}
        env.pop("CACHE_URL", None)
        env.update(
            PATH=f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}",
            CALLS=str(self.calls),
            EVENTS=str(events),
            HEALTH=str(self.health),
            ENTRYPOINT=str(ENTRYPOINT),
            **fake,
        )
        self.process = subprocess.Popen(
            [*PREFIX, "sh", str(ENTRYPOINT), *args],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def await_event(self, pattern: str) -> None:
        """Until the fake says a line matching `pattern` (bounded)."""
        deadline = time.monotonic() + BOUND
        while not re.search(pattern, self.seen, re.MULTILINE):
            assert self.process.poll() is None, self.process.communicate()
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"never seen: {pattern}\n{self.seen}"
            if select.select([self.events], [], [], min(remaining, 1.0))[0]:
                self.seen += os.read(self.events, 65536).decode()

    def entrypoint_pid(self) -> int:
        """The shell's own id: the first child of `unshare --fork`, or the process itself."""
        if not PREFIX:
            return self.process.pid
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return int(children[0])

    def stop(self, signum: int = signal.SIGTERM) -> int | None:
        """`docker stop`: the signal to the first process, then its exit awaited (bounded)."""
        os.kill(self.entrypoint_pid(), signum)
        try:
            return self.process.wait(timeout=BOUND)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if self.process.poll() is None:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=BOUND)
            self.process.communicate()
            os.close(self.events)
            os.close(self.events_writer)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_docker_stop_during_migrate_stops_migrate_and_the_start(tmp_path, signum):
    container = Container(
        tmp_path, "gunicorn", "--config", "gunicorn.conf.py", FAKE_HANG="migrate --no-input"
    )
    container.await_event(r"^hanging manage.py migrate --no-input$")
    assert container.stop(signum) is not None, "the entrypoint ignored the signal"
    calls = container.calls.read_text().splitlines()
    assert calls[-1] == "TERM manage.py migrate --no-input"  # migrate was stopped, not orphaned
    assert calls[0] == "call gunicorn.conf.py"  # gunicorn's numbers checked before anything runs
    assert not any("portal_bootstrap" in call for call in calls)  # nothing ran after it


def test_docker_stop_while_the_worker_waits_for_the_migrations(tmp_path):
    container = Container(tmp_path, "worker", FAKE_NOT_MIGRATED="1", FAKE_HANG="never")
    container.await_event(r"^call manage.py migrate --check --skip-checks$")
    assert container.stop() is not None, "the entrypoint ignored the signal"
    assert not any("db_worker" in call for call in container.calls.read_text().splitlines())


@pytest.mark.skipif(not PREFIX, reason="needs a PID namespace of its own (unshare)")
def test_the_worker_waiting_for_the_migrations_is_not_started_yet_for_the_healthcheck(tmp_path):
    """Docker counts it "starting" within --start-period (which covers the wait: below): not a
    request to :8000, where no worker listens, and not healthy before db_worker runs."""
    container = Container(tmp_path, "worker", FAKE_NOT_MIGRATED="1", FAKE_HANG="never")
    container.await_event(r"^health checked$")
    container.stop()
    output, status = container.health.read_text().rsplit("\n", 2)[:2]
    assert status == "1"
    assert "waiting for the database and the migrations" in output
    assert not any(call.startswith("call -c") for call in container.calls.read_text().splitlines())


def test_the_healthcheck_start_period_covers_the_worker_wait():
    """After --start-period a failing check counts towards unhealthy: it must outlast the
    worker's wait for the migrations, which ends on its own (exit 1) when it gives up."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    start_period = re.search(r"--start-period=(\d+)([sm])", dockerfile)
    assert start_period
    period = int(start_period[1]) * (60 if start_period[2] == "m" else 1)
    wait = int(re.search(r"deadline=\$\(\(\$\(date \+%s\) \+ (\d+)\)\)", ENTRYPOINT.read_text())[1])
    assert period >= wait


# The entrypoint with the real `python` (manage.py), run as a user chmod binds: the shell runs
# as the test does, each `python` through tests/test_data_folders.py's unprivileged prefix.
def real_python_entrypoint(tmp_path: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    from tests.test_data_folders import portal_environment, unprivileged

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    prefix = " ".join(unprivileged())
    (bin_dir / "python").write_text(f'#!/bin/sh\nexec {prefix} {sys.executable} "$@"\n')
    (bin_dir / "python").chmod(0o755)
    env = portal_environment(PORTAL_DATA_DIR=str(data))
    env["PATH"] = f"{bin_dir}:{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(
        ["sh", str(ENTRYPOINT), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=BOUND * 3
    )


@pytest.mark.parametrize("command", [["echo", "served"], ["worker"]], ids=["web", "worker"])
def test_a_data_folder_the_portal_may_not_write_stops_the_container_with_one_line(tmp_path, command):
    """A root-owned host folder bind-mounted on /data: the web container stops at its first
    step, the worker at once (it waited out its 5 minutes as "waiting for the database"), each
    with manage.py's one line naming the folder, the user and the fix."""
    from tests.test_data_folders import assert_one_line_naming, made

    with tempfile.TemporaryDirectory(prefix="portal-entrypoint-") as outer:
        Path(outer).chmod(0o755)
        data = made(Path(outer) / "data", 0o555)
        result = real_python_entrypoint(tmp_path, data, *command)
        data.chmod(0o755)
    assert "served" not in result.stdout
    assert "waiting for the database" not in result.stderr
    assert_one_line_naming(result, data, "PORTAL_DATA_DIR")
