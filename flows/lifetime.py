"""The processes a newslake command starts end with it: when it finishes, is interrupted (Ctrl-C) or is killed
(kill -9).

What Prefect 3.8 starts: without PREFECT_API_URL, its ephemeral API server (``python -m uvicorn --factory
prefect.server.api.server:create_app``, by ``subprocess.Popen``); for ``--workers N``, the NLP worker
processes and multiprocessing's resource tracker (spawned). Nothing tells them when newslake is killed: they ran on,
the server for good. On Ctrl-C a terminal signals its whole foreground group: the server stopped at once, and
newslake then spent minutes retrying to report the interrupted run to it.

- A watchdog ends them. Every process started from here on is tagged with an environment variable, which children
  inherit however deep (Jenkins' process tree killer does the same); the watchdog, in a session of its own, holds
  the reading end of a pipe only newslake writes to, and reads end-of-file when newslake exits, however it exits:
  it then ends the tagged processes (SIGTERM, SIGKILL after a grace period). A process group would have reached
  them too, but newslake run by make or a script shares its caller's group, and moving it to a group of its own
  takes it out of the terminal's foreground group, where Ctrl-C reaches it.
- The ephemeral server is started before the flow (Prefect then uses it) with SIGINT blocked, a mask the child
  inherits: Ctrl-C interrupts newslake, which reports the run as crashed to a server still up and stops it on the way
  out (Prefect's atexit).

Linux only (/proc): elsewhere the watchdog is not started. The watchdog runs this file as a script (``-I -S``: the
standard library only, nothing of the caller's environment on its path).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TAG_PREFIX = "NEWSLAKE_PROCESS_TREE_"
GRACE_SECONDS = 5.0  # between SIGTERM and SIGKILL: the server shuts down, the resource tracker cleans up
PROC = Path("/proc")

# (pid, tag, writing end of the pipe) of the process whose watchdog runs (a fork needs its own); the writing end
# stays open until the process exits: on purpose
_watched: tuple[int, str, int] | None = None


@contextmanager
def children_end_with_this_process() -> Iterator[None]:
    """Tag the processes started inside this block, to be ended when this process ends (see the module)."""
    tag = _watchdog()
    if tag is None:
        yield
        return
    os.environ[tag] = "1"
    try:
        yield
    finally:
        os.environ.pop(tag, None)  # later children of a caller that goes on (a test) are not this command's


def start_ephemeral_server() -> None:
    """Start Prefect's ephemeral API server now, deaf to Ctrl-C, if this run needs one (no PREFECT_API_URL): Prefect
    takes the running one. Imports Prefect: call after the environment is set."""
    import prefect.main  # noqa: F401 (sets up Prefect's logging, as the flow's import would: the server says where it is)
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        SubprocessASGIServer().start()  # the instance get_client() uses: one per port, and the port is unset
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)  # a Ctrl-C meanwhile is delivered now


def _watchdog() -> str | None:
    """This process's tag, its watchdog started on first use."""
    global _watched
    if _watched is not None and _watched[0] == os.getpid():
        return _watched[1]
    if not (PROC / "self" / "environ").exists():
        return None
    tag = f"{TAG_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
    read_end, write_end = os.pipe()  # not inherited by children: only this process holds the writing end
    try:
        launcher = subprocess.Popen([sys.executable, "-I", "-S", str(Path(__file__).resolve()), tag], stdin=read_end,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    finally:
        os.close(read_end)
    launcher.wait()  # it forks the watchdog and exits: the watchdog is nobody's child to reap
    _watched = (os.getpid(), tag, write_end)
    return tag


def _watch(tag: str) -> None:
    """The watchdog: wait for end-of-file on standard input, then end the processes tagged ``tag``."""
    if os.fork():
        os._exit(0)
    os.chdir("/")  # hold no folder of the run's
    while os.read(0, 4096):
        continue
    end_tagged(tag)


def end_tagged(tag: str, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to every process tagged ``tag``, SIGKILL to those still there after ``grace`` seconds."""
    _signal(tagged(tag), signal.SIGTERM)
    deadline = time.monotonic() + grace
    while (left := tagged(tag)) and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal(left, signal.SIGKILL)


def tagged(tag: str) -> list[int]:
    """The processes (other than this one) whose environment holds ``tag``."""
    mark, found = f"{tag}=1".encode(), []
    for entry in PROC.iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if mark in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # ended meanwhile, or not ours to read
                continue
    return found


def _signal(pids: list[int], signum: signal.Signals) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            continue


if __name__ == "__main__":
    _watch(sys.argv[1])
