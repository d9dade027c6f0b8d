"""Prefect flows over the plain-Python pipeline: retries, logging, schedules."""

import os

# Set before Prefect is imported: no telemetry from an archive that runs offline.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
