"""The nightly deployment on a real Prefect server: `prefect server start` and
`python -m flows.serve` as processes of their own, as `make serve` and a systemd unit
run them; the deployment and its schedule read back through Prefect's API, a run
triggered through it, and that run's row found in the archive.

Both processes get an environment of their own (PREFECT_HOME, PREFECT_API_URL), and this
process talks to the server through a client made for its URL, so the session's Prefect
test server (conftest.py) is never touched."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, TypeVar
from zoneinfo import ZoneInfo

import pytest

from conftest import SEEDS
from flows.serve import start_server, stop, wait_until_healthy
from pipeline.store import connect

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 60) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


def poll(what: str, get: Callable[[], T | None], timeout_s: float, alive: subprocess.Popen) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        got = get()
        if got is not None:
            return got
        assert alive.poll() is None, f"{what}: the serve process exited with code {alive.returncode}"
        assert time.monotonic() < deadline, f"{what}: not after {timeout_s:.0f} s"
        time.sleep(1)


@pytest.fixture()
def prefect_env(tmp_path):
    """A clean environment of our own for the subprocesses: none of the session's Prefect settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "NEWSARCHIVE_"))}
    return env | {"PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                  "DO_NOT_TRACK": "1"}


@pytest.fixture()
def prefect_server(tmp_path, prefect_env):
    api_url = f"http://127.0.0.1:{free_port()}/api"
    log_path = tmp_path / "server.log"
    with open(log_path, "w") as log:
        server = start_server(api_url, prefect_env, log)
        try:
            wait_until_healthy(api_url, server, timeout_s=180)
            yield api_url
        finally:
            stop(server)
            print("--- prefect server log (tail)\n" + tail(log_path))  # shown when the test fails


def test_the_nightly_deployment_is_served_on_its_schedule_and_a_triggered_run_archives(
        tmp_path, prefect_env, prefect_server):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import DeploymentFilter
    from prefect.exceptions import ObjectNotFound

    api_url = prefect_server
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    config = tmp_path / "sources.toml"
    config.write_text(f"[[outlet]]\nfolders = [{json.dumps(str(seeds))}]\n")
    archive = tmp_path / "archive"
    env = prefect_env | {
        "PREFECT_API_URL": api_url, "PREFECT_RUNNER_POLL_FREQUENCY": "2",
        "NEWSARCHIVE_ARCHIVE": str(archive), "NEWSARCHIVE_SOURCES_FILE": str(config),
        "NEWSARCHIVE_TIMEZONE": "Europe/Paris", "NEWSARCHIVE_ENTITIES": "false", "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path / "serve.log"
    with open(log_path, "w") as log:
        served = subprocess.Popen([sys.executable, "-m", "flows.serve"], cwd=tmp_path, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        try:
            with SyncPrefectClient(api_url) as client:
                def deployment(name: str):
                    try:
                        return client.read_deployment_by_name(name)
                    except ObjectNotFound:
                        return None

                nightly = poll("the nightly deployment", lambda: deployment("newsarchive-nightly/nightly"), 180, served)
                [schedule] = nightly.schedules
                assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == (
                    "0 2 * * *", "Europe/Paris", True)
                assert nightly.entrypoint == "flows.nightly.nightly_flow"
                for name in ("backfill/backfill", "reprocess/reprocess", "compact/compact", "reindex/reindex"):
                    other = poll(name, lambda: deployment(f"newsarchive-{name}"), 60, served)
                    assert other.schedules == [], name  # on demand only

                flow_run = client.create_flow_run_from_deployment(nightly.id)

                def finished():
                    state = client.read_flow_run(flow_run.id).state
                    return state if state is not None and state.is_final() else None

                state = poll("the triggered run", finished, 300, served)
                assert state.is_completed(), f"{state.type}: {state.message}\n{tail(log_path)}"

                # The server's scheduler plans the next nights at 02:00 in Paris.
                def scheduled():
                    runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id={"any_": [nightly.id]}))
                    return [r.expected_start_time for r in runs if r.state and r.state.is_scheduled()] or None

                times = poll("the scheduled nights", scheduled, 120, served)
                paris = [t.astimezone(ZoneInfo("Europe/Paris")) for t in times]
                assert {(t.hour, t.minute) for t in paris} == {(2, 0)}
        except BaseException:
            print("--- serve log (tail)\n" + tail(log_path))
            raise
        finally:
            stop(served)

    with connect(archive) as con:
        rows = con.sql("SELECT kind, status, executor, sources, articles_archived, duration_s FROM runs").fetchall()
    [(kind, status, executor, sources, archived, duration)] = rows
    assert (kind, status, executor, sources, archived) == ("run", "succeeded", "prefect", [str(seeds.resolve())], 2)
    assert duration > 0


def test_a_run_killed_outright_takes_its_temporary_prefect_server_with_it(tmp_path, prefect_env):
    """Without PREFECT_API_URL a run starts a temporary Prefect server, which it stops at
    exit; killed with SIGKILL (the OOM killer) it cannot, and the server went on alone."""
    import psutil

    newsarchive = Path(sys.executable).parent / "newsarchive"
    run = subprocess.Popen([str(newsarchive), "run", str(SEEDS), "--archive", str(tmp_path / "archive"),
                            "--no-entities"], env=prefect_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def temporary_server() -> psutil.Process | None:
            return next((p for p in psutil.Process(run.pid).children(recursive=True)
                         if "prefect.server.api.server:create_app" in p.cmdline()), None)  # uvicorn's argument

        server = poll("the temporary server", temporary_server, 120, run)
        time.sleep(1.5)  # the guard looks for it every half second; a server still starting ignores SIGTERM
        run.kill()  # the run alone, as the OOM killer would
        run.wait(timeout=30)
        server.wait(timeout=30)  # psutil.TimeoutExpired while it runs on
    finally:
        if run.poll() is None:
            run.kill()
