"""The dashboard's charts, drawn on the server as SVG by pygal (no JavaScript, no CDN: the
page works offline). Each chart draws one mark per feed row (a bar `<rect>`, or a pie
slice `<path>`), classed `tooltip-trigger` by pygal; a mark's `<desc>` holds its value."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pygal
from lxml import etree
from pygal.style import DefaultStyle

@dataclass(frozen=True)
class Chart:
    feed: str       # the feed it draws (data-feed)
    measure: str    # the column it plots (data-measure)
    title: str


CHARTS: tuple[Chart, ...] = (
    Chart("daily_volume", "articles", "Articles per day and outlet"),
    Chart("daily_volume", "share", "Attention: each outlet's share of the day's articles"),
    Chart("top_entities", "articles", "Top entities per day (articles mentioning them)"),
    Chart("largest_stories", "articles", "Largest stories (articles)"),
    Chart("wire_share", "wire_articles", "Wire copy per outlet"),
    Chart("language_mix", "articles", "Languages"),
    Chart("run_health", "pages_read", "Runs: pages read, archived, rejected"),
    Chart("stage_costs", "seconds", "Seconds per stage and run"),
    Chart("rejects_by_reason", "pages", "Rejected pages by stage and reason"),
)


def _config(**options) -> dict:
    defaults = dict(width=900, height=380, style=DefaultStyle, legend_at_bottom=True, truncate_legend=40,
                    truncate_label=30, x_label_rotation=0)
    return {**defaults, **options, "js": [], "disable_xml_declaration": True}


def _label(value: object) -> str:
    if value is None:
        return "(undated)"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _svg(chart: pygal.Graph) -> str:
    """The chart's SVG without pygal's tooltip machinery: with `js=[]` no tooltip script
    runs, so its configuration (an inline script) and its empty tooltip box (a 0x0 rect)
    are dropped, and the page carries no JavaScript at all. Each mark keeps its `<desc>`."""
    root = chart.render_tree()
    for node in [*root.iter("script"),
                 *(g for g in root.iter("g") if "tooltip-overlay" in g.get("class", ""))]:
        node.getparent().remove(node)
    return etree.tostring(root, encoding="unicode")


def _stacked_by(rows: list[dict], x: str, series: str, value: str, **options) -> pygal.Graph:
    """One bar segment per row: x labels from column `x`, one series per value of `series`."""
    xs = list(dict.fromkeys(_label(r[x]) for r in rows))
    chart = pygal.StackedBar(**_config(x_label_rotation=30 if len(xs) > 8 else 0, **options))
    chart.x_labels = xs
    for name in dict.fromkeys(_label(r[series]) for r in rows):
        by_x = {_label(r[x]): r[value] for r in rows if _label(r[series]) == name}
        chart.add(name, [by_x.get(label) for label in xs])  # None: no mark for this x
    return chart


def _bars(rows: list[dict], label: str, series: dict[str, str], horizontal: bool = True,
          stacked: bool = False, **options) -> pygal.Graph:
    """One bar per row and series: labels from column `label`, series {title: column}."""
    kind = {(True, False): pygal.HorizontalBar, (True, True): pygal.HorizontalStackedBar,
            (False, False): pygal.Bar, (False, True): pygal.StackedBar}[horizontal, stacked]
    height = max(260, 60 + 26 * len(rows)) if horizontal else 380
    chart = kind(**_config(height=height, **options))
    chart.x_labels = [_label(r[label]) for r in rows]
    for title, column in series.items():
        chart.add(title, [r[column] for r in rows])
    return chart


def _top_entities(rows: list[dict]) -> pygal.Graph:
    """Per day, its top entities side by side (series = place in the day's ranking), each bar
    labelled with its entity."""
    days = list(dict.fromkeys(_label(r["day"]) for r in rows))
    ranked: dict[str, list[dict]] = {d: [] for d in days}
    for r in rows:
        ranked[_label(r["day"])].append(r)
    places = max(len(v) for v in ranked.values())
    chart = pygal.Bar(**_config(print_labels=True, show_legend=False,
                                x_label_rotation=30 if len(days) > 8 else 0))
    chart.x_labels = days
    for place in range(places):
        chart.add(f"#{place + 1}", [
            {"value": ranked[d][place]["articles"], "label": ranked[d][place]["entity"]}
            if place < len(ranked[d]) else None
            for d in days])
    return chart


def render_chart(chart: Chart, rows: list[dict]) -> str | None:
    """The chart's SVG, or None when its feed has no rows."""
    if not rows:
        return None
    if chart.feed == "daily_volume":
        percent = chart.measure == "share"
        graph = _stacked_by(rows, "day", "outlet", chart.measure,
                            **({"range": (0, 1), "value_formatter": lambda v: f"{v:.0%}"} if percent else {}))
    elif chart.feed == "top_entities":
        graph = _top_entities(rows)
    elif chart.feed == "largest_stories":
        graph = _bars(rows, "title", {"articles": "articles"}, show_legend=False, truncate_label=60)
    elif chart.feed == "wire_share":
        own = [{**r, "own": r["articles"] - r["wire_articles"]} for r in rows]
        graph = _bars(own, "outlet", {"wire copies": "wire_articles", "own copies": "own"}, stacked=True)
    elif chart.feed == "language_mix":
        graph = pygal.Pie(**_config(inner_radius=0.4))
        for r in rows:
            graph.add(f"{r['language']} ({r['share']:.0%})", [r["articles"]])
    elif chart.feed == "run_health":
        runs = [{**r, "x": f"{_label(r['started_at'])} {r['kind']} ({r['status']})"} for r in rows]
        graph = _bars(runs, "x", {"pages read": "pages_read", "articles archived": "articles_archived",
                                  "rejected": "rejected"}, horizontal=False,
                      x_label_rotation=30 if len(rows) > 4 else 0)
    elif chart.feed == "stage_costs":
        runs = [{**r, "run": f"{_label(r['started_at'])} {r['run_id'][-6:]}"} for r in rows]
        graph = _stacked_by(runs, "run", "stage", "seconds")
    elif chart.feed == "rejects_by_reason":
        labelled = [{**r, "x": f"{r['stage']}: {r['reason']}"} for r in rows]
        graph = _bars(labelled, "x", {"pages": "pages"}, show_legend=False)
    else:
        raise ValueError(f"no chart for feed {chart.feed!r}")
    return _svg(graph)
