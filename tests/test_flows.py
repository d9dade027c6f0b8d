"""The nightly, backfill and upkeep flows on the session's Prefect test server: each
writes its `runs` row, and the CLI commands that start them."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from conftest import newsarchive
from pipeline.settings import Settings
from pipeline.sources import SourceError
from pipeline.sources.config import SourceConfigError
from pipeline.store import connect


def sources_file(tmp_path: Path, *folders: Path) -> Path:
    path = tmp_path / "sources.toml"
    path.write_text("[[outlet]]\nfolders = [" + ", ".join(json.dumps(str(f)) for f in folders) + "]\n")
    return path


def run_row(archive: Path, run_id: str) -> dict:
    with connect(archive) as con:
        rel = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
        return dict(zip([d[0] for d in rel.description], rel.fetchone()))


def test_nightly_archives_every_configured_source_once(prefect_api_url, tmp_path, seed_folder):
    from flows.nightly import nightly_flow

    archive = tmp_path / "archive"
    settings = {"archive": str(archive), "sources_file": str(sources_file(tmp_path, seed_folder)), "entities": False}
    first = nightly_flow(settings=settings)
    second = nightly_flow(settings=settings)  # new pages only: both seen

    row = run_row(archive, first["run_id"])
    assert (row["kind"], row["status"], row["executor"], row["sources"]) == (
        "run", "succeeded", "prefect", [str(seed_folder.resolve())])
    assert row["articles_archived"] == 2 and row["duration_s"] > 0
    again = run_row(archive, second["run_id"])
    assert (again["status"], again["pages_unchanged"], again["articles_archived"]) == ("succeeded", 2, 0)


def test_a_night_whose_source_config_cannot_be_read_is_a_failed_run(prefect_api_url, tmp_path):
    from flows.nightly import nightly_flow

    archive = tmp_path / "archive"
    with pytest.raises(SourceConfigError):
        nightly_flow(settings={"archive": str(archive), "sources_file": str(tmp_path / "missing.toml")})
    with connect(archive) as con:
        [(kind, status, error)] = con.sql("SELECT kind, status, error FROM runs").fetchall()
    assert (kind, status) == ("run", "failed") and "missing.toml: no source config file" in error


def test_a_mistyped_source_fails_the_flow_run_with_its_message_not_a_traceback(prefect_api_url, tmp_path):
    from flows.archive import archive_flow

    missing = tmp_path / "nosuchdir"
    state = archive_flow(sources=[str(missing)], settings={"archive": str(tmp_path / "archive")}, return_state=True)
    # Prefect logs a raised exception's traceback, and its state reads "Flow run encountered an exception: ..."
    assert state.is_failed() and state.message == f"{missing}: no such file or folder"
    with pytest.raises(SourceError, match="no such file or folder"):
        state.result()


def test_backfill_passes_its_date_range_through_the_settings(prefect_api_url, tmp_path, seed_folder, monkeypatch):
    import flows.nightly
    from flows.nightly import backfill_flow

    seen: list[Settings] = []
    real = flows.nightly.archive

    def spy(sources: list[str], config: Settings) -> dict:
        seen.append(config)
        return real(sources, config)

    monkeypatch.setattr(flows.nightly, "archive", spy)
    archive = tmp_path / "archive"
    summary = backfill_flow(sources=[str(seed_folder)], since=date(2021, 12, 1), until=date(2021, 12, 31),
                            settings={"archive": str(archive), "entities": False})
    assert (seen[0].since, seen[0].until) == (date(2021, 12, 1), date(2021, 12, 31))
    row = run_row(archive, summary["run_id"])
    assert (row["kind"], row["status"], row["sources"]) == ("run", "succeeded", [str(seed_folder)])

    # No sources given: every source of the config.
    config = sources_file(tmp_path, seed_folder)
    summary = backfill_flow(since=date(2021, 12, 1), settings={"archive": str(archive), "sources_file": str(config)})
    assert seen[1].since == date(2021, 12, 1) and seen[1].until is None
    assert run_row(archive, summary["run_id"])["sources"] == [str(seed_folder.resolve())]
    with pytest.raises(ValueError, match="after until"):
        backfill_flow(sources=[str(seed_folder)], since=date(2022, 1, 1), until=date(2021, 1, 1),
                      settings={"archive": str(archive)})


def test_upkeep_flows_write_their_runs_rows(prefect_api_url, tmp_path, seed_folder):
    from flows.maintenance import compact_flow, reindex_flow, reprocess_flow
    from flows.nightly import nightly_flow

    archive = tmp_path / "archive"
    settings = {"archive": str(archive), "sources_file": str(sources_file(tmp_path, seed_folder)), "entities": False}
    nightly_flow(settings=settings)
    rows = {
        "reprocess": run_row(archive, reprocess_flow(since=date(2026, 1, 1), settings=settings)["run_id"]),
        "compact": run_row(archive, compact_flow(settings=settings)["run_id"]),
        "reindex": run_row(archive, reindex_flow(settings=settings)["run_id"]),
    }
    for kind, row in rows.items():
        assert (row["kind"], row["status"]) == (kind, "succeeded"), row
        assert row["duration_s"] >= 0
    assert rows["reprocess"]["pages_read"] == 2  # the two seed articles, selected by their fetch day
    assert rows["compact"]["executor"] == rows["reindex"]["executor"] == "prefect"
    with connect(archive) as con:
        assert con.sql("SELECT count(*) FROM search('security guarantees')").fetchone()[0] == 2


def test_nightly_and_backfill_from_the_command_line(tmp_path, seed_folder):
    archive, config = tmp_path / "archive", sources_file(tmp_path, seed_folder)
    out = newsarchive("nightly", "--sources-file", str(config), "--archive", str(archive),
                      "--executor", "plain", "--no-entities").stdout
    assert out.split("articles archived")[1].split()[0] == "2"
    out = newsarchive("backfill", "--since", "2021-12-01", "--archive", str(archive), "--executor", "plain",
                      "--no-entities", env={"NEWSARCHIVE_SOURCES_FILE": str(config)}).stdout
    assert "from 2021-12-01 to today" in out and out.split("unchanged (seen before)")[1].split()[0] == "2"
    wrong = newsarchive("backfill", str(seed_folder), "--since", "2022-01-01", "--until", "2021-01-01",
                        "--archive", str(archive), check=False)
    assert wrong.returncode == 2 and "is after --until" in wrong.stderr
    missing = newsarchive("nightly", "--sources-file", str(tmp_path / "none.toml"), "--archive", str(archive),
                          "--executor", "plain", check=False)
    assert missing.returncode == 2 and "no source config file" in missing.stderr
    with connect(archive) as con:  # a failed night is a run too, in the plain loop as in the flow
        status, executor, error = con.sql("SELECT status, executor, error FROM runs ORDER BY started_at DESC").fetchone()
    assert (status, executor) == ("failed", "plain") and "none.toml: no source config file" in error
