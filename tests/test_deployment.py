"""Scheduled runs on a laptop: a real `prefect server start`, `newslake serve --cron`, and the prefect.yaml deployment.

The test server's schedule fires at the next minute boundary, so this module takes about a minute and a half.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, SAMPLES

BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A real local Prefect server (with its scheduler), and the environment that points clients at it."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
           "DO_NOT_TRACK": "1", "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "COLUMNS": "250",
           "PREFECT_LOGGING_LEVEL": "INFO"}
    env.pop("PREFECT_API_KEY", None)
    log = (home / "server.log").open("w")
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=log, stderr=subprocess.STDOUT)

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    try:
        _wait("the Prefect server", healthy, 180)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _prefect(env: dict[str, str], *args: str, cwd: Path = ROOT) -> str:
    done = subprocess.run([str(BIN / "prefect"), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_served_deployment_is_listed_and_its_scheduled_run_writes_the_tables(prefect_server: dict[str, str],
                                                                             tmp_path: Path) -> None:
    inputs, out = tmp_path / "in", tmp_path / "w"
    inputs.mkdir()
    for seed in (SAMPLES / "txt").glob("*.txt"):
        shutil.copy(seed, inputs / seed.name)
    log = (tmp_path / "serve.log").open("w")
    serve = subprocess.Popen([str(BIN / "newslake"), "serve", str(inputs), "--out", str(out), "--cron", "* * * * *",
                              "--name", "every-minute"], env=prefect_server, cwd=ROOT, stdout=log,
                             stderr=subprocess.STDOUT)
    try:
        _wait("the deployment in `prefect deployment ls`",
              lambda: "news_pipeline/every-minute" in _prefect(prefect_server, "deployment", "ls"), 90)

        def written() -> bool:
            try:
                return len(pd.read_parquet(out / "articles")) == 2
            except OSError:
                return False

        _wait("the scheduled run's tables", written, 150)
    finally:
        serve.terminate()
        serve.wait(timeout=30)
        log.close()
    assert len(pd.read_parquet(out / "entities")) > 20
    assert set(pd.read_parquet(out / "inputs").source_file) == {str(p) for p in inputs.iterdir()}
    assert "newslake-run" in _prefect(prefect_server, "artifact", "ls")  # the run's report


def test_prefect_yaml_deploys_with_its_cron_schedule(prefect_server: dict[str, str]) -> None:
    _prefect(prefect_server, "work-pool", "create", "newslake-local", "--type", "process")
    _prefect(prefect_server, "--no-prompt", "deploy", "--all")
    assert "news_pipeline/newslake-hourly" in _prefect(prefect_server, "deployment", "ls")
    shown = _prefect(prefect_server, "deployment", "inspect", "news_pipeline/newslake-hourly")
    assert "0 * * * *" in shown and "data/samples" in shown
    polling = _prefect(prefect_server, "deployment", "inspect", "news_pipeline/newslake-sources")
    assert "*/15 * * * *" in polling and "data/sources.csv" in polling
