"""Plain-text tables for the benchmark reports."""

from __future__ import annotations


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n## {title}")
    for n, row in enumerate([header, *rows]):
        print("  ".join([row[0].ljust(widths[0]), *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:]))]))
        if n == 0:
            print("  ".join("-" * w for w in widths))
