"""Shared fixtures: one Prefect test server for the whole session (a fresh one costs
~15 s), the seed archive built once by a real flow run, and the seed pages."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Before anything imports Prefect: no telemetry, and a throwaway Prefect home.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="newsarchive-prefect-")
atexit.register(shutil.rmtree, os.environ["PREFECT_HOME"], True)
# Settings come from the tests alone; only where the labelled data lies may be set.
for name in [k for k in os.environ if k.startswith("NEWSARCHIVE_") and k != "NEWSARCHIVE_EVAL_DIR"]:
    del os.environ[name]

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
LAIST = "Putin urges West to act quickly to offer security guarantees"
NBC = "Putin says Russia doesn't want war with Ukraine but urges West to meet his demands quickly"


@pytest.fixture(scope="session")
def prefect_api_url():
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield PREFECT_API_URL.value()


@pytest.fixture(scope="session")
def run_flow(prefect_api_url):
    from flows.archive import archive_flow

    def run(sources: list[Path], archive: Path, **settings) -> dict:
        return archive_flow(sources=[str(s) for s in sources], settings={"archive": str(archive), **settings})

    return run


@pytest.fixture(scope="session")
def seed_archive(tmp_path_factory, run_flow) -> tuple[Path, dict]:
    """The seeds archived by one real Prefect flow run; tests only read it."""
    archive = tmp_path_factory.mktemp("seed-archive")
    return archive, run_flow([SEEDS], archive)


@pytest.fixture()
def seed_folder(tmp_path) -> Path:
    """A writable copy of seeds/ (with its manifest)."""
    folder = tmp_path / "input"
    shutil.copytree(SEEDS, folder)
    return folder


def markup_of(html: str, url: str | None = None):
    """What extraction reads in an HTML page's markup (pipeline/extract.py)."""
    import trafilatura

    from pipeline.tag.dates import visible_text
    from pipeline.tag.markup import read_markup

    tree = trafilatura.load_html(html)
    return read_markup(tree, url, html, visible_text(tree))


def newsarchive(*args: str, env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
    """The installed `newsarchive` command, as a user runs it."""
    exe = Path(sys.executable).parent / "newsarchive"
    result = subprocess.run([str(exe), *args], capture_output=True, text=True,
                            env={**os.environ, **(env or {})}, timeout=300)
    if check and result.returncode != 0:
        raise AssertionError(f"newsarchive {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result
