"""Serve the archive's deployments from this process against a Prefect server.

    PREFECT_API_URL=http://127.0.0.1:4200/api python -m flows.serve
    python -m flows.serve --start-server      # `make serve`: start that server first, stop it after
    python -m flows.serve --start-server --server-host 0.0.0.0   # the same in a container

`newsarchive-nightly/nightly` runs on Settings.nightly_cron (default "0 2 * * *") in
Settings.timezone; `newsarchive-backfill/backfill`, `newsarchive-reprocess/reprocess`,
`newsarchive-compact/compact` and `newsarchive-reindex/reindex` have no schedule and run
when triggered (the UI, `prefect deployment run NAME`, `run_deployment`). Runs execute in
subprocesses of this process, with its environment: the NEWSARCHIVE_* variables it was
started with are the settings of every run. One run at a time: the archive has one
writer, so a run triggered while another works waits for it instead of failing.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from prefect import serve
from prefect.deployments.runner import RunnerDeployment
from prefect.schedules import Cron
from prefect.settings import get_current_settings
from prefect.types.entrypoint import EntrypointType

from flows.maintenance import compact_flow, reindex_flow, reprocess_flow
from flows.nightly import backfill_flow, nightly_flow
from pipeline.settings import Settings

SERVER_START_TIMEOUT_S = 120.0


def deployments(settings: Settings) -> list[RunnerDeployment]:
    # By module path, not file path: a run imports `flows.nightly` wherever the process runs.
    by_module = {"entrypoint_type": EntrypointType.MODULE_PATH}
    nightly = nightly_flow.to_deployment(
        "nightly", schedule=Cron(settings.nightly_cron, timezone=settings.timezone),
        description="Every source of the source config, new pages only.", **by_module)
    on_demand = [
        backfill_flow.to_deployment("backfill", description="Given sources (or all) within since/until.",
                                    **by_module),
        reprocess_flow.to_deployment("reprocess", description="Re-extract archived articles from raw_pages.",
                                     **by_module),
        compact_flow.to_deployment("compact", description="Merge small run folders into large ones.", **by_module),
        reindex_flow.to_deployment("reindex", description="Rebuild the search index from documents.", **by_module),
    ]
    return [nightly, *on_demand]


def start_server(api_url: str, env: dict[str, str] | None = None, log=None,
                 host: str | None = None) -> subprocess.Popen:
    """`prefect server start` on the port of `api_url`, listening on its host (or `host`:
    0.0.0.0 in a container whose port is published), in its own process group."""
    address = urlsplit(api_url)
    command = [sys.executable, "-m", "prefect", "server", "start",
               "--host", host or address.hostname or "127.0.0.1", "--port", str(address.port or 4200)]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT if log else None,
                            start_new_session=True)


def wait_until_healthy(api_url: str, server: subprocess.Popen | None = None,
                       timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {server.returncode} before it was healthy")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no healthy Prefect server at {api_url} after {timeout_s:.0f} s")
        time.sleep(0.5)


def stop(process: subprocess.Popen, timeout_s: float = 20.0) -> None:
    """Stop a process started in its own group, and everything it started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout_s)
            return
        except subprocess.TimeoutExpired:
            continue


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m flows.serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--start-server", action="store_true",
                   help="start a Prefect server at PREFECT_API_URL first, and stop it on exit (make serve)")
    p.add_argument("--server-host", help="address the started server listens on (default: PREFECT_API_URL's host)")
    args = p.parse_args(argv)
    api_url = get_current_settings().api.url
    if not api_url:
        print("flows.serve: set PREFECT_API_URL to a Prefect server (make serve starts one): "
              "schedules need a server that outlives this process", file=sys.stderr)
        return 2
    settings = Settings()
    server = start_server(api_url, host=args.server_host) if args.start_server else None
    try:
        wait_until_healthy(api_url, server)
        serve(*deployments(settings), limit=1)
    finally:
        if server is not None:
            stop(server)
    return 0


if __name__ == "__main__":
    sys.exit(main())
