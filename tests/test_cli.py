"""The newslake command as a user runs it, in a real process: a mistake in its options is one line and exit status
2 before Prefect starts; the processes a run starts (Prefect's own API server, NLP workers) end with it, whether it
finishes, is interrupted (Ctrl-C) or is killed (kill -9)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES

# main() as `newslake` runs it, then which of Prefect and pyarrow it imported (on stdout), exiting with its status.
PROBE = """import sys
from flows import cli
try:
    status = cli.main(sys.argv[1:])
except SystemExit as exit:
    status = exit.code
print(sorted({m.split('.')[0] for m in sys.modules} & {'prefect', 'pyarrow'}))
sys.exit(status)
"""
STARTUP_SECONDS = 300  # a Prefect server's first start with migrations: ~15 s on an idle machine, more on a busy one
ENDED_SECONDS = 20  # how long the processes a run started may take to end after it


@pytest.mark.parametrize("option", [
    ["--batch-size", "0"], ["--batch-size", "-1"], ["--batch-size", "2.5"], ["--workers", "0"],
    ["--workers", "two"], ["--max-input-mb", "0"], ["--max-input-mb", "-3"], ["--max-input-mb", "nan"],
    ["--max-input-mb", "inf"], ["--field", "txt=body"], ["--field", "text"],
])
def test_an_invalid_option_is_one_line_and_status_2_before_prefect_starts(tmp_path: Path, option: list[str]) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    # a server nothing answers on: were Prefect started, the run would fail rather than start a server of its own
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", PROBE, "run", str(tmp_path / "a.txt"), "--out", str(tmp_path / "w"),
                           *option], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    [line] = done.stderr.splitlines()
    assert line.startswith("newslake run: error: argument " + option[0]) and repr(option[1]) in line
    assert done.stdout.strip() == "[]"  # neither Prefect nor pyarrow was imported
    assert time.monotonic() - started < 10
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize(("address", "problem"), [
    ("tcp://127.0.0.1:9", "no Dask scheduler answers there"),  # a real port nothing listens on
    ("tcp://127.0.0.1", "expected tcp://HOST:PORT"),
])
def test_a_dask_scheduler_that_cannot_be_used_is_one_line(tmp_path: Path, address: str, problem: str) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    done = subprocess.run([sys.executable, "-c", PROBE, "run", str(tmp_path / "a.txt"), "--out", str(tmp_path / "w"),
                           "--dask-address", address], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    [line] = done.stderr.splitlines()
    assert line.startswith("newslake: error: --dask-address") and problem in line
    assert done.stdout.strip() == "[]"  # refused before Prefect or pyarrow was imported
    assert not (tmp_path / "w").exists()


@pytest.mark.parametrize(("arguments", "problem"), [
    (["--out", "{file}"], "--out {file}: a file, not a folder"),
    (["--sources", "{file}"], "--sources: {file}: no sources"),
    (["--outlets", "{folder}"], "--outlets {folder}: not a file"),
    (["--model", "no_such_model"], "--model no_such_model: no such spaCy model"),
])
def test_a_path_that_cannot_be_used_is_one_line_before_prefect_starts(tmp_path: Path, arguments: list[str],
                                                                     problem: str) -> None:
    (tmp_path / "a.txt").write_text("An article.", encoding="utf-8")
    existing = tmp_path / "notes.csv"
    existing.write_text("", encoding="utf-8")
    filled = [a.format(file=existing, folder=tmp_path) for a in arguments]
    out = [] if "--out" in arguments else ["--out", str(tmp_path / "w")]
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    done = subprocess.run([sys.executable, "-c", PROBE, "run", str(tmp_path / "a.txt"), *out, *filled], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    [line] = done.stderr.splitlines()
    assert line.startswith("newslake: error: " + problem.format(file=existing, folder=tmp_path))
    assert done.stdout.strip() == "[]"  # refused before Prefect or pyarrow was imported


def test_a_run_that_could_read_nothing_says_why_and_fails_before_prefect_starts(tmp_path: Path) -> None:
    (tmp_path / "notes.xyz").write_text("An article of no known type.", encoding="utf-8")
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    done = subprocess.run([sys.executable, "-c", PROBE, "run", str(tmp_path / "gone.txt"), str(tmp_path / "notes.xyz"),
                           "--out", str(tmp_path / "w")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 1, done.stderr[-2000:]
    first, *reasons = done.stderr.splitlines()
    assert first.startswith("newslake: error: nothing to ingest")
    assert reasons == [f"  not_found: 1 ({tmp_path / 'gone.txt'})",
                       f"  unsupported_format: 1 ({tmp_path / 'notes.xyz'})"]
    assert "prefect" not in done.stdout
    assert not (tmp_path / "w").exists()


def test_an_export_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    for source, dest, problem in ((tmp_path / "none", tmp_path / "new", "nothing has been committed"),
                                  (tmp_path / "none", tmp_path / "taken", "already exists")):
        done = subprocess.run([sys.executable, "-m", "flows.cli", "export", str(source), str(dest)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, done.stderr[-2000:]
        [line] = done.stderr.splitlines()
        assert line.startswith("newslake: error: export: ") and problem in line
    assert not (tmp_path / "new").exists() and not (tmp_path / "none").exists()


def test_version() -> None:
    done = subprocess.run([sys.executable, "-m", "flows.cli", "--version"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == f"newslake {version('newslake')}"


def test_valid_options_are_passed_on(tmp_path: Path) -> None:
    from flows import cli

    args = cli.build_parser().parse_args(["run", "x", "--batch-size", "3", "--workers", "2", "--max-input-mb", "0.5"])
    parameters = cli.flow_parameters(args)
    assert (parameters["batch_size"], parameters["workers"], parameters["max_input_bytes"]) == (3, 2, 512 * 1024)


def _tagged(tag: str) -> dict[int, str]:
    """pid -> command line of every process whose environment holds ``tag``: the run and whatever it started,
    however deep (children inherit the environment), whoever their parent is now."""
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if f"{tag}=1".encode() in (proc / "environ").read_bytes().split(b"\0"):
                    found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:  # ended meanwhile, or not ours to read
                continue
    return found


def _end(pids: list[int]) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue


def _as_a_terminal_job() -> None:
    """Ctrl-C's signal at its default, as a terminal starts a job. A non-interactive shell starts a background job
    (a CI script's ``cmd &``) with it ignored, and every process below inherits that: Python then never raises
    KeyboardInterrupt, and the Ctrl-C test would pass or fail by how the suite was launched."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Run:
    """`newslake run` in a process of its own (as a shell starts a job: its own process group), starting its own
    Prefect server (no PREFECT_API_URL), tagged through its environment."""

    def __init__(self, tmp_path: Path, prefect_home: Path, inputs: list[Path], *options: str) -> None:
        self.tag = f"NEWSLAKE_TEST_{uuid.uuid4().hex}"
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update({self.tag: "1", "PREFECT_HOME": str(prefect_home), "PREFECT_LOGGING_LEVEL": "INFO",
                    "PYTHONUNBUFFERED": "1"})
        self.log = tmp_path / "run.log"
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "flows.cli", "run", *map(str, inputs), "--out",
                                          str(tmp_path / "w"), *options], cwd=ROOT, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                          preexec_fn=_as_a_terminal_job)

    def wait_for(self, *needles: str) -> None:
        """Until a process of the run's has each of ``needles`` in its command line."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            running = _tagged(self.tag)
            if all(any(n in cmd for cmd in running.values()) for n in needles):
                return
            assert self.proc.poll() is None, self.output()[-3000:]
            time.sleep(0.2)
        pytest.fail(f"no process with {needles} after {STARTUP_SECONDS} s: {running}\n{self.output()[-3000:]}")

    def left_running(self) -> dict[int, str]:
        """The run's processes still alive ``ENDED_SECONDS`` after it ended."""
        deadline = time.monotonic() + ENDED_SECONDS
        while (running := _tagged(self.tag)) and time.monotonic() < deadline:
            time.sleep(0.2)
        return running

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def prefect_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Prefect's folder (its database) for the runs' servers, not the user's: made once, the later starts are faster."""
    return tmp_path_factory.mktemp("prefect")


@pytest.fixture
def start(tmp_path: Path, prefect_home: Path) -> Iterator[Callable[..., Run]]:
    """Starts runs; whatever of theirs is left when the test ends (a failed test) is killed, by pid."""
    started: list[Run] = []

    def run(inputs: list[Path], *options: str) -> Run:
        started.append(Run(tmp_path, prefect_home, inputs, *options))
        return started[-1]

    yield run
    for run_ in started:
        _end([run_.proc.pid, *_tagged(run_.tag)])
        run_.proc.wait()


SERVER = "prefect.server.api.server:create_app"  # Prefect's ephemeral API server: python -m uvicorn --factory ...
WORKER = "multiprocessing.spawn"  # a ProcessPoolTaskRunner worker
SEEDS = sorted((SAMPLES / "txt").glob("*.txt"))


def _long_run(tmp_path: Path) -> list[Path]:
    """Inputs whose NLP outlasts the moment a signal is sent once the workers are up, even on a busy machine (the two
    seeds alone were done within seconds of it): the seeds' texts as 120 distinct JSON records."""
    texts = [path.read_text(encoding="utf-8") for path in SEEDS]
    records = tmp_path / "many.jsonl"
    rows = ({"id": f"a{i}", "title": f"Story {i}", "text": f"{texts[i % 2]}\n\nUpdate {i}."} for i in range(120))
    records.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return [records]


def test_kill_9_ends_the_prefect_server_and_the_workers_the_run_started(tmp_path: Path,
                                                                        start: Callable[..., Run]) -> None:
    run = start(_long_run(tmp_path), "--workers", "2")
    run.wait_for(SERVER, WORKER)
    os.kill(run.proc.pid, signal.SIGKILL)
    run.proc.wait()
    assert run.left_running() == {}


def test_ctrl_c_ends_the_run_and_what_it_started_at_once_with_one_line(tmp_path: Path,
                                                                      start: Callable[..., Run]) -> None:
    run = start(_long_run(tmp_path), "--workers", "2")
    run.wait_for(SERVER, WORKER)
    os.killpg(run.proc.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole foreground group gets it
    interrupted = time.monotonic()
    assert run.proc.wait(timeout=120) == 130, run.output()[-3000:]
    assert time.monotonic() - interrupted < 60  # it had spent minutes retrying to report to the stopped server
    assert run.left_running() == {}
    output = run.output()
    assert "newslake: interrupted" in output and "in state Crashed(" in output  # recorded by the server
    # No traceback of newslake's running code; a worker still importing its modules when Ctrl-C lands may print one
    # (its frames are "in <module>").
    assert not re.search(r'flows/cli\.py", line \d+, in (?!<module>)', output), output[-3000:]


def test_a_finished_run_leaves_no_process_behind(tmp_path: Path, start: Callable[..., Run]) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")  # quarantined at ingest: the run goes through without NLP work
    run = start([tmp_path / "empty.txt"], "--workers", "2")
    run.wait_for(SERVER)
    assert run.proc.wait(timeout=STARTUP_SECONDS) == 0, run.output()[-3000:]
    assert run.left_running() == {}
    assert "quarantined inputs by reason: empty: 1" in run.output()


def test_progress_lines_quiet_and_a_run_with_nothing_new(tmp_path: Path, start: Callable[..., Run]) -> None:
    """Not on a terminal, a line per NLP batch; --quiet, the summary line only; then a run with nothing new ends
    before Prefect starts. Two full runs, each with its own Prefect start-up."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("Harbor trams return\n\nThe harbor tram line reopened on Monday after "
                                           "repairs, the city transit office said.", encoding="utf-8")
    run = start([tmp_path / "in"])
    assert run.proc.wait(timeout=STARTUP_SECONDS) == 0, run.output()[-3000:]
    default = run.output()
    assert re.search(r"^newslake: batch 1 done: files 1/1, articles 1/1, [\d.]+ articles/s, ETA 0:00$", default, re.M)
    (tmp_path / "in" / "b.txt").write_text("Ferry timetable\n\nThe winter ferry timetable starts next week, the "
                                           "port authority said.", encoding="utf-8")
    run = start([tmp_path / "in"], "--quiet")
    assert run.proc.wait(timeout=STARTUP_SECONDS) == 0, run.output()[-3000:]
    [summary] = run.output().splitlines()  # nor Prefect's lines: only warnings and errors would show
    assert re.fullmatch(r"newslake: committed version 000002-\w+; 1 input files processed, 1 unchanged; 1 articles; "
                        r"[\d.]+ s", summary)
    assert len(default.splitlines()) > 10
    env = {**os.environ, "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    again = subprocess.run([sys.executable, "-c", PROBE, "run", str(tmp_path / "in"), str(tmp_path / "gone.txt"),
                            "--out", str(tmp_path / "w")], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stderr[-2000:]
    nothing_new, missing, imported = again.stdout.splitlines()
    assert re.fullmatch(r"newslake: nothing new in 2 files; warehouse at version 000002-\w+ unchanged", nothing_new)
    assert missing == f"  not_found: 1 ({tmp_path / 'gone.txt'})"  # said, as a full run says it
    assert imported == "['pyarrow']"  # the manifest is read; Prefect is not imported
    from flows import precheck

    (tmp_path / "in" / "a.txt").write_text("Harbor trams return\n\nThe line reopened.", encoding="utf-8")
    assert precheck.nothing_new(str(tmp_path / "w"), [tmp_path / "in" / "a.txt"], 1 << 20) is None  # changed: run
