"""The `newsarchive` logger: what a run does, as text lines or as JSON lines (one event
per line, with its fields) for log collectors. Prefect runs log through Prefect as well."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

log = logging.getLogger("newsarchive")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(), "level": record.levelname.lower(),
            "event": getattr(record, "event", None), "message": record.getMessage(), **getattr(record, "fields", {}),
        }, default=str, ensure_ascii=False)


def configure(log_format: str) -> None:
    """Send the logger's records to stderr: every event as JSON lines, or as text only
    warnings (a person at a terminal has the progress bar and the summary)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter("newsarchive: %(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(logging.INFO if log_format == "json" else logging.WARNING)
    log.propagate = False


def event(name: str, message: str, **fields) -> None:
    """One thing a run did, with its fields (kept as keys in JSON lines)."""
    log.info(message, extra={"event": name, "fields": fields})
