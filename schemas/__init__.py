"""Table schemas (tables.py) and SQL (macros/, views/): each defined once, here."""

from pathlib import Path

SCHEMAS_DIR = Path(__file__).resolve().parent


def sql_files(kind: str | None = None) -> list[Path]:
    """SQL files of `macros/` or `views/` (both when kind is None), in name order."""
    kinds = [kind] if kind else ["macros", "views"]
    return [p for k in kinds for p in sorted((SCHEMAS_DIR / k).glob("*.sql"))]
