"""The dashboard page and the feeds it is drawn from: `GET /dashboard` (HTML, charts as
inline SVG), `GET /feeds` (their index), `GET /feeds/{name}.json` and `.csv`. The page
and the feed URLs run the very same queries (pipeline/web/feeds.py) on the request's
pinned connection, so a chart and its feed always agree."""

from __future__ import annotations

from pathlib import Path

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from pipeline.web.charts import CHARTS, render_chart
from pipeline.web.db import connection
from pipeline.web.feeds import FEEDS, feed_bytes, feed_params, feed_rows

router = APIRouter()
templates = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")


def feed_file(con: duckdb.DuckDBPyConnection, name: str, fmt: str, request: Request) -> bytes:
    if name not in FEEDS:
        raise HTTPException(404, f"no feed {name!r}; the feeds are {', '.join(FEEDS)}")
    try:
        params = feed_params(name, dict(request.query_params))
    except ValueError as e:
        raise HTTPException(400, f"feed {name}: {e}") from None
    return feed_bytes(con, name, fmt, params)


@router.get("/feeds")
def feed_index(request: Request) -> dict:
    return {"feeds": [
        {"name": name, "title": feed.title, "parameters": feed.params,
         "json": str(request.url_for("feed_json", name=name)),
         "csv": str(request.url_for("feed_csv", name=name))}
        for name, feed in FEEDS.items()]}


@router.get("/feeds/{name}.json", name="feed_json")
def feed_json(name: str, request: Request, con: duckdb.DuckDBPyConnection = Depends(connection)) -> Response:
    return Response(feed_file(con, name, "json", request), media_type="application/json")


@router.get("/feeds/{name}.csv", name="feed_csv")
def feed_csv(name: str, request: Request, con: duckdb.DuckDBPyConnection = Depends(connection)) -> Response:
    return Response(feed_file(con, name, "csv", request), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{name}.csv"'})


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, con: duckdb.DuckDBPyConnection = Depends(connection)) -> HTMLResponse:
    # Each feed is queried once, though daily_volume feeds two charts.
    records = {}
    for name in dict.fromkeys(c.feed for c in CHARTS):
        columns, rows = feed_rows(con, name)
        records[name] = [dict(zip(columns, row)) for row in rows]
    figures = []
    for chart in CHARTS:
        svg = render_chart(chart, records[chart.feed])
        figures.append({"feed": chart.feed, "measure": chart.measure, "title": chart.title,
                        "rows": len(records[chart.feed]), "svg": Markup(svg) if svg else None,
                        "json": request.url_for("feed_json", name=chart.feed).path,
                        "csv": request.url_for("feed_csv", name=chart.feed).path})
    return templates.TemplateResponse(request, "dashboard.html", {"figures": figures})
