"""Each table defined once: every table and view builds, the README documents them as
defined, and the library stays free of Prefect."""

from __future__ import annotations

import ast
import re

from conftest import REPO
from pipeline.store import ArchivePaths, archive_lock, connect, ensure_archive
from schemas import sql_files
from schemas.tables import TABLES, markdown_reference


def test_every_table_and_view_builds_on_an_empty_archive(tmp_path):
    paths = ArchivePaths(tmp_path / "archive")
    with archive_lock(paths, "test"):
        ensure_archive(paths)
    views = [name for p in sql_files("views") for name in re.findall(r"CREATE OR REPLACE (?:VIEW|MACRO) (\w+)", p.read_text())]
    assert {"articles", "search_scores", "search", "daily_volume_by_outlet", "top_entities_by_day", "run_health",
            "learned_furniture"} <= set(views)
    with connect(paths.root) as con:
        for name, table in TABLES.items():
            assert con.sql(f"SELECT * FROM {name}").columns == table.column_names
            assert con.sql(f"SELECT count(*) FROM {name}").fetchone()[0] == 0
        for name in views:
            args = {"search": "('x')", "search_scores": "('x')", "learned_furniture": "()"}.get(name, "")
            query = f"SELECT * FROM {name}{args}"
            assert con.sql(query).fetchall() == []


def test_readme_table_reference_is_generated_from_the_schemas():
    readme = (REPO / "README.md").read_text()
    start, end = "<!-- tables:start -->", "<!-- tables:end -->"
    documented = readme[readme.index(start) + len(start):readme.index(end)].strip()
    assert documented == markdown_reference().strip(), "run `newsarchive tables` and paste it into README.md"


def test_pipeline_and_schemas_never_import_prefect():
    offenders = []
    for folder in ("pipeline", "schemas"):
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in ("prefect", "flows")]
    # The CLI may start the flow when asked, importing it lazily inside a function.
    assert sorted(set(offenders)) == ["cli.py: flows.archive", "cli.py: flows.nightly"]


def test_readme_documents_every_setting():
    from pipeline.settings import Settings

    readme = (REPO / "README.md").read_text()
    missing = [f"NEWSARCHIVE_{name.upper()}" for name in Settings.model_fields
               if f"`NEWSARCHIVE_{name.upper()}`" not in readme]
    assert missing == []
